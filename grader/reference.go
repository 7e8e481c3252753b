package grader

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

// referenceCommands turns the reference's file for a step into the commands
// the grader sends for it in a case, as it does a student's file.
func referenceCommands(ex *exercises.Exercise, s *exercises.Step, c exercises.Case) ([]submissions.Command, string) {
	text, ok := ex.Reference[s.File]
	if !ok {
		return nil, "the reference has no " + s.File
	}
	if s.IsScript() {
		return scriptCommands(s, c, text), ""
	}
	cmds, err := submissions.ParseCommands(s.File, text)
	if err != nil {
		return nil, "the reference's " + err.Error()
	}
	if len(cmds) == 0 {
		return nil, "the reference's " + s.File + " holds no commands"
	}
	return recall(cmds, c.Call), ""
}

// setUp runs what a step's setup asks for after the case's given keys are
// written: with `setup: reference`, the reference's files of the earlier
// steps, in order, then the command statistics are zeroed so that only the
// student's commands count. Error replies do not stop it (they are the
// reference's, which exercise test proves); a broken connection does.
func (g *grading) setUp(ctx context.Context, s *exercises.Step) error {
	if s.Setup != "reference" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout(s)+adminTimeout)
	defer cancel()
	conn, release := g.sess.student()
	defer release()
	for i := range g.ex.Steps {
		earlier := &g.ex.Steps[i]
		if earlier == s || earlier.ID == s.ID {
			break
		}
		cmds, problem := referenceCommands(g.ex, earlier, earlier.RunCases()[0])
		if problem != "" {
			continue // lint reports it; the step starts from what the rest leave
		}
		for _, cmd := range cmds {
			if err := conn.Do(ctx, cmd.Any()...).Err(); err != nil && !isReply(err) {
				return fmt.Errorf("set up step %s: the reference's %s: %w", s.ID, describe(earlier.File, cmd), err)
			}
		}
	}
	if err := g.sess.admin.ConfigResetStat(ctx).Err(); err != nil {
		return fmt.Errorf("set up step %s: %w", s.ID, err)
	}
	return nil
}

// isReply tells a reply from Redis (nil or an error reply) from a failure to
// get one.
func isReply(err error) bool {
	var rerr redis.Error
	return errors.Is(err, redis.Nil) || errors.As(err, &rerr)
}

// referenceRun is what a compare check of the case needs to run the
// reference: its commands, and a reset to the case's starting state.
func (g *grading) referenceRun(s *exercises.Step, c exercises.Case) *checks.ReferenceRun {
	cmds, problem := referenceCommands(g.ex, s, c)
	return &checks.ReferenceRun{File: s.File, Commands: cmds, Problem: problem, Reset: g.restart(s, c)}
}

// restart puts the server back in the case's starting state, for a check
// that runs more from there (a compare runs the reference, a serializable
// check the clients' orders).
func (g *grading) restart(s *exercises.Step, c exercises.Case) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		// What the student's commands did that the emulator cannot answer as Redis: the reset forgets it.
		reasons, err := engine.Unfaithful(ctx, g.sess.srv)
		if err != nil {
			return err
		}
		g.unfaithful = append(g.unfaithful, reasons...)
		if err := g.sess.prepare(ctx, c.Given); err != nil {
			return err
		}
		return g.setUp(ctx, s)
	}
}
