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
	"github.com/redisgrade/redisgrade/internal/redistest"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

func session(t *testing.T, kind string) *grader.Session {
	t.Helper()
	var eng engine.Engine
	switch kind {
	case engine.KindProcess:
		eng = redistest.ProcessEngine(t)
	case engine.KindDocker:
		eng = redistest.DockerEngine(t) // skipped without Docker, unless REDISGRADE_TEST_ALL=1
	default:
		var err error
		if eng, _, err = engine.New(t.Context(), kind, engine.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	sess, err := grader.NewSession(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sess.Close)
	return sess
}

// Every shipped exercise holds up on every engine: its reference passes
// and every mutant, the built-in empty files included, is caught. On the
// emulator, the steps it cannot grade faithfully are skipped (and said so,
// docs/specs.md's table); what it grades must hold up as well.
func TestShippedExercisesHoldUp(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindDocker, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			sess := session(t, kind)
			for _, name := range exercises.Shipped() {
				t.Run(name, func(t *testing.T) {
					ex, err := exercises.Load(name)
					if err != nil {
						t.Fatal(err)
					}
					if info := sess.Info(); !ex.Requires.Admits(info.Server, info.Version, info.Compatible) {
						checkRefused(t, sess, ex) // proven on the servers of the matrix instead
						return
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					defer cancel()
					out, err := Test(ctx, ex, sess, grader.Options{})
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range out.Surprises {
						t.Error(s)
					}
					if len(out.Skipped) > 0 {
						if kind != engine.KindEmbedded {
							t.Errorf("a real Redis graded only part of it; skipped: %v", out.Skipped)
						}
						t.Logf("not gradable on the %s engine: %v", kind, out.Skipped)
					}
					killed, total := out.Score()
					if killed != total {
						t.Errorf("mutation score %d/%d: want every mutant killed", killed, total)
					}
					if kind == engine.KindProcess && total < len(ex.Steps)+5 {
						t.Errorf("%d mutants: want at least five besides the empty files", total)
					}
					if errs := Lint(ex); len(errs) > 0 {
						t.Errorf("lint: %v", errs)
					}
				})
			}
		})
	}
}

// A spec whose checks miss a mistake is reported, with the mutant named.
func TestWeakSpecIsCaught(t *testing.T) {
	spec := `id: weak
title: Weak
steps:
  - id: set
    title: Set a key
    hint: Use SET.
    points: 1
    file: s.redis
    checks:
      - key: k
        equals: "1"
      - key: other
        absent: true
    waive:
      - {answer: forged-state, why: any write of the key is right}
reference:
  s.redis: "SET k 1\n"
mutants:
  - name: also sets another key
    fails: set
    files: {s.redis: "SET k 1\nSET extra 2\n"}
  - name: wrong value
    fails: set
    files: {s.redis: "SET k 2\n"}
`
	ex, err := exercises.Parse("weak.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Test(context.Background(), ex, session(t, engine.KindProcess), grader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Surprises) != 1 || !strings.Contains(out.Surprises[0], `mutant "also sets another key" passes step set`) {
		t.Errorf("surprises %q", out.Surprises)
	}
	if killed, total := out.Score(); killed != 2 || total != 3 {
		t.Errorf("score %d/%d, want 2/3 (wrong value and the empty file)", killed, total)
	}
}

