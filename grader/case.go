package grader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/rediscmd"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// runCase runs one case, retrying it once on a fresh server if the server
// died under it. The note says what the grader had to do.
func (g *grading) runCase(ctx context.Context, s *exercises.Step, c exercises.Case, cmds []submissions.Command) ([]checkResult, string, error) {
	first, err := g.attempt(ctx, s, c, cmds)
	if err != nil || first.lost == nil {
		return first.results, "", err
	}
	// The server went away during the student's commands. It may have been
	// the student (SHUTDOWN) or the machine: a second try on a fresh server
	// tells them apart.
	if _, err := g.sess.recover(ctx); err != nil {
		return nil, "", &InfraError{Err: fmt.Errorf("replace the server: %w", err)}
	}
	second, err := g.attempt(ctx, s, c, cmds)
	if err != nil {
		return nil, "", err
	}
	note := "the Redis server stopped during this step (" + first.lost.Error() + "); it was replaced and the step graded again"
	if second.lost != nil {
		if _, err := g.sess.recover(ctx); err != nil {
			return nil, "", &InfraError{Err: fmt.Errorf("replace the server: %w", err)}
		}
		return []checkResult{{shape: "server stopped twice", Check: report.Check{
			Name:    "the server keeps running",
			Message: "the Redis server stopped twice while running your commands: " + second.lost.Error(),
		}}}, note, nil
	}
	return second.results, note, nil
}

// caseRun is what one attempt at a case gave: its checks' results, or,
// when the connection to the server broke during the student's commands,
// what was lost (the case is then tried again on a fresh server).
type caseRun struct {
	results []checkResult
	lost    error
}

// attempt runs one case once. Its error is the grader's, or the deadline's.
func (g *grading) attempt(ctx context.Context, s *exercises.Step, c exercises.Case, cmds []submissions.Command) (caseRun, error) {
	if err := g.start(ctx, s, c); err != nil {
		return caseRun{}, err
	}
	limit := g.timeout(s)
	g.sess.students.setLimit(limit)
	reads := checks.PlanReads(c.Checks, cmds)
	replies, snap, runErr := g.send(ctx, cmds, limit, reads)
	if expired(ctx) {
		return caseRun{}, context.DeadlineExceeded
	}
	if runErr != nil {
		return g.cutShort(ctx, s, cmds, replies, runErr, limit)
	}
	if snap == nil {
		var err error
		if snap, err = g.sess.snapshot(ctx, reads); err != nil {
			if !g.sess.healthy(ctx) {
				// The student's commands may have left the server dying: a
				// second try on a fresh server tells (see runCase).
				return caseRun{lost: fmt.Errorf("the server stopped answering after %s's commands: %v", s.File, err)}, nil
			}
			// The reads are bounded (checks.MaxStringRead): a healthy
			// server that fails them is the grader's trouble.
			return caseRun{}, &InfraError{Err: err}
		}
	}
	env := &checks.Env{
		File:            s.File,
		Given:           c.Given,
		Sent:            cmds,
		Replies:         replies,
		Stats:           snap.Stats,
		Snapshot:        snap,
		Admin:           g.sess.admin,
		Connect:         g.sess.student,
		KeepsConnection: g.sess.students.keeps,
		Reference:       g.referenceRun(s, c),
		Restart:         g.restart(s, c),
		Commands:        rediscmd.Names(),
	}
	results, space := g.evaluate(ctx, c, env, limit)
	g.keyspace = space
	return caseRun{results: results}, nil
}

// start puts the server in the case's starting state: its given keys, then
// its setup.
func (g *grading) start(ctx context.Context, s *exercises.Step, c exercises.Case) error {
	if err := g.sess.prepare(ctx, c.Given); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A student's earlier command may have left the server unusable.
		if _, rerr := g.sess.recover(ctx); rerr != nil {
			return infra("%w; then replace the server: %v", err, rerr)
		}
		if err := g.sess.prepare(ctx, c.Given); err != nil {
			return &InfraError{Err: err}
		}
	}
	if err := g.setUp(ctx, s); err != nil {
		return &InfraError{Err: err}
	}
	return nil
}

// cutShort is the verdict of a case whose commands did not all run: a
// time-out, a reply past the bounds, a connection the server closed or
// dropped (the student's), or a server lost (tried again).
func (g *grading) cutShort(ctx context.Context, s *exercises.Step, cmds []submissions.Command, replies []checks.Value, runErr error, limit time.Duration) (caseRun, error) {
	at := describe(s.File, cmds[len(replies)])
	if isConnLost(runErr) && !g.sess.healthy(ctx) {
		return caseRun{lost: fmt.Errorf("connection lost at %s", at)}, nil
	}
	how, rerr := g.sess.recover(ctx)
	if rerr != nil {
		return caseRun{}, &InfraError{Err: fmt.Errorf("replace the server: %w", rerr)}
	}
	name, msg := timeoutCheckName(limit), fmt.Sprintf("%s did not finish: timed out after %s", at, limit)
	shape := "timed out"
	timedOut := true
	switch {
	case errors.Is(runErr, errReplyTooLarge), errors.Is(runErr, errRepliesTooLarge):
		timedOut = false
		name, shape = "replies fit in what the grader reads", "replies too large"
		msg = fmt.Sprintf("%s: %v", at, runErr)
	case errors.Is(runErr, errConnClosed):
		timedOut = false
		name, shape = "the connection stays open", "connection closed"
		msg = fmt.Sprintf("%s never ran: the server had closed the connection", at)
		if n := len(replies); n > 0 {
			msg += " after " + describe(s.File, cmds[n-1])
		}
		msg += ", and the grader does not reconnect in the middle of a file, so the commands from there on never ran"
	case isConnLost(runErr):
		timedOut = false
		// The server is up but dropped this client: Redis does that to a
		// client whose replies pile up past the output buffer limit. The
		// grader's own reads on it are bounded (checks.MaxStringRead).
		name, shape = "the connection stays open", "connection dropped"
		msg = fmt.Sprintf("%s: the server closed the connection while answering it (%v); Redis disconnects a client whose replies pass 16 MiB", at, runErr)
	}
	switch how {
	case killedScript:
		msg += "; the grader stopped the script with SCRIPT KILL"
	case replacedServer:
		msg += "; the grader had to restart the server"
	}
	g.timedOut = timedOut
	return caseRun{results: []checkResult{{shape: shape, Check: report.Check{Name: name, Message: msg}}}}, nil
}

