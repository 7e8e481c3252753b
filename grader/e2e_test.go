package grader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/redistest"
	"github.com/redisgrade/redisgrade/internal/redistest/versions"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

// testEngine returns an engine of that kind. The process engine needs
// redis-server: without it the test fails and says how to get it. The
// docker engine needs a Docker engine with the test image: without it the
// test is skipped, or fails under REDISGRADE_TEST_ALL=1 (internal/tiers).
func testEngine(t testing.TB, kind string) engine.Engine {
	t.Helper()
	switch kind {
	case engine.KindProcess:
		return redistest.ProcessEngine(t)
	case engine.KindDocker:
		return redistest.DockerEngine(t)
	}
	eng, _, err := engine.New(t.Context(), kind, engine.Options{})
	if err != nil {
		t.Fatalf("engine %s: %v", kind, err)
	}
	return eng
}

// engineKinds are the engines every example and adversary runs on. Each
// needs its own setup (redis-server, a Docker engine with the test image).
var engineKinds = []string{engine.KindProcess, engine.KindEmbedded, engine.KindDocker}

type expectation struct {
	Description string            `yaml:"description"`
	Steps       map[string]string `yaml:"steps"`
	// Mistakes names, by step, the known mistake a failing step carries.
	Mistakes map[string]string `yaml:"mistakes"`
	// Emulator overrides Steps on the embedded engine for the steps it must say it cannot grade:
	// "not graded" (HyperLogLog, say: see docs/engines.md).
	Emulator map[string]string `yaml:"emulator"`
}

// example is one example submission and its exercise.
type example struct {
	ex  *exercises.Exercise
	dir string
}

func (e example) name() string { return e.ex.ID + "/" + filepath.Base(e.dir) }

// loadExamples lists every example submission under submissions/examples/.
func loadExamples(t *testing.T) []example {
	t.Helper()
	root := filepath.Join("..", "submissions", "examples")
	exDirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var examples []example
	for _, exDir := range exDirs {
		ex, err := exercises.Load(exDir.Name())
		if err != nil {
			t.Fatalf("examples for %s: %v", exDir.Name(), err)
		}
		subs, err := os.ReadDir(filepath.Join(root, exDir.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			examples = append(examples, example{ex, filepath.Join(root, exDir.Name(), s.Name())})
		}
	}
	return examples
}

// TestExamples grades every example submission of every exercise on every
// engine, and on every server of the version matrix (Redis 8, Valkey 8.0 and
// 8.1; skipped without them, see testdata/servers), side by side, and
// compares each step's verdict with the example's expected.yaml. On a server
// outside the exercise's requires the grading must be refused. A verdict
// that differs between real servers fails here, saying where and why: each
// difference must be fixed, or the spec's requires narrowed.
func TestExamples(t *testing.T) {
	examples := loadExamples(t)
	var mu sync.Mutex
	var labels []string
	var columns []map[string]map[string]verdict // by column, example, step
	column := func(label string) map[string]map[string]verdict {
		mu.Lock()
		defer mu.Unlock()
		labels = append(labels, label)
		columns = append(columns, map[string]map[string]verdict{})
		return columns[len(columns)-1]
	}
	// Each column is graded on one warm session, as batch grades: a verdict
	// that depends on the server being fresh fails here.
	grade := func(t *testing.T, pool *Pool, info engine.Info, label string) {
		col := column(label)
		for _, e := range examples {
			t.Run(e.name(), func(t *testing.T) {
				v := checkExample(t, pool, info, e)
				mu.Lock()
				col[e.name()] = v
				mu.Unlock()
			})
		}
	}
	t.Cleanup(func() {
		// After every column: the real servers must agree (the emulator says
		// what it cannot grade, in expected.yaml).
		for _, d := range disagreements(labels, columns) {
			t.Error(d)
		}
	})
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			pool := testPool(t, testEngine(t, kind), kind)
			info := poolInfo(t, pool)
			if info.Emulator {
				checkExamplesOn(t, pool, info, examples)
				return
			}
			grade(t, pool, info, kind+" "+ReportEngine(info).ServerName())
		})
	}
	t.Run("versions", func(t *testing.T) {
		t.Parallel()
		for _, tg := range versions.Targets(t) {
			if tg.Default {
				continue // the process engine's own column
			}
			t.Run(tg.Label, func(t *testing.T) {
				t.Parallel()
				pool := testPool(t, redistest.VersionEngine(t, tg.Server, tg.Docker), tg.Label)
				info := poolInfo(t, pool)
				checkIdentity(t, tg.Server, info)
				grade(t, pool, info, tg.Label)
			})
		}
	})
}

