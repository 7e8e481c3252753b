package grader

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// checkMistakes compares the known mistakes a graded example's steps carry
// with those its expected.yaml names: a failing step named there carries
// that mistake, and no other step carries one (a passing step never does,
// and a mistake no example expects is a wrong name until one says so).
func checkMistakes(t *testing.T, want expectation, rep *report.Report) {
	t.Helper()
	for _, st := range rep.Steps {
		got := ""
		if st.Mistake != nil {
			got = st.Mistake.ID
		}
		if (st.Passed || st.NotGradable) && got != "" {
			t.Errorf("step %s was not failed but carries the mistake %q", st.ID, got)
			continue
		}
		if st.NotGradable {
			continue // not graded on this engine: no verdict, no mistake
		}
		if got != want.Mistakes[st.ID] {
			t.Errorf("step %s carries the mistake %q, expected.yaml says %q (signature %s)", st.ID, got, want.Mistakes[st.ID], st.Signature)
		}
	}
}

func luaAtomicitySpec(t *testing.T, extra string) *exercises.Exercise {
	t.Helper()
	data, err := os.ReadFile("../exercises/lua-atomicity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exercises.Parse("lua-atomicity.yaml", append(data, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// The mutants are graded once per spec content and engine, whoever asks
// and however many at once: later gradings pay nothing.
func TestKnownMistakesGradedOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	eng := testEngine(t, engine.KindProcess)
	ex := luaAtomicitySpec(t, "\n# a spec of its own for this test\n")
	sessions := make([]*Session, 3)
	for i := range sessions {
		s, err := NewSession(ctx, eng)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sessions[i] = s
	}
	got := make([]*Mistakes, len(sessions))
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := KnownMistakes(ctx, s, ex)
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		}()
	}
	wg.Wait()
	again := luaAtomicitySpec(t, "\n# a spec of its own for this test\n") // the same bytes, loaded again
	m, err := KnownMistakes(ctx, sessions[0], again)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		if g != m {
			t.Errorf("caller %d got its own grading of the mutants: they must be graded once", i)
		}
	}
	if len(m.Mutants) != len(ex.Mutants) {
		t.Fatalf("%d mutants graded, the spec has %d", len(m.Mutants), len(ex.Mutants))
	}
	other, err := KnownMistakes(ctx, sessions[0], luaAtomicitySpec(t, "\n# another spec\n"))
	if err != nil {
		t.Fatal(err)
	}
	if other == m {
		t.Error("a spec of other content shares the first one's mutants")
	}
}

