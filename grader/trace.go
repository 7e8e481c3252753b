package grader

import (
	"context"
	"errors"
	"fmt"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

// StepTrace is what the spec's reference does in a step's first case: the
// state it starts from (the case's given, then its setup), the commands the
// grader sends for it with their replies, and the state it leaves. Exercise
// tests make up answers from it: reads of the keys it touches, its replies
// forged, its end state written directly.
type StepTrace struct {
	Case       exercises.Case
	Commands   []submissions.Command
	Replies    []checks.Value
	Start, End checks.State
}

// Trace runs the reference of one step's first case on sess and records it.
// Its errors are the spec's (a reference that cannot run) or the grader's.
func Trace(ctx context.Context, sess *Session, ex *exercises.Exercise, s *exercises.Step) (*StepTrace, error) {
	c := s.RunCases()[0]
	cmds, problem := referenceCommands(ex, s, c)
	if problem != "" {
		return nil, errors.New(problem)
	}
	g := &grading{ex: ex, sess: sess}
	if err := sess.prepare(ctx, c.Given); err != nil {
		return nil, err
	}
	if err := g.setUp(ctx, s); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout(s)+adminTimeout)
	defer cancel()
	t := &StepTrace{Case: c, Commands: cmds}
	var err error
	if t.Start, err = checks.ReadState(ctx, sess.admin); err != nil {
		return nil, fmt.Errorf("read the state step %s starts from: %w", s.ID, err)
	}
	sess.students.setLimit(g.timeout(s))
	conn, release := sess.student()
	defer release()
	for _, cmd := range cmds {
		v, ok := checks.FromReply(conn.Do(ctx, cmd.Any()...).Result())
		if !ok {
			return nil, fmt.Errorf("the reference's %s got no reply", describe(s.File, cmd))
		}
		t.Replies = append(t.Replies, v)
	}
	if t.End, err = checks.ReadState(ctx, sess.admin); err != nil {
		return nil, fmt.Errorf("read what the reference of step %s leaves: %w", s.ID, err)
	}
	return t, nil
}
