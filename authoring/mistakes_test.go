package authoring

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
)

// Mistake coverage: each mutant of lua-atomicity is recognised as itself;
// a mutant written twice under two names fails alike, so neither is, and
// the pair is reported.
func TestMistakeCoverage(t *testing.T) {
	data, err := os.ReadFile("../exercises/lua-atomicity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	twin := "\n  - name: the script sent twice\n    fails: run-atomically\n" +
		"    files: {step3.redis: \"EVAL \\\"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\\\" 0\\nEVAL \\\"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\\\" 0\\n\"}\n"
	for name, spec := range map[string][]byte{"shipped": data, "with a twin": append(append([]byte{}, data...), twin...)} {
		t.Run(name, func(t *testing.T) {
			ex, err := exercises.Parse("lua-atomicity.yaml", spec)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out, err := Test(ctx, ex, session(t, engine.KindProcess), grader.Options{})
			if err != nil {
				t.Fatal(err)
			}
			recognised, total := out.Recognised()
			if name == "shipped" {
				if recognised != total || total != len(ex.Mutants) || len(out.Indistinct) != 0 {
					t.Errorf("%d/%d recognised of %d mutants, indistinct %v", recognised, total, len(ex.Mutants), out.Indistinct)
				}
				return
			}
			if recognised != total-2 || len(out.Indistinct) != 1 || out.Indistinct[0].Step != "run-atomically" ||
				strings.Join(out.Indistinct[0].Mutants, "|") != "the script run twice|the script sent twice" {
				t.Errorf("%d/%d recognised, indistinct %+v: want all but the twins, and the twins as one group", recognised, total, out.Indistinct)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	ex, err := exercises.Parse("x.yaml", []byte(`id: x
title: X
steps:
  - id: a
    title: A
    file: a.redis
    points: 1
    hint: h
    checks: [{key: k, equals: "1"}]
reference: {a.redis: "SET k 1\n"}
mutants:
  - name: told
    fails: a
    feedback: Set k to 1.
    files: {a.redis: "SET k 2\n"}
  - name: silent
    fails: a
    files: {a.redis: "SET k 3\n"}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := Warnings(ex).Error()
	if want := `x.yaml:16:5: mutant "silent" has no feedback: a student who makes this mistake is told only its name`; got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	if errs := Lint(ex); len(errs) > 0 {
		t.Errorf("a mutant without feedback is a warning, not a lint error: %v", errs)
	}
}
