// Package grader runs a submission's steps against a fresh Redis and turns
// what the checks saw into a report.
package grader

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// DefaultDeadline bounds the grading of one submission when Options say nothing.
const DefaultDeadline = time.Minute

// Options tune a grading.
type Options struct {
	// Timeout overrides the spec's time limit for one case's commands.
	Timeout time.Duration
	// Deadline bounds the whole grading of one submission (DefaultDeadline if
	// 0). Steps not graded by then fail, saying so: it is the student's code
	// that took the time.
	Deadline time.Duration
}

// InfraError is a failure of the grader or its engine, never of the student:
// the CLI exits 3 on it and no grade is recorded.
type InfraError struct{ Err error }

func (e *InfraError) Error() string { return e.Err.Error() }
func (e *InfraError) Unwrap() error { return e.Err }

// RefusedError is a grading refused before it began: the server is outside the spec's requires. It comes
// wrapped in an *InfraError (the student is not to blame: exit 3); the server itself is fine, and another
// submission of another exercise may grade on it.
type RefusedError struct {
	Exercise string
	Needs    string // both ranges: "Redis >=7.4 or Valkey >=9.0"
	RunsOn   string // "the process engine runs Valkey 8.1.1, which answers as Redis 7.2.4"
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("exercise %s needs %s; %s", e.Exercise, e.Needs, e.RunsOn)
}

func infra(format string, args ...any) error {
	return &InfraError{Err: fmt.Errorf(format, args...)}
}

// Grade grades one submission on a fresh server from eng. Each step runs
// from its own clean state, so a mistake costs only its own step.
func Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, eng engine.Engine, opts Options) (*report.Report, error) {
	sess, err := NewSession(ctx, eng)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	return sess.Grade(ctx, ex, sub, opts)
}

// ReportEngine is the engine's description as a report holds it.
func ReportEngine(i engine.Info) report.Engine {
	return report.Engine{
		Kind: i.Kind, Server: i.Server, Version: i.Version, Compatible: i.Compatible,
		Image: i.Image, Emulator: i.Emulator, Note: i.Note,
	}
}

// grade grades one submission on the session's server.
func (sess *Session) grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts Options) (*report.Report, error) {
	began := time.Now()
	info := sess.srv.Info()
	// Before any of the student's code runs: a server the spec does not trust to grade it grades nothing.
	if !ex.Requires.Admits(info.Server, info.Version, info.Compatible) {
		return nil, &InfraError{Err: &RefusedError{Exercise: ex.ID, Needs: ex.Requires.Describe(), RunsOn: runsOn(info)}}
	}

	rep := &report.Report{
		Exercise:   ex.ID,
		Title:      ex.Title,
		Submission: sub.Name(),
		Notes:      sub.Notes(),
		MaxScore:   ex.MaxScore(),
		Engine:     ReportEngine(info),
	}
	deadline := opts.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	subCtx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	// Out of its own time, not interrupted from outside.
	outOfTime := func() bool { return ctx.Err() == nil && expired(subCtx) }

	g := &grading{ex: ex, sub: sub, sess: sess, opts: opts}
	for i := range ex.Steps {
		s := &ex.Steps[i]
		if outOfTime() {
			rep.Steps = append(rep.Steps, notGraded(s, deadline))
			continue
		}
		step, err := g.step(subCtx, s)
		if err != nil && outOfTime() {
			step, err = notGraded(s, deadline), nil
		}
		if err != nil {
			return nil, err
		}
		rep.Steps = append(rep.Steps, step)
		rep.Score += step.Score
	}
	if outOfTime() {
		// The student's code may still hold the server: free it for the
		// next submission.
		if _, err := sess.recover(ctx); err != nil {
			return nil, &InfraError{Err: fmt.Errorf("replace the server: %w", err)}
		}
	}
	rep.DurationMS = time.Since(began).Milliseconds()
	return rep, nil
}

// expired reports whether ctx is done or past its deadline. A connection's
// read deadline, taken from ctx, can fire a moment before ctx's own timer:
// the deadline itself tells which limit was hit.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// notGraded is the verdict of a step the submission's deadline cut short.
func notGraded(s *exercises.Step, deadline time.Duration) report.Step {
	return report.Step{
		ID: s.ID, Title: s.Title, File: s.File, MaxScore: s.Points, Hint: s.Hint, Hidden: s.Hidden,
		Checks: []report.Check{{
			Name:    "graded within the submission's time",
			Message: fmt.Sprintf("not graded: the submission used up its %s for all steps", deadline),
		}},
	}
}