// checkExamplesOn checks every example on one pool, out of the comparison.
func checkExamplesOn(t *testing.T, pool *Pool, info engine.Info, examples []example) {
	for _, e := range examples {
		t.Run(e.name(), func(t *testing.T) { checkExample(t, pool, info, e) })
	}
}

// verdict is what one server made of one step: pass, fail or not graded, and why.
type verdict struct{ is, why string }

// checkExample grades an example on pool's server and compares each step's verdict with its expected.yaml;
// on a server outside the exercise's requires, the grading must be refused, naming both ranges. It returns
// the verdicts by step id (none when refused).
func checkExample(t *testing.T, pool *Pool, info engine.Info, e example) map[string]verdict {
	t.Helper()
	if !e.ex.Requires.Admits(info.Server, info.Version, info.Compatible) {
		checkRefused(t, pool, e)
		return nil
	}
	want := readExpectation(t, e.dir)
	rep := gradeOn(t, pool, e.ex, e.dir)
	got := map[string]verdict{}
	for _, st := range rep.Steps {
		v := verdict{is: "fail", why: strings.TrimSpace(failures(st))}
		switch {
		case st.NotGradable:
			v = verdict{is: "not graded", why: st.Note}
		case st.Passed:
			v = verdict{is: "pass"}
		}
		got[st.ID] = v
		wanted := want.Steps[st.ID]
		if w, ok := want.Emulator[st.ID]; ok && info.Emulator {
			wanted = w
		}
		if wanted != v.is {
			t.Errorf("step %s: %s, want %s (%s)\n%s%s", st.ID, v.is, wanted, want.Description, failures(st), st.Note)
		}
	}
	checkMistakes(t, want, rep)
	if len(rep.Steps) != len(want.Steps) {
		t.Errorf("%d steps graded, expected.yaml names %d", len(rep.Steps), len(want.Steps))
	}
	return got
}

// checkRefused grades an example on a server its exercise's requires leaves out: the grading is refused
// before anything runs, saying what the exercise needs and what the server is.
func checkRefused(t *testing.T, pool *Pool, e example) {
	t.Helper()
	sub, err := submissions.Open(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := pool.Grade(ctx, e.ex, sub, Options{})
	var refused *RefusedError
	var infraErr *InfraError
	switch {
	case err == nil:
		t.Errorf("graded (score %v) on a server outside requires: %s", rep.Score, e.ex.Requires.Describe())
	case !errors.As(err, &refused) || !errors.As(err, &infraErr):
		t.Errorf("error %v, want a refusal the grader owns (an InfraError)", err)
	case !strings.Contains(err.Error(), e.ex.Requires.Describe()) || !strings.Contains(err.Error(), " runs "):
		t.Errorf("refusal %q should name both ranges (%s) and the server", err, e.ex.Requires.Describe())
	}
}

// poolInfo starts the pool's session (it stays warm for the test) and returns what its server is.
func poolInfo(t *testing.T, pool *Pool) engine.Info {
	t.Helper()
	l, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := l.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	return l.sess.Info()
}

// testPool returns a pool of one warm session on eng, named so in messages.
// The grader must never fail on it: a session discarded after a failed
// grading fails the test, even where the retry then passed.
func testPool(t *testing.T, eng engine.Engine, name string) *Pool {
	t.Helper()
	pool := NewPool(PoolConfig{Engine: eng, Jobs: 1})
	t.Cleanup(func() {
		if st := pool.Stats(); st.Replaced > 0 {
			t.Errorf("%s: the grader failed %d times (sessions replaced); every failure must be the student's", name, st.Replaced)
		}
		pool.Close()
	})
	return pool
}

// gradeOn grades the submission in dir on a pool's session.
func gradeOn(t *testing.T, pool *Pool, ex *exercises.Exercise, dir string) *report.Report {
	t.Helper()
	sub, err := submissions.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := pool.Grade(ctx, ex, sub, Options{})
	if err != nil {
		t.Fatalf("grade %s: %v", dir, err)
	}
	return rep
}

func readExpectation(t *testing.T, dir string) expectation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
	if err != nil {
		t.Fatalf("every example needs an expected.yaml: %v", err)
	}
	var want expectation
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s/expected.yaml: %v", dir, err)
	}
	return want
}

