package authoring

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// A spec whose only checks are `compare: reference`, with later steps set up
// by the reference's earlier ones, holds up: the reference passes, each
// mutant fails its step, and a step earns its credit even when the
// student's earlier steps are wrong.
const compareSpec = `id: shop
title: Shop counters
steps:
  - id: setup
    title: Set up the counters
    hint: SET.
    file: step1.redis
    points: 1
    checks:
      - compare: reference
    waive:
      - {answer: forged-state, why: any write of the two counters is right}
  - id: sell
    title: Sell one unit
    hint: DECR and INCR in a script.
    file: step2.lua
    points: 1
    setup: reference
    checks:
      - compare: reference
        commands: true
      - key: stock
        equals: "99"
  - id: profile
    title: A customer
    hint: HSET.
    file: step3.redis
    points: 1
    setup: reference
    checks:
      - compare: reference
reference:
  step1.redis: "SET stock 100\nSET sales 0\n"
  step2.lua: "redis.call('DECR', 'stock')\nreturn redis.call('INCR', 'sales')\n"
  step3.redis: "HSET user:1 name Ada city London\nEXPIRE user:1 60\nHGETALL user:1\n"
mutants:
  - name: wrong stock
    fails: setup
    files: {step1.redis: "SET stock 10\nSET sales 0\n"}
  - name: sets instead of counting
    fails: sell
    files: {step2.lua: "redis.call('SET', 'stock', 99)\nredis.call('SET', 'sales', 1)\nreturn 1\n"}
  - name: no city
    fails: profile
    files: {step3.redis: "HSET user:1 name Ada\nEXPIRE user:1 60\nHGETALL user:1\n"}
  - name: no expiry
    fails: profile
    files: {step3.redis: "HSET user:1 name Ada city London\nHGETALL user:1\n"}
`

func gradeText(t *testing.T, sess *grader.Session, ex *exercises.Exercise, files map[string]string) *report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bytes := map[string][]byte{}
	for name, text := range files {
		bytes[name] = []byte(text)
	}
	sub, err := submissions.OpenFiles("submission", bytes)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := sess.Grade(ctx, ex, sub, grader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestCompareReferenceSpec(t *testing.T) {
	ex, err := exercises.Parse("shop.yaml", []byte(compareSpec))
	if err != nil {
		t.Fatal(err)
	}
	if errs := Lint(ex); len(errs) > 0 {
		t.Errorf("lint: %v", errs)
	}
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			sess := session(t, kind)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := Test(ctx, ex, sess, grader.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range out.Surprises {
				t.Error(s)
			}
			if killed, total := out.Score(); killed != total || total != 7 {
				t.Errorf("mutation score %d/%d, want 7/7", killed, total)
			}

			// Step 1 wrong, steps 2 and 3 right: they start from the
			// reference's state and earn their points.
			rep := gradeText(t, sess, ex, map[string]string{
				"step1.redis": "SET stock 5\n",
				"step2.lua":   ex.Reference["step2.lua"],
				"step3.redis": "HSET user:1 name Ada\nEXPIRE user:1 60\nHGETALL user:1\n",
			})
			if rep.Steps[0].Passed || !rep.Steps[1].Passed || rep.Steps[2].Passed {
				t.Fatalf("passed = %v %v %v, want false true false", rep.Steps[0].Passed, rep.Steps[1].Passed, rep.Steps[2].Passed)
			}
			msgs := func(s report.Step) string {
				var b strings.Builder
				for _, c := range s.Checks {
					if !c.Passed {
						b.WriteString(c.Message + "\n")
					}
				}
				return b.String()
			}
			for _, w := range []string{`stock is "5"; the reference leaves "100"`, `you left no key sales; the reference leaves a string "0"`} {
				if !strings.Contains(msgs(rep.Steps[0]), w) {
					t.Errorf("step 1 says %q, want %q", msgs(rep.Steps[0]), w)
				}
			}
			for _, w := range []string{"user:1 has no field city; the reference leaves city = London", "returned 2 elements, the reference's 4"} {
				if !strings.Contains(msgs(rep.Steps[2]), w) {
					t.Errorf("step 3 says %q, want %q", msgs(rep.Steps[2]), w)
				}
			}
		})
	}
}