func TestLint(t *testing.T) {
	spec := `id: sloppy
title: Sloppy
points: 5
steps:
  - id: one
    title: One
    file: one.redis
    points: 1
    given: {k: "1"}
    checks:
      - key: k
        equals: "1"
      - sent: DEL
        times: 0
  - id: two
    title: Two
    hint: Try.
    file: two.redis
    checks:
      - key: j
        equals: "2"
      - reply: "2"
    waive:
      - answer: split
        command: SET
        why: the task asks for one SET
reference:
  one.redis: "GET k\n"
  three.redis: "GET j\n"
`
	ex, err := exercises.Parse("sloppy.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sloppy.yaml:5:5: step 1 (one) has no hint: a student who is stuck gets nothing",
		"sloppy.yaml:5:5: step 1 (one): every check of the case from {k=1} already holds before anything runs: no answer can fail it",
		"sloppy.yaml:15:5: step 2 (two) is worth no points",
		"sloppy.yaml:15:5: step 2 (two): a reply check of a .redis step reads the file's last reply, which a read added at the end changes and an EVAL can forge: name the command whose reply it reads (command: GET)",
		"sloppy.yaml:15:5: step 2 (two): the reference solution has no two.redis",
		"sloppy.yaml:1:1: the steps' points add up to 1, but the exercise says it is worth 5",
		"sloppy.yaml:1:1: the reference has three.redis, which no step grades",
	}
	if got := Lint(ex).Error(); got != strings.Join(want, "\n") {
		t.Errorf("lint:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if got, want := strings.Join(Waivers(ex), "\n"), "sloppy.yaml:24:9: step two waives the made-up answer split SET: the task asks for one SET"; got != want {
		t.Errorf("waivers:\n%s\nwant:\n%s", got, want)
	}
}

// Lint checks the requires' ranges: bounds that exclude each other, a Redis range that leaves out every
// Valkey unsaid, and a step no server the exercise accepts can grade.
func TestLintRequires(t *testing.T) {
	spec := `id: ranges
title: Ranges
requires: {redis: ">=7.4"}
steps:
  - id: one
    title: One
    hint: h
    file: one.redis
    points: 1
    requires: {redis: ">=8, <7", valkey: ">=9"}
    checks: [{key: k, equals: "1"}]
  - id: two
    title: Two
    hint: h
    file: two.redis
    points: 1
    requires: {redis: "<7.2", valkey: "none"}
    checks: [{key: k, equals: "1"}]
  - id: three
    title: Three
    hint: h
    file: three.redis
    points: 1
    requires: {redis: ">=8.0", valkey: ">=9.0"}
    checks: [{key: k, equals: "1"}]
reference:
  one.redis: "SET k 1\n"
  two.redis: "SET k 1\n"
  three.redis: "SET k 1\n"
`
	ex, err := exercises.Parse("ranges.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`ranges.yaml:3:11: requires.redis ">=7.4" leaves out every Valkey, which is judged as the Redis it answers as (7.2.4): say which Valkey versions can grade it (valkey: ">=9.0") or that none can (valkey: none)`,
		`ranges.yaml:10:15: step 1 (one): requires.redis ">=8, <7" holds no version: the bounds exclude each other`,
		`ranges.yaml:10:15: step 1 (one): requires: no server the exercise accepts (Redis >=7.4 (Valkey judged as the Redis version it answers as)) is one this step accepts (Redis >=8, <7 or Valkey >=9): the step is never graded`,
		`ranges.yaml:17:15: step 2 (two): requires: no server the exercise accepts (Redis >=7.4 (Valkey judged as the Redis version it answers as)) is one this step accepts (Redis <7.2 (no Valkey)): the step is never graded`,
	}
	if got := Lint(ex).Error(); got != strings.Join(want, "\n") {
		t.Errorf("lint:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// TestLintTerminalControls: a terminal control in any text a student reads
// is a lint error where it stands (the step's line, for its texts); the
// marks right-to-left text needs are not.
func TestLintTerminalControls(t *testing.T) {
	spec := `id: loud
title: "Loud \e[5m"
summary: "\u200fright-to-left mark is fine"
steps:
  - id: one
    title: "One \u202e"
    task: "Task \x9b2J"
    hint: "ring \a"
    hints: ["fine", "tab\tis fine", "CR\r"]
    file: one.redis
    points: 1
    checks:
      - key: k
        equals: "1"
reference:
  one.redis: "SET k 1\n"
mutants:
  - name: "quiet \e"
    fails: one
    feedback: "clear \e[2J"
    files: {one.redis: "SET k 2\n"}
`
	ex, err := exercises.Parse("loud.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`loud.yaml:1:1: the exercise's title holds U+001B at character 6, a terminal control: a student's terminal would act on it; write it in words`,
		`loud.yaml:5:5: step 1 (one): title holds U+202E at character 5, a terminal control: a student's terminal would act on it; write it in words`,
		`loud.yaml:5:5: step 1 (one): task holds U+009B at character 6, a terminal control: a student's terminal would act on it; write it in words`,
		`loud.yaml:5:5: step 1 (one): hint 1 holds U+0007 at character 6, a terminal control: a student's terminal would act on it; write it in words`,
		`loud.yaml:5:5: step 1 (one): hint 4 holds U+000D at character 3, a terminal control: a student's terminal would act on it; write it in words`,
		`loud.yaml:18:5: a mutant's name holds U+001B at character 7, a terminal control: a student's terminal would act on it; write it in words`,
		`loud.yaml:18:5: mutant "quiet \x1b": feedback holds U+001B at character 7, a terminal control: a student's terminal would act on it; write it in words`,
	}
	if got := Lint(ex).Error(); got != strings.Join(want, "\n") {
		t.Errorf("lint:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
