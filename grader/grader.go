// Package grader runs a submission's steps against a fresh Redis and turns
// what the checks saw into a report.
package grader

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// Only, when set, is the id of the one step graded; the report leaves
	// the others out (a variant of the reference changes one step).
	Only string
}

// InfraError is a failure of the grader or its engine, never of the student:
// the CLI exits 3 on it and no grade is recorded.
type InfraError struct{ Err error }

func (e *InfraError) Error() string { return e.Err.Error() }
func (e *InfraError) Unwrap() error { return e.Err }

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

// ReportEngine is the engine's description as a report holds it.
func ReportEngine(i engine.Info) report.Engine {
	return report.Engine{
		Kind: i.Kind, Server: i.Server, Version: i.Version, Compatible: i.Compatible,
		Image: i.Image, Emulator: i.Emulator, Note: i.Note,
	}
}

// graded is a grading: its report, and what only the grader uses of it.
type graded struct {
	rep *report.Report
	// fingerprints are the failing steps' fingerprints, by step id: what
	// names a known mistake (see fingerprint).
	fingerprints map[string]string
}

// grade grades one submission on the session's server.
func (sess *Session) grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts Options) (*graded, error) {
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
	out := &graded{rep: rep, fingerprints: map[string]string{}}
	for i := range ex.Steps {
		s := &ex.Steps[i]
		if opts.Only != "" && s.ID != opts.Only {
			continue
		}
		rep.MaxScore += s.Points
		if outOfTime() {
			rep.Steps = append(rep.Steps, notGraded(s, deadline))
			continue
		}
		step, err := g.step(subCtx, s)
		if err != nil && outOfTime() {
			step, err = stepVerdict{Step: notGraded(s, deadline)}, nil
		}
		if err != nil {
			return nil, err
		}
		rep.Steps = append(rep.Steps, step.Step)
		rep.Score += step.Score
		if step.fingerprint != "" {
			out.fingerprints[s.ID] = step.fingerprint
		}
	}
	if outOfTime() {
		// The student's code may still hold the server: free it for the
		// next submission.
		if _, err := sess.recover(ctx); err != nil {
			return nil, &InfraError{Err: fmt.Errorf("replace the server: %w", err)}
		}
	}
	rep.DurationMS = time.Since(began).Milliseconds()
	return out, nil
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