func grade(t *testing.T, ex *exercises.Exercise, dir string, eng engine.Engine) *report.Report {
	t.Helper()
	sub, err := submissions.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Grade(ctx, ex, sub, eng, Options{})
	if err != nil {
		t.Fatalf("grade %s: %v", dir, err)
	}
	return rep
}

func failures(st report.Step) string {
	var b strings.Builder
	for _, c := range st.Checks {
		if !c.Passed {
			b.WriteString("  ✘ " + c.Name + ": " + c.Message + "\n")
		}
	}
	return b.String()
}

// writeSubmission makes a submission folder from file contents.
func writeSubmission(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func correctFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	dir := filepath.Join("..", "submissions", "examples", "lua-atomicity", "correct")
	for _, name := range []string{"step1.redis", "step2.lua", "step3.redis", "step4.lua"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	return files
}

// A runaway script fails its own step with a timeout, within bounded time,
// on every engine (the embedded one by killing its child process), and the
// steps after it are graded as usual.
func TestRunawayScriptFailsOnlyItsStep(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			files := correctFiles(t)
			files["step2.lua"] = "while true do end"
			dir := writeSubmission(t, files)
			sub, err := submissions.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			rep, err := Grade(context.Background(), ex, sub, testEngine(t, kind), Options{Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(began); took > 30*time.Second {
				t.Errorf("grading took %s", took)
			}
			verdicts := map[string]bool{}
			for _, s := range rep.Steps {
				verdicts[s.ID] = s.Passed
			}
			if verdicts["script"] || !verdicts["setup"] || !verdicts["run-atomically"] || !verdicts["return-values"] {
				t.Fatalf("verdicts %v: only the script step should fail", verdicts)
			}
			msg := rep.Steps[1].Checks[0].Message
			if !strings.Contains(msg, "timed out after 300ms") || !strings.Contains(msg, "step2.lua") {
				t.Errorf("message %q should say which file timed out and after how long", msg)
			}
		})
	}
}

// SHUTDOWN is refused to the student: the step fails with Redis's NOPERM
// error and the server keeps serving the other steps.
func TestShutdownIsRefused(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			files := correctFiles(t)
			files["step1.redis"] = "SET stock 100\nSET sales 0\nSHUTDOWN NOSAVE\n"
			sub, err := submissions.Open(writeSubmission(t, files))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Grade(context.Background(), ex, sub, testEngine(t, kind), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Steps[0].Passed || !strings.Contains(rep.Steps[0].Checks[0].Message, "NOPERM") {
				t.Errorf("step 1 should fail with NOPERM:\n%s", failures(rep.Steps[0]))
			}
			for _, s := range rep.Steps[1:] {
				if !s.Passed {
					t.Errorf("step %s should pass:\n%s", s.ID, failures(s))
				}
			}
		})
	}
}

// studentOptsEngine starts real servers whose student connections get their
// options through edit: a test can watch or break them.
type studentOptsEngine struct {
	engine.Engine
	edit func(srv engine.Server, opts *redis.Options)
}

func (e *studentOptsEngine) Start(ctx context.Context) (engine.Server, error) {
	srv, err := e.Engine.Start(ctx)
	if err != nil {
		return nil, err
	}
	return &studentOptsServer{Server: srv, edit: e.edit}, nil
}

type studentOptsServer struct {
	engine.Server
	edit func(srv engine.Server, opts *redis.Options)
}

func (s *studentOptsServer) StudentOptions() *redis.Options {
	opts := s.Server.StudentOptions()
	s.edit(s.Server, opts)
	return opts
}