type grading struct {
	ex   *exercises.Exercise
	sub  *submissions.Submission
	sess *Session
	opts Options
	// keyspace is what the last case's commands left, when a check failed.
	keyspace string
	// timedOut says the last case's commands ran out of their time limit.
	timedOut bool
	// unfaithful is what the emulator could not answer as Redis before a compare check reset the server to
	// run the reference: the reset forgets it, and the case must still go ungraded.
	unfaithful []string
}

func (g *grading) timeout(s *exercises.Step) time.Duration {
	if g.opts.Timeout > 0 {
		return g.opts.Timeout
	}
	return g.ex.CaseTimeout(s)
}

func (g *grading) step(ctx context.Context, s *exercises.Step) (report.Step, error) {
	out := report.Step{ID: s.ID, Title: s.Title, File: s.File, MaxScore: s.Points, Hint: s.Hint, Hidden: s.Hidden}
	info := g.sess.srv.Info()
	if g.ex.NeedsFunctions(s) && info.Emulator {
		return g.notGradable(out, "has no Redis Functions"), nil
	}
	if !s.Requires.Admits(info.Server, info.Version, info.Compatible) {
		return notGradableHere(out, "not graded: this step needs "+s.Requires.Describe()+"; "+runsOn(info)), nil
	}
	cases := s.RunCases()
	var sig signature
	for i, c := range cases {
		cmds, problem := g.commands(s, c)
		if problem != nil {
			out.Checks = []report.Check{*problem}
			out.Signature = problem.Shape
			return out, nil
		}
		label := ""
		if len(cases) > 1 {
			label = "[" + caseLabel(c) + "] "
		}
		g.keyspace, g.timedOut, g.unfaithful = "", false, nil
		results, note, err := g.runCase(ctx, s, c, cmds)
		if err != nil {
			return out, err
		}
		// An emulator that could not answer the student's commands as Redis would gives no verdict.
		if reasons, err := engine.Unfaithful(ctx, g.sess.srv); err == nil && len(g.unfaithful)+len(reasons) > 0 {
			reasons = append(g.unfaithful, reasons...)
			return g.notGradable(out, "cannot grade this faithfully: the student's code "+strings.Join(reasons, "; ")), nil
		}
		if out.Keyspace == "" {
			out.Keyspace = g.keyspace
		}
		sig.addCase(i, results)
		for _, r := range results {
			r.Name = label + r.Name
			out.Checks = append(out.Checks, r)
		}
		if note != "" {
			out.Note = note
		}
		// Code that ran out of time once will again: the other cases would
		// only make the student wait for the same verdict.
		if g.timedOut {
			break
		}
	}
	if note := g.fileNote(s); note != "" {
		if out.Note != "" {
			note += "; " + out.Note
		}
		out.Note = note
	}
	out.Passed = true
	for _, c := range out.Checks {
		out.Passed = out.Passed && c.Passed
	}
	if out.Passed {
		out.Score = s.Points
	} else {
		out.Signature = sig.String()
	}
	return out, nil
}

// notGradable is the verdict of a step this engine cannot grade: none.
func (g *grading) notGradable(out report.Step, why string) report.Step {
	return notGradableHere(out, "not graded: this engine ("+g.sess.srv.Info().Version+") "+why+": grade with the process or docker engine")
}

// notGradableHere is the verdict of a step this server cannot grade, with the note that says why: none.
func notGradableHere(out report.Step, note string) report.Step {
	out.Checks, out.Passed, out.Score, out.Keyspace = nil, false, 0, ""
	out.NotGradable = true
	out.Note = note
	return out
}

// runsOn says which server an engine runs, for a refusal: "the process engine runs Valkey 8.1.1, which
// answers as Redis 7.2.4".
func runsOn(info engine.Info) string {
	s := "the " + info.Kind + " engine runs " + ReportEngine(info).ServerName()
	switch {
	case info.Emulator && info.Compatible != "":
		s += ", an emulator of Redis " + info.Compatible
	case info.Compatible != "":
		s += ", which answers as Redis " + info.Compatible
	}
	return s
}

