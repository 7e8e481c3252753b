package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/words"
)

// gradeClass generates n students from the examples, plus the extra
// entries, and runs a batch on them.
func gradeClass(t *testing.T, n int, opts Options, extra map[string][]byte) (*Summary, map[string]Example, string) {
	t.Helper()
	dir := t.TempDir()
	classDir := filepath.Join(dir, "class")
	of, err := GenerateClass(classDir, loadExamples(t), n)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range extra {
		writeFile(t, filepath.Join(classDir, name), data)
	}
	class, err := List(classDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { class.Close() })
	if opts.Exercise == nil {
		opts.Exercise = loadExercise(t)
	}
	if opts.Engine == nil {
		opts.Engine = redistest.ProcessEngine(t)
	}
	if opts.Out == "" {
		opts.Out = filepath.Join(dir, "out")
	}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	sum, err := Run(context.Background(), class, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum, of, opts.Out
}

// TestRunClass grades every example (twice over) and two unreadable
// entries, and checks every output against what the examples expect.
func TestRunClass(t *testing.T) {
	ex := loadExercise(t)
	examples := loadExamples(t)
	n := 2 * len(examples)
	var progress bytes.Buffer
	sum, of, out := gradeClass(t, n, Options{Progress: &progress, ProgressEvery: 50 * time.Millisecond}, map[string][]byte{
		"broken.zip": []byte("not a zip"),
		"notes.txt":  []byte("hello"),
	})
	if sum.Err != nil || sum.Interrupted {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Students != n+2 || sum.Saved != n+2 || sum.Graded != n || sum.SubmissionErrors != 2 || sum.Remaining != 0 {
		t.Errorf("summary: %d students, %d saved, %d graded, %d submission errors, %d remaining; want %d, %d, %d, 2, 0",
			sum.Students, sum.Saved, sum.Graded, sum.SubmissionErrors, sum.Remaining, n+2, n+2, n)
	}
	wantFailed := 0
	for _, e := range of {
		for _, v := range e.Expected {
			if v == "fail" {
				wantFailed++
				break
			}
		}
	}
	if sum.Failed != wantFailed {
		t.Errorf("%d failed, the examples say %d", sum.Failed, wantFailed)
	}

	// results.jsonl: every student once, with the expected verdicts; the
	// unreadable entries as submission errors.
	of["broken"], of["notes.txt"] = Example{Name: "broken"}, Example{Name: "notes.txt"}
	var problems []string
	for _, p := range CheckResults(out, of) {
		if !strings.HasPrefix(p, "broken: error:") && !strings.HasPrefix(p, "notes.txt: error:") {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		t.Errorf("results.jsonl:\n%s", strings.Join(problems, "\n"))
	}
	log, err := ReadResults(filepath.Join(out, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	res := log.ByStudent()
	if r := res["broken"]; r == nil || r.ErrorKind != ErrorSubmission || !strings.Contains(r.Error, "broken.zip: zip: not a valid zip file") {
		t.Errorf("broken: %+v", r)
	}

	// grades.csv: a header, then one row per student agreeing with the reports.
	f, err := os.Open(filepath.Join(out, GradesFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	header := "student,score,max_score,setup,script,run-atomically,return-values,status,error"
	if got := strings.Join(rows[0], ","); got != header {
		t.Errorf("header %q, want %q", got, header)
	}
	if len(rows) != n+3 {
		t.Fatalf("%d rows, want %d students and a header", len(rows), n+2)
	}
	for _, row := range rows[1:] {
		r := res[row[0]]
		if r == nil {
			t.Errorf("csv row for unknown student %q", row[0])
			continue
		}
		if row[1] != words.Number(r.Score) || row[2] != "4" || row[7] != r.Status {
			t.Errorf("csv row %v disagrees with the result %+v", row, r)
		}
		if r.Report != nil {
			total := 0.0
			for i, st := range r.Report.Steps {
				if row[3+i] != words.Number(st.Score) {
					t.Errorf("%s: column %s = %q, step score %v", row[0], rows[0][3+i], row[3+i], st.Score)
				}
				v, _ := strconv.ParseFloat(row[3+i], 64)
				total += v
			}
			if words.Number(total) != row[1] {
				t.Errorf("%s: steps add up to %v, score %s", row[0], total, row[1])
			}
		}
	}

	// Feedback: one file per student; a failing one explains itself.
	fb, err := os.ReadDir(filepath.Join(out, FeedbackDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != n+2 {
		t.Errorf("%d feedback files, want %d", len(fb), n+2)
	}
	var twoCommands string
	for id, e := range of {
		if e.Name == "two-commands" {
			twoCommands = id
		}
	}
	md, err := os.ReadFile(filepath.Join(out, FeedbackDir, FeedbackName(twoCommands)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**Score: 3/4** · 1 of 4 steps failed",
		"| ✘ | 3. Run the script atomically with EVAL | `step3.redis` | 0/1 |",
		"## ✘ Step 3: Run the script atomically with EVAL (`step3.redis`), 0/1",
		"- ✘ **sends EVAL once with arguments \\* 0**",
		"step3.redis sends EVAL 0 times, expected once",
		"  - expected: `you then the dashboard: sales: a string \"1\"; stock: a string \"99\"; you got 99, 1; the dashboard got [\"99\", \"1\"]",
		"**Hint:** EVAL \"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\" 0",
	} {
		if !strings.Contains(string(md), strings.ReplaceAll(want, "stock \\+ sales", "stock + sales")) {
			t.Errorf("feedback of two-commands lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "## ✘ Step 1") || strings.Contains(string(md), "## ✘ Step 4") {
		t.Errorf("feedback explains steps that passed:\n%s", md)
	}
	broken, _ := os.ReadFile(filepath.Join(out, FeedbackDir, "broken.md"))
	if !strings.Contains(string(broken), "could not be read") || !strings.Contains(string(broken), "not a valid zip file") {
		t.Errorf("feedback of broken.zip:\n%s", broken)
	}

	// The report names every step, and the histogram adds up to the class.
	page, err := os.ReadFile(filepath.Join(out, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ex.Steps {
		if !strings.Contains(string(page), s.Title) {
			t.Errorf("report.html lacks step %q", s.Title)
		}
	}
	st := Stats(ex, log.Results, RunInfo{})
	total := 0
	for _, b := range st.Histogram {
		total += b.Count
	}
	if total != n || len(st.Histogram) != 5 {
		t.Errorf("histogram %+v: %d bins counting %d, want 5 bins counting %d", st.Histogram, len(st.Histogram), total, n)
	}

	// Progress came as plain lines (not a terminal), ending at the total.
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "redisgrade: "+strconv.Itoa(n+2)+"/"+strconv.Itoa(n+2)+" 100%") || strings.Contains(progress.String(), "\r") {
		t.Errorf("progress:\n%s", progress.String())
	}
	if !strings.Contains(last, strconv.Itoa(wantFailed)+" with a failing step · 2 errors") {
		t.Errorf("last progress line %q should count %d failed and 2 errors", last, wantFailed)
	}
}

// TestRunInterruptAndResume cancels a batch part-way: the results saved are
// whole, no server is left running, and --resume grades exactly the rest.
func TestRunInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	of, err := GenerateClass(filepath.Join(dir, "class"), loadExamples(t), 40)
	if err != nil {
		t.Fatal(err)
	}
	class, err := List(filepath.Join(dir, "class"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	opts := Options{Exercise: loadExercise(t), Engine: redistest.ProcessEngine(t), Out: out, Workers: 2}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once a few results are saved.
		for {
			data, _ := os.ReadFile(filepath.Join(out, ResultsFile))
			if bytes.Count(data, []byte("\n")) >= 5 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	sum, err := Run(ctx, class, opts)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Remaining == 0 || sum.Saved+sum.Remaining != 40 {
		t.Fatalf("summary %+v: want interrupted with some students left", sum)
	}
	if left := redisServersOf(t, os.Getpid()); len(left) > 0 {
		t.Errorf("redis-server processes left running: %v", left)
	}
	log, err := ReadResults(filepath.Join(out, ResultsFile))
	if err != nil || log.Torn != "" || len(log.Results) != sum.Saved {
		t.Fatalf("after the interruption: %d results (torn %q), %v; want %d whole ones", len(log.Results), log.Torn, err, sum.Saved)
	}
	page, _ := os.ReadFile(filepath.Join(out, ReportFile))
	if !strings.Contains(string(page), `id="partial"`) {
		t.Error("the report of an interrupted batch does not say it is partial")
	}

	// Without --resume the folder is refused; with it, the rest is graded.
	if _, err := Run(context.Background(), class, opts); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("a second run without --resume: %v", err)
	}
	opts.Resume = true
	sum2, err := Run(context.Background(), class, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Skipped != sum.Saved || sum2.Saved != sum.Remaining || sum2.Remaining != 0 {
		t.Errorf("resume: skipped %d, saved %d, remaining %d; want %d, %d, 0", sum2.Skipped, sum2.Saved, sum2.Remaining, sum.Saved, sum.Remaining)
	}
	if problems := CheckResults(out, of); len(problems) > 0 {
		t.Errorf("after resume:\n%s", strings.Join(problems, "\n"))
	}
}

// failingEngine starts servers from a real engine until told to fail.
type failingEngine struct {
	engine.Engine
	mu        sync.Mutex
	failStart bool
	failReset bool
}

func (e *failingEngine) Start(ctx context.Context) (engine.Server, error) {
	e.mu.Lock()
	fail := e.failStart
	e.mu.Unlock()
	if fail {
		return nil, errors.New("no server for you")
	}
	srv, err := e.Engine.Start(ctx)
	if err != nil {
		return nil, err
	}
	return &failingServer{Server: srv, e: e}, nil
}

type failingServer struct {
	engine.Server
	e *failingEngine
}

func (s *failingServer) Reset(ctx context.Context, given ...[]any) error {
	s.e.mu.Lock()
	fail := s.e.failReset
	s.e.mu.Unlock()
	if fail {
		return errors.New("reset refused")
	}
	return s.Server.Reset(ctx, given...)
}

// TestGraderFailures: a server that fails under grading is replaced and the
// submission graded again; a grader that keeps failing records grader
// errors (graded again by --resume) and stops the batch; an engine that
// cannot start a server stops it with nothing recorded.
func TestGraderFailures(t *testing.T) {
	t.Run("reset keeps failing", func(t *testing.T) {
		eng := &failingEngine{Engine: redistest.ProcessEngine(t), failReset: true}
		sum, _, out := gradeClass(t, 10, Options{Engine: eng, Workers: 1, SkipOutputs: true}, nil)
		if sum.GraderErrors != probeAfterGraderErrors || sum.Probes != 1 || sum.Err == nil || !strings.Contains(sum.Err.Error(), "in a row") ||
			!strings.Contains(sum.Err.Error(), "reference solution on a fresh server too (") {
			t.Fatalf("summary %+v, err %v: want %d grader errors, a failed probe and a stop", sum, sum.Err, probeAfterGraderErrors)
		}
		log, err := ReadResults(filepath.Join(out, ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range log.Results {
			if r.ErrorKind != ErrorGrader || !strings.Contains(r.Error, "reset refused") {
				t.Errorf("result %+v, want a grader error saying why", r)
			}
		}
		kept, err := prepareResume(filepath.Join(out, ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range kept.Results {
			if r.final() {
				t.Errorf("resume would not grade %s again after one run's grader error", r.Student)
			}
		}
	})
	t.Run("refused by requires", func(t *testing.T) {
		ex := loadExercise(t)
		refusing := *ex
		refusing.Requires = exercises.Requires{Redis: ">=99.0", Valkey: "none"}
		sum, _, out := gradeClass(t, 5, Options{Exercise: &refusing, Workers: 2, SkipOutputs: true}, nil)
		if sum.Err == nil || !strings.Contains(sum.Err.Error(), "needs Redis >=99.0 (no Valkey); the process engine runs Redis ") || sum.Saved != 0 || sum.Remaining != 5 {
			t.Fatalf("summary %+v (err %v): want a stop naming both ranges, nothing saved", sum, sum.Err)
		}
		data, _ := os.ReadFile(filepath.Join(out, ResultsFile))
		if len(data) != 0 {
			t.Errorf("results.jsonl holds %q", data)
		}
	})
	t.Run("no server starts", func(t *testing.T) {
		eng := &failingEngine{Engine: redistest.ProcessEngine(t), failStart: true}
		sum, _, out := gradeClass(t, 5, Options{Engine: eng, Workers: 2, SkipOutputs: true}, nil)
		if sum.Err == nil || !strings.Contains(sum.Err.Error(), "no server for you") || sum.Saved != 0 || sum.Remaining != 5 {
			t.Fatalf("summary %+v (err %v): want a stop, nothing saved", sum, sum.Err)
		}
		data, _ := os.ReadFile(filepath.Join(out, ResultsFile))
		if len(data) != 0 {
			t.Errorf("results.jsonl holds %q", data)
		}
	})
}

// poisonEngine's servers fail to reset once a student's commands have
// set the key "poison": a grader error that the student's data causes
// (at the reset for the student's next step), whatever the grader does
// about such data.
type poisonEngine struct{ engine.Engine }

func (e poisonEngine) Start(ctx context.Context) (engine.Server, error) {
	srv, err := e.Engine.Start(ctx)
	if err != nil {
		return nil, err
	}
	return poisonServer{srv}, nil
}

type poisonServer struct{ engine.Server }

func (s poisonServer) Reset(ctx context.Context, given ...[]any) error {
	admin := redis.NewClient(s.Options())
	defer admin.Close()
	if n, err := admin.Exists(ctx, "poison").Result(); err != nil || n > 0 {
		return fmt.Errorf("reset refused: poisoned (%v)", err)
	}
	return s.Server.Reset(ctx, given...)
}

// TestGraderErrorsOfStudents: grader errors in a row do not stop a batch
// while the reference solution grades fine on a fresh server: later
// students are graded. --resume tries such a student again in at most
// MaxGraderRuns runs in all, then keeps its grader error.
func TestGraderErrorsOfStudents(t *testing.T) {
	extra := map[string][]byte{}
	for i := range probeAfterGraderErrors + 1 {
		extra[fmt.Sprintf("a-poisoned-%d/step1.redis", i)] = []byte("SET poison 1\n")
		extra[fmt.Sprintf("a-poisoned-%d/step2.lua", i)] = []byte("return 1\n") // its case resets the server
	}
	opts := Options{Engine: poisonEngine{redistest.ProcessEngine(t)}, Workers: 1, SkipOutputs: true}
	sum, of, _ := gradeClass(t, 6, opts, extra)
	if sum.Err != nil || sum.GraderErrors != probeAfterGraderErrors+1 || sum.Graded != len(of) || sum.Probes != 1 {
		t.Fatalf("summary %+v (err %v): want %d grader errors, one probe that passed, and all %d others graded",
			sum, sum.Err, probeAfterGraderErrors+1, len(of))
	}

	// One poisoned student, resumed run after run.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "class", "poisoned", "step1.redis"), []byte("SET poison 1\n"))
	writeFile(t, filepath.Join(dir, "class", "poisoned", "step2.lua"), []byte("return 1\n"))
	class, err := List(filepath.Join(dir, "class"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Exercise, opts.Out = loadExercise(t), filepath.Join(dir, "out")
	for run := 1; run <= MaxGraderRuns+1; run++ {
		opts.Resume = run > 1
		sum, err := Run(context.Background(), class, opts)
		if err != nil {
			t.Fatal(err)
		}
		log, err := ReadResults(filepath.Join(opts.Out, ResultsFile))
		if err != nil || len(log.Results) != 1 || log.lines != 1 {
			t.Fatalf("run %d: %d results in %d lines, %v; want one line", run, len(log.Results), log.lines, err)
		}
		r := log.Results[0]
		wantRuns, wantSaved, wantGaveUp := min(run, MaxGraderRuns), 1, 0
		if run > MaxGraderRuns {
			wantSaved = 0
		}
		if run >= MaxGraderRuns {
			wantGaveUp = 1
		}
		if r.ErrorKind != ErrorGrader || r.GraderRuns != wantRuns || sum.Saved != wantSaved || sum.GaveUp != wantGaveUp {
			t.Errorf("run %d: result %s/%d, saved %d, gave up %d; want a grader error of run %d, saved %d, gave up %d",
				run, r.ErrorKind, r.GraderRuns, sum.Saved, sum.GaveUp, wantRuns, wantSaved, wantGaveUp)
		}
	}
}

func TestProgressLine(t *testing.T) {
	began := time.Unix(1000, 0)
	p := newProgress(Options{}, 100, 10, began)
	for i := 0; i < 30; i++ {
		p.add(&Result{Status: StatusError})
	}
	_, line := p.line(began.Add(10 * time.Second))
	want := "40/100  40% · 3.0/s · ETA 20s · 0 with a failing step · 30 errors · 10 from before"
	if line != want {
		t.Errorf("line %q, want %q", line, want)
	}
	var buf bytes.Buffer
	p = newProgress(Options{Progress: &buf, Terminal: true}, 4, 0, time.Now())
	p.start()
	p.add(&Result{Status: StatusError})
	p.stop()
	if got := buf.String(); !strings.HasPrefix(got, "\r\x1b[K") || !strings.Contains(got, "███████") || !strings.Contains(got, "1/4  25%") || !strings.HasSuffix(got, "\n") {
		t.Errorf("terminal bar %q", got)
	}
}

// TestOutFolder: an --out that holds files but no batch is refused, naming
// them, unless forced; --resume needs a batch to continue.
func TestOutFolder(t *testing.T) {
	class := &Class{Entries: []Entry{{Student: "ana", Err: errors.New("unreadable")}}}
	opts := Options{Exercise: loadExercise(t), Engine: redistest.ProcessEngine(t), Workers: 1, SkipOutputs: true}
	run := func(out string, resume, force bool) error {
		o := opts
		o.Out, o.Resume, o.Force = out, resume, force
		_, err := Run(context.Background(), class, o)
		return err
	}
	mine := t.TempDir()
	writeFile(t, filepath.Join(mine, "grades.csv"), []byte("my own grades"))
	writeFile(t, filepath.Join(mine, "report.html"), []byte("mine"))
	err := run(mine, false, false)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "is not empty and holds no batch (grades.csv, report.html)") {
		t.Errorf("non-empty --out: %v, want an InputError naming the files", err)
	}
	if data, _ := os.ReadFile(filepath.Join(mine, "grades.csv")); string(data) != "my own grades" {
		t.Errorf("grades.csv was overwritten: %q", data)
	}
	if err := run(mine, false, true); err != nil {
		t.Errorf("--force: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "new")
	if err := run(fresh, true, false); !errors.As(err, &ie) || !strings.Contains(err.Error(), "holds no results.jsonl") {
		t.Errorf("--resume on a new folder: %v, want refused", err)
	}
	if err := run(fresh, false, false); err != nil {
		t.Errorf("a new folder: %v", err)
	}
	if err := run(fresh, true, false); err != nil {
		t.Errorf("--resume on a batch: %v", err)
	}
	if err := run(t.TempDir(), false, false); err != nil {
		t.Errorf("an empty folder: %v", err)
	}
}
