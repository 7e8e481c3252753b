package grader

import (
	"context"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
)

const serialSpec = `
id: counters
title: Two counters
steps:
  - id: both
    title: Count on both counters
    file: step1.redis
    points: 1
    given: {a: "0", b: "0"}
    checks:
      - serializable: {clients: 2}
reference:
  step1.redis: "MULTI\nINCR a\nINCR b\nEXEC\n"
`

// Through the whole grader, on every engine: two INCRs sent apart fail
// with a timeline, the same one each of 20 runs in a row; in MULTI/EXEC or
// one EVAL they pass.
func TestSerializableThroughTheGrader(t *testing.T) {
	ex, err := exercises.Parse("counters.yaml", []byte(serialSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			sess, err := NewSession(context.Background(), testEngine(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			grade := func(text string) report.Step {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				sub, err := Variant{Name: "student", Files: map[string]*string{"step1.redis": &text}}.submission(ex)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := sess.Grade(ctx, ex, sub, Options{})
				if err != nil {
					t.Fatal(err)
				}
				return rep.Steps[0]
			}
			first := grade("INCR a\nINCR b\n")
			if first.Passed || len(first.Checks) != 2 || first.Checks[1].Passed {
				t.Fatalf("INCR a, INCR b passed: %+v", first)
			}
			for i := range 19 {
				again := grade("INCR a\nINCR b\n")
				if again.Checks[1].Message != first.Checks[1].Message || again.Signature != first.Signature {
					t.Fatalf("run %d differs:\n%s\nfirst:\n%s", i+2, again.Checks[1].Message, first.Checks[1].Message)
				}
			}
			for _, ok := range []string{"MULTI\nINCR a\nINCR b\nEXEC\n", "EVAL \"redis.call('INCR', 'a') redis.call('INCR', 'b')\" 0\n"} {
				if s := grade(ok); !s.Passed {
					t.Errorf("%q: %+v", ok, s.Checks)
				}
			}
		})
	}
}