// caseLabel names a case in check names: its name, else its given keys.
func caseLabel(c exercises.Case) string {
	switch {
	case c.Name != "":
		return c.Name
	case len(c.Given) == 0:
		return "no keys"
	}
	return c.Given.String()
}

// commands reads the step's file and turns it into the commands to send
// for one case. A file that cannot be used fails its step with a check
// saying why.
func (g *grading) commands(s *exercises.Step, c exercises.Case) ([]submissions.Command, *report.Check) {
	text, err := g.sub.Text(s.File)
	if err != nil {
		return nil, &report.Check{Name: s.File + " can be read", Message: err.Error(), Shape: fileShape(err)}
	}
	if s.IsScript() {
		return scriptCommands(s, c, text), nil
	}
	parsed, err := submissions.Parse(s.File, text)
	if err != nil {
		return nil, &report.Check{Name: s.File + " parses as redis-cli commands", Message: err.Error(), Shape: "does not parse"}
	}
	if len(parsed.Commands) == 0 {
		msg := s.File + " holds only comments and blank lines"
		if len(parsed.Local) > 0 {
			msg = s.File + " sends no command to Redis: " + localNotes(parsed.Local)
		}
		return nil, &report.Check{Name: s.File + " has commands", Message: msg, Shape: "no commands"}
	}
	return parsed.Commands, nil
}

// localNotes says what redis-cli does with the lines it handles itself.
func localNotes(locals []submissions.Local) string {
	notes := make([]string, len(locals))
	for i, l := range locals {
		notes[i] = l.Note()
	}
	return strings.Join(notes, "; ")
}

// fileNote is what a step's feedback says about its .redis file beyond the
// checks: the lines redis-cli handles itself.
func (g *grading) fileNote(s *exercises.Step) string {
	if s.IsScript() {
		return ""
	}
	text, err := g.sub.Text(s.File)
	if err != nil {
		return ""
	}
	parsed, err := submissions.Parse(s.File, text)
	if err != nil || len(parsed.Commands) == 0 {
		return "" // the step's one check already says it
	}
	return localNotes(parsed.Local)
}

// scriptCommands is how the grader runs a .lua file: EVAL it, or load it as
// a Functions library and FCALL the step's function. Line 0 marks commands
// the grader wrote, not the student.
func scriptCommands(s *exercises.Step, c exercises.Case, text string) []submissions.Command {
	call := s.CallFor(c)
	tail := append([]string{strconv.Itoa(len(call.Keys))}, call.Keys...)
	tail = append(tail, call.Args...)
	if s.Function != "" {
		return []submissions.Command{
			{Line: 0, Args: []string{"FUNCTION", "LOAD", "REPLACE", text}},
			{Line: 0, Args: append([]string{"FCALL", s.Function}, tail...)},
		}
	}
	return []submissions.Command{{Line: 0, Args: append([]string{"EVAL", text}, tail...)}}
}

// runCase runs one case, retrying it once on a fresh server if the server
// died under it. The note says what the grader had to do.
func (g *grading) runCase(ctx context.Context, s *exercises.Step, c exercises.Case, cmds []submissions.Command) ([]report.Check, string, error) {
	results, lost, err := g.attempt(ctx, s, c, cmds)
	if err != nil || lost == nil {
		return results, "", err
	}
	// The server went away during the student's commands. It may have been
	// the student (SHUTDOWN) or the machine: a second try on a fresh server
	// tells them apart.
	if _, err := g.sess.recover(ctx); err != nil {
		return nil, "", &InfraError{Err: fmt.Errorf("replace the server: %w", err)}
	}
	results, lost2, err := g.attempt(ctx, s, c, cmds)
	if err != nil {
		return nil, "", err
	}
	note := "the Redis server stopped during this step (" + lost.Error() + "); it was replaced and the step graded again"
	if lost2 != nil {
		if _, err := g.sess.recover(ctx); err != nil {
			return nil, "", &InfraError{Err: fmt.Errorf("replace the server: %w", err)}
		}
		return []report.Check{{
			Shape:   "server stopped twice",
			Name:    "the server keeps running",
			Message: "the Redis server stopped twice while running your commands: " + lost2.Error(),
		}}, note, nil
	}
	return results, note, nil
}