// A mistake is named only when one mutant of the step fails that way: a
// mutant written twice under two names is named neither. A correct answer
// carries no mistake and no signature.
func TestMistakePrecision(t *testing.T) {
	eval := `EVAL \"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\" 0\n`
	ex := luaAtomicitySpec(t, "\n  - name: the script sent twice\n    fails: run-atomically\n    files: {step3.redis: \""+eval+eval+"\"}\n")
	eng := testEngine(t, engine.KindProcess)
	gradeFiles := func(files map[string]*string) *report.Report {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sub, err := Variant{Name: "student", Files: files}.submission(ex)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Grade(ctx, ex, sub, eng, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	step := func(rep *report.Report, id string) report.Step {
		for _, s := range rep.Steps {
			if s.ID == id {
				return s
			}
		}
		t.Fatalf("no step %s", id)
		return report.Step{}
	}
	twice := "2 EVAL \"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\" 0\n"
	if s := step(gradeFiles(map[string]*string{"step3.redis": &twice}), "run-atomically"); s.Passed || s.Mistake != nil {
		t.Errorf("a failure two mutants share is named %+v (passed %v)", s.Mistake, s.Passed)
	}
	numkeys := "EVAL \"redis.call('DECR', KEYS[1]) redis.call('INCR', 'sales')\" 1 stock\n"
	if s := step(gradeFiles(map[string]*string{"step3.redis": &numkeys}), "run-atomically"); s.Mistake == nil || s.Mistake.ID != "numkeys-1" {
		t.Errorf("numkeys 1 is named %+v, want numkeys-1 (signature %s)", s.Mistake, s.Signature)
	}
	for _, s := range gradeFiles(nil).Steps {
		if !s.Passed || s.Mistake != nil || s.Signature != "" {
			t.Errorf("the reference's step %s: passed %v, mistake %+v, signature %q", s.ID, s.Passed, s.Mistake, s.Signature)
		}
	}
}

// When the known mistakes cannot be graded, the student keeps the verdict,
// unnamed: naming never costs a grade or turns it into a grader error.
func TestMistakesThatCannotBeGradedCostNothing(t *testing.T) {
	ex := luaAtomicitySpec(t, "")
	ex.Digest = "" // changed in memory below: not the cached lua-atomicity
	broken := "x"
	ex.Mutants = append(ex.Mutants, exercises.Mutant{Name: "unopenable", ID: "unopenable", Fails: "setup",
		Files: map[string]*string{"../outside": &broken}})
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	files := correctFiles(t)
	files["step1.redis"] = "SET stock 10\nSET sales 0\n"
	sub, err := submissions.Open(writeSubmission(t, files))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := sess.Grade(context.Background(), ex, sub, Options{})
	if err != nil {
		t.Fatalf("the grader failed instead of grading: %v", err)
	}
	if rep.Steps[0].Passed || rep.Steps[0].Mistake != nil || !rep.Steps[1].Passed {
		t.Errorf("want step 1 failed, unnamed, and step 2 passed: %+v", rep.Steps[:2])
	}
}

// A mistake is named only when the student's step fails as the mistake
// does value for value, where the values are small: a TTL of the wrong
// order of magnitude, a wrong word. Numbers are left to how far off they
// are, so a wrong starting value is one mistake whatever it is.
func TestMistakesNamedValueForValue(t *testing.T) {
	ex, err := exercises.Parse("session.yaml", []byte(`
id: session
title: Session
steps:
  - id: start
    title: Start a session
    file: step1.redis
    points: 1
    checks:
      - key: session
        equals: user:1
      - ttl: session
        min: 1790
        max: 1800
  - id: count
    title: Count
    file: step2.redis
    points: 1
    checks:
      - key: n
        equals: "100"
reference:
  step1.redis: "SET session user:1 EX 1800\n"
  step2.redis: "SET n 100\n"
mutants:
  - name: PX counts milliseconds
    fails: start
    files: {step1.redis: "SET session user:1 PX 1800\n"}
  - name: another user
    fails: start
    files: {step1.redis: "SET session user:2 EX 1800\n"}
  - name: a wrong number
    fails: count
    files: {step2.redis: "SET n 10\n"}
`))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	named := func(step, file, text string) string {
		t.Helper()
		sub, err := Variant{Name: "student", Files: map[string]*string{file: &text}}.submission(ex)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := sess.Grade(context.Background(), ex, sub, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Steps {
			if s.ID == step && s.Mistake != nil {
				return s.Mistake.ID
			}
		}
		return ""
	}
	for _, tc := range []struct{ step, file, text, want string }{
		{"start", "step1.redis", "SET session user:1 PX 1800\n", "px-counts-milliseconds"},
		{"start", "step1.redis", "SET session user:1 PX 1900\n", "px-counts-milliseconds"},
		{"start", "step1.redis", "SET session user:1 EX 180\n", ""}, // ten times too short, not a thousand
		{"start", "step1.redis", "SET session user:2 EX 1800\n", "another-user"},
		{"start", "step1.redis", "SET session user:3 EX 1800\n", ""}, // another wrong word
		{"count", "step2.redis", "SET n 50\n", "a-wrong-number"},
	} {
		if got := named(tc.step, tc.file, tc.text); got != tc.want {
			t.Errorf("%q is named %q, want %q", tc.text, got, tc.want)
		}
	}
}