// send runs the student's commands in order on one connection, as redis-cli
// would: an error reply does not stop the rest; a timeout or a broken
// connection does, and is returned. Where the connection is still as new
// before the last command, the checks' reads follow that command in the same
// round trip, and send returns their snapshot; otherwise snap is nil.
func (g *grading) send(ctx context.Context, cmds []submissions.Command, limit time.Duration, reads checks.ReadPlan) (replies []checks.Value, snap *checks.Snapshot, err error) {
	students := g.sess.students
	conn := students.acquire()
	defer students.put(conn)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	replies = make([]checks.Value, 0, len(cmds))
	var kept int64 // bytes of replies kept, at most MaxKeptReplies
	for i, cmd := range cmds {
		if i == len(cmds)-1 && students.plainAfter(conn, cmd) {
			pipe := conn.Pipeline()
			last := pipe.Do(ctx, cmd.Any()...)
			pending := reads.Queue(ctx, pipe)
			_, _ = pipe.Exec(ctx) // each reply is looked at below
			v, ok := checks.FromReply(last.Result())
			if !ok {
				return replies, nil, last.Err()
			}
			replies = append(replies, v)
			if snap, err = pending.Snapshot(); err != nil {
				// Not the student's doing: the grader reads again its own way.
				return replies, nil, nil
			}
			return replies, snap, nil
		}
		res, err := conn.Do(ctx, cmd.Any()...).Result()
		v, ok := checks.FromReply(res, err)
		if !ok {
			return replies, nil, err
		}
		if kept += v.Size(); kept > MaxKeptReplies {
			return replies, nil, errRepliesTooLarge
		}
		replies = append(replies, v)
	}
	return replies, nil, nil
}

// evaluate runs the case's checks, with the grader's own no-errors check
// first and probes (which change the server's state) last; results keep the
// spec's order.
func (g *grading) evaluate(ctx context.Context, c exercises.Case, env *checks.Env, limit time.Duration) ([]checkResult, string) {
	all := append(checks.List{checks.NoErrors(c.Checks)}, c.Checks...)
	out := make([]checkResult, len(all))
	run := func(i int, ch checks.Check) {
		budget := adminTimeout
		if _, probe := ch.(checks.Prober); probe {
			budget = probeBudget(limit)
		}
		cctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		r := ch.Evaluate(cctx, env)
		out[i] = checkResult{Check: report.Check{
			Name: ch.Name(), Passed: r.Passed,
			Message: clipped(r.Message, maxMessage), Expected: clipped(r.Expected, maxValue), Actual: clipped(r.Actual, maxValue),
		}}
		if !r.Passed {
			out[i].shape = checks.Shape(cctx, ch, env, r)
			out[i].detail = checks.Detail(ch, env, r)
			out[i].Why = checks.WhyOf(ch)
			if errors.Is(cctx.Err(), context.DeadlineExceeded) {
				out[i].Message += fmt.Sprintf(" (the check ran out of its %s)", budget)
			}
		}
	}
	var probes []int
	for i, ch := range all {
		if _, probe := ch.(checks.Prober); probe {
			probes = append(probes, i)
			continue
		}
		run(i, ch)
	}
	// What the student's commands left, before a probe changes it.
	space := ""
	for _, r := range out {
		if r.Name != "" && !r.Passed {
			kctx, cancel := context.WithTimeout(ctx, adminTimeout)
			space = keyspace(kctx, env.Admin)
			cancel()
			break
		}
	}
	if len(probes) > 0 {
		// A probe's clients wait on each other on a single-threaded server,
		// more so on a loaded machine: each read gets the probe's budget,
		// not the case's limit, which the case's own run has just held to.
		g.sess.students.setLimit(probeBudget(limit))
	}
	for _, i := range probes {
		run(i, all[i])
		if out[i].Passed {
			continue // every command it sent was answered: the server is fine
		}
		if _, err := g.sess.recover(ctx); err != nil {
			out[i].Message += "; the server had to be replaced afterwards"
		}
	}
	return out, space
}

// probeBudget is the time a probe (hundreds of runs of the student's
// commands) may take: never less than the grader's own calls get, since a
// loaded machine slows the probe, not the student.
func probeBudget(limit time.Duration) time.Duration { return max(5*limit, adminTimeout) }