// attempt runs one case once. lost is set when the connection to the server
// broke during the student's commands.
func (g *grading) attempt(ctx context.Context, s *exercises.Step, c exercises.Case, cmds []submissions.Command) (results []report.Check, lost error, err error) {
	if err := g.sess.prepare(ctx, c.Given); err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// A student's earlier command may have left the server unusable.
		if _, rerr := g.sess.recover(ctx); rerr != nil {
			return nil, nil, infra("%w; then replace the server: %v", err, rerr)
		}
		if err := g.sess.prepare(ctx, c.Given); err != nil {
			return nil, nil, &InfraError{Err: err}
		}
	}
	if err := g.setUp(ctx, s); err != nil {
		return nil, nil, &InfraError{Err: err}
	}

	limit := g.timeout(s)
	g.sess.students.setLimit(limit)
	reads := checks.PlanReads(c.Checks)
	replies, snap, runErr := g.send(ctx, cmds, limit, reads)
	if expired(ctx) {
		return nil, nil, context.DeadlineExceeded
	}
	if runErr != nil {
		at := describe(s.File, cmds[len(replies)])
		if isConnLost(runErr) && !g.sess.healthy(ctx) {
			return nil, fmt.Errorf("connection lost at %s", at), nil
		}
		how, rerr := g.sess.recover(ctx)
		if rerr != nil {
			return nil, nil, &InfraError{Err: fmt.Errorf("replace the server: %w", rerr)}
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
		return []report.Check{{Name: name, Message: msg, Shape: shape}}, nil, nil
	}

	if snap == nil {
		if snap, err = g.sess.snapshot(ctx, reads); err != nil {
			if !g.sess.healthy(ctx) {
				// The student's commands may have left the server dying: a
				// second try on a fresh server tells (see runCase).
				return nil, fmt.Errorf("the server stopped answering after %s's commands: %v", s.File, err), nil
			}
			// The reads are bounded (checks.MaxStringRead): a healthy
			// server that fails them is the grader's trouble.
			return nil, nil, &InfraError{Err: err}
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
		Commands:        engine.CommandNames(),
	}
	results, space := g.evaluate(ctx, c, env, limit)
	g.keyspace = space
	return results, nil, nil
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
func (g *grading) evaluate(ctx context.Context, c exercises.Case, env *checks.Env, limit time.Duration) ([]report.Check, string) {
	all := append(checks.List{checks.NoErrors(c.Checks)}, c.Checks...)
	out := make([]report.Check, len(all))
	run := func(i int, ch checks.Check) {
		budget := adminTimeout
		if _, probe := ch.(checks.Prober); probe {
			budget = probeBudget(limit)
		}
		cctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		r := ch.Evaluate(cctx, env)
		out[i] = report.Check{
			Name: ch.Name(), Passed: r.Passed,
			Message: clipped(r.Message, maxMessage), Expected: clipped(r.Expected, maxValue), Actual: clipped(r.Actual, maxValue),
		}
		if !r.Passed {
			out[i].Shape = checks.Shape(cctx, ch, env, r)
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

// Bounds on what a report keeps of one check: student code controls these
// texts, and reports go to LMSs with size limits.
const (
	maxMessage = 4096
	maxValue   = 1024
)

// clipped cuts s to about n bytes on a UTF-8 boundary, saying so.
func clipped(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return clip.Prefix(s, n) + fmt.Sprintf("… (%d bytes in all)", len(s))
}

func timeoutCheckName(limit time.Duration) string {
	return "commands finish within " + limit.String()
}

// describe names a command for messages: `step3.redis:2 (EVAL)`.
func describe(file string, cmd submissions.Command) string {
	if cmd.Line == 0 {
		return file + " (" + cmd.Name() + " of the script)"
	}
	return fmt.Sprintf("%s:%d (%s)", file, cmd.Line, cmd.Name())
}

// IsInfra reports whether err is the grader's failure rather than the student's.
func IsInfra(err error) bool {
	var ie *InfraError
	return errors.As(err, &ie)
}
