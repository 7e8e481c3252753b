package grader

import (
	"context"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
)

// A .redis step's case with `call` re-sends the file's own EVAL with other
// keys and arguments: a script that names its keys fails there; one that
// reads KEYS and ARGV passes. The reference is re-sent the same way.
func TestCaseCallResendsTheFilesEval(t *testing.T) {
	ex, err := exercises.Parse("move.yaml", []byte(`
id: move
title: Move
steps:
  - id: move
    title: Move an amount
    file: step1.redis
    points: 1
    cases:
      - given: {a: "10", b: "0"}
        checks:
          - change: {a: -3, b: 3}
      - name: other accounts
        given: {x: "10", y: "0"}
        call: {keys: [x, y], args: ["4"]}
        checks:
          - change: {x: -4, y: 4}
          - compare: reference
reference:
  step1.redis: |
    EVAL "redis.call('DECRBY', KEYS[1], ARGV[1]) redis.call('INCRBY', KEYS[2], ARGV[1])" 2 a b 3
`))
	if err != nil {
		t.Fatal(err)
	}
	gradeStep1(t, ex, map[string]bool{
		ex.Reference["step1.redis"]: true,
		`EVAL "redis.call('DECRBY', 'a', 3) redis.call('INCRBY', 'b', 3)" 2 a b 3` + "\n":                              false,
		`eval "return redis.call('INCRBY', KEYS[2], ARGV[1]) + redis.call('DECRBY', KEYS[1], ARGV[1])" 2 a b 3` + "\n": true,
	})
}

// gradeStep1 grades each text as a submission's step1.redis on the process
// engine and says where its first step's verdict is not the one wanted.
func gradeStep1(t *testing.T, ex *exercises.Exercise, want map[string]bool) {
	t.Helper()
	sess, err := NewSession(context.Background(), testEngine(t, "process"))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for text, pass := range want {
		sub, err := Variant{Name: "s", Files: map[string]*string{"step1.redis": &text}}.submission(ex)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := sess.Grade(context.Background(), ex, sub, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Steps[0].Passed != pass {
			t.Errorf("%q: passed %v, want %v: %+v", text, rep.Steps[0].Passed, pass, rep.Steps[0].Checks)
		}
	}
}

// A command queued in a transaction is judged by its result in EXEC's
// reply: the task's INCR, sent inside MULTI ... EXEC, answers a check of its
// reply and compares with a reference that sends it alone; a transaction a
// DISCARD drops gives nothing.
func TestQueuedCommandsAnswerWithTheirResult(t *testing.T) {
	ex, err := exercises.Parse("count.yaml", []byte(`
id: count
title: Count
steps:
  - id: count
    title: Count a view
    file: step1.redis
    points: 1
    checks:
      - reply: 42
        command: INCR
      - compare: reference
    cases:
      - given: {views: "41"}
reference:
  step1.redis: |
    INCR views
    GET views
`))
	if err != nil {
		t.Fatal(err)
	}
	gradeStep1(t, ex, map[string]bool{
		"MULTI\nINCR views\nEXEC\nGET views\n":    true,
		"multi\nINCR views\nGET views\nexec\n":    true,
		"MULTI\nINCR views\nDISCARD\nGET views\n": false,
		"MULTI\nINCR views\n":                     false,
	})
}