// dyingEngine starts real servers that die when a student connects, the
// first `deaths` times: a crash the student did not cause.
func dyingEngine(eng engine.Engine, deaths int) engine.Engine {
	return &studentOptsEngine{Engine: eng, edit: func(srv engine.Server, opts *redis.Options) {
		if deaths > 0 {
			deaths--
			opts.OnConnect = func(context.Context, *redis.Conn) error {
				srv.Close()
				return nil
			}
		}
	}}
}

// A server that dies under the student's commands is replaced and the case
// run again: one death is noted and costs nothing; two fail the step only.
func TestServerDeathIsRetriedOnce(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := submissions.Open(writeSubmission(t, correctFiles(t)))
	if err != nil {
		t.Fatal(err)
	}

	rep, err := Grade(context.Background(), ex, sub, dyingEngine(testEngine(t, engine.KindProcess), 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() || !strings.Contains(rep.Steps[0].Note, "replaced") {
		t.Errorf("one death should be retried and noted: note %q\n%s", rep.Steps[0].Note, failures(rep.Steps[0]))
	}

	rep, err = Grade(context.Background(), ex, sub, dyingEngine(testEngine(t, engine.KindProcess), 2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps[0].Passed || !strings.Contains(rep.Steps[0].Checks[0].Message, "stopped twice") {
		t.Errorf("two deaths should fail step 1:\n%s", failures(rep.Steps[0]))
	}
	for _, s := range rep.Steps[1:] {
		if !s.Passed {
			t.Errorf("step %s should pass on the replacement server:\n%s", s.ID, failures(s))
		}
	}
}

// The report says which engine graded, and that miniredis is an emulator.
func TestReportNamesTheEngine(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "submissions", "examples", "lua-atomicity", "correct")
	rep := grade(t, ex, dir, testEngine(t, engine.KindEmbedded))
	if rep.Engine.Kind != "embedded" || !rep.Engine.Emulator || rep.Engine.Note == "" {
		t.Errorf("embedded engine info = %+v", rep.Engine)
	}
	rep = grade(t, ex, dir, testEngine(t, engine.KindProcess))
	if rep.Engine.Kind != "process" || rep.Engine.Emulator || !strings.HasPrefix(rep.Engine.Version, "7.") {
		t.Errorf("process engine info = %+v", rep.Engine)
	}
	if rep.Score != 4 || rep.MaxScore != 4 {
		t.Errorf("score %v/%v, want 4/4", rep.Score, rep.MaxScore)
	}
}

// A submission that outlives its total deadline gets its remaining steps
// failed, saying why, and the grading ends on time.
func TestSubmissionDeadline(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	files := correctFiles(t)
	files["step2.lua"] = "while true do end"
	sub, err := submissions.Open(writeSubmission(t, files))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	rep, err := Grade(context.Background(), ex, sub, testEngine(t, engine.KindProcess), Options{Timeout: 5 * time.Second, Deadline: time.Second})
	if err != nil {
		t.Fatalf("a slow submission is the student's problem, not the grader's: %v", err)
	}
	if took := time.Since(began); took > 4*time.Second {
		t.Errorf("grading took %s with a 1s deadline", took)
	}
	if !rep.Steps[0].Passed {
		t.Errorf("step 1 ran before the deadline and should pass:\n%s", failures(rep.Steps[0]))
	}
	for _, s := range rep.Steps[1:] {
		if s.Passed || !strings.Contains(failures(s), "used up its 1s") {
			t.Errorf("step %s should fail for want of time:\n%s", s.ID, failures(s))
		}
	}
}

// TestTimeoutEndsTheStepsCases: a script that ran out of time in one case is
// not run again in the step's other cases (step 4 has three): one verdict,
// one check, not the same wait three times.
func TestTimeoutEndsTheStepsCases(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	files := correctFiles(t)
	files["step4.lua"] = "while true do end"
	sub, err := submissions.Open(writeSubmission(t, files))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Grade(context.Background(), ex, sub, testEngine(t, "process"), Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	step := rep.Steps[3]
	if step.Passed || len(step.Checks) != 1 || !strings.Contains(step.Checks[0].Message, "timed out after 200ms") {
		t.Errorf("step 4: %d checks, want the one timeout: %s", len(step.Checks), failures(step))
	}
}
