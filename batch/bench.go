package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/submissions"
)

// Example is one example submission: a folder and the verdict per step its
// expected.yaml gives.
type Example struct {
	Name     string
	Dir      string
	Expected map[string]string // step id -> "pass" or "fail"
}

// LoadExamples reads the example submissions under dir (one folder each,
// with an expected.yaml), sorted by name.
func LoadExamples(dir string) ([]Example, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		ex := Example{Name: de.Name(), Dir: filepath.Join(dir, de.Name())}
		data, err := os.ReadFile(filepath.Join(ex.Dir, "expected.yaml"))
		if err != nil {
			return nil, err
		}
		var want struct {
			Steps map[string]string `yaml:"steps"`
		}
		if err := yaml.Unmarshal(data, &want); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(ex.Dir, "expected.yaml"), err)
		}
		ex.Expected = want.Steps
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no example submissions in %s", dir)
	}
	return out, nil
}

// GenerateClass writes a class of n submissions into dir, one folder per
// student, cycling through the examples: student0001-correct,
// student0002-correct-bom, ... It returns the example each student copies.
func GenerateClass(dir string, examples []Example, n int) (map[string]Example, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	of := make(map[string]Example, n)
	for i := 0; i < n; i++ {
		ex := examples[i%len(examples)]
		id := fmt.Sprintf("student%04d-%s", i+1, ex.Name)
		dst := filepath.Join(dir, id)
		if err := os.Mkdir(dst, 0o755); err != nil {
			return nil, err
		}
		files, err := os.ReadDir(ex.Dir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !f.Type().IsRegular() || f.Name() == "expected.yaml" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(ex.Dir, f.Name()))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dst, f.Name()), data, 0o644); err != nil {
				return nil, err
			}
		}
		of[id] = ex
	}
	return of, nil
}

// CheckResults checks a batch's results.jsonl against the class it graded:
// every student present exactly once, graded, with each step's verdict the
// one its example expects. It returns every problem found.
func CheckResults(out string, of map[string]Example) []string {
	data, err := os.ReadFile(filepath.Join(out, ResultsFile))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	seen := map[string]int{}
	log, err := ReadResults(filepath.Join(out, ResultsFile))
	if err != nil {
		return []string{err.Error()}
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for _, r := range log.Results {
		seen[r.Student]++
	}
	if len(lines) != len(of) {
		problems = append(problems, fmt.Sprintf("%d lines in %s for %d students", len(lines), ResultsFile, len(of)))
	}
	for id := range of {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d results", id, seen[id]))
		}
	}
	for _, r := range log.Results {
		ex, ok := of[r.Student]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: not in the class", r.Student))
			continue
		}
		if r.Status != StatusGraded {
			problems = append(problems, fmt.Sprintf("%s: %s: %s", r.Student, r.Status, r.Error))
			continue
		}
		for _, st := range r.Report.Steps {
			got := map[bool]string{true: "pass", false: "fail"}[st.Passed]
			if want := ex.Expected[st.ID]; want != got {
				problems = append(problems, fmt.Sprintf("%s (%s): step %s %s, expected.yaml says %s", r.Student, ex.Name, st.ID, got, want))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// WithoutProbes returns a copy of the exercise without its probes (the
// atomicity checks), to measure what they cost.
func WithoutProbes(ex *exercises.Exercise) *exercises.Exercise {
	cp := *ex
	cp.Steps = make([]exercises.Step, len(ex.Steps))
	keep := func(l checks.List) checks.List {
		var out checks.List
		for _, c := range l {
			if _, probe := c.(checks.Prober); !probe {
				out = append(out, c)
			}
		}
		return out
	}
	for i, s := range ex.Steps {
		s.Checks = keep(s.Checks)
		cases := make([]exercises.Case, len(s.Cases))
		for j, c := range s.Cases {
			c.Checks = keep(c.Checks)
			cases[j] = c
		}
		if s.Cases != nil {
			s.Cases = cases
		}
		cp.Steps[i] = s
	}
	return &cp
}

// BenchOptions configure Bench.
type BenchOptions struct {
	Exercise *exercises.Exercise
	Examples []Example
	N        int // submissions for the warm pool
	FreshN   int // for a fresh redis-server per submission
	DockerN  int // for a fresh container per submission
	Workers  int
	Dir      string    // where classes and outputs go
	Log      io.Writer // progress lines; nil = none
	// NewEngine makes an engine of a kind (engine.New by default).
	NewEngine func(kind string) (engine.Engine, error)
}

// BenchRow is one way of grading, measured.
type BenchRow struct {
	Name     string
	Engine   string
	N        int
	Elapsed  time.Duration
	Rate     float64 // submissions per second
	Problems []string
	Err      error // unavailable, or failed
}

// BenchResult is what Bench measured.
type BenchResult struct {
	Warm, WarmNoProbe, Fresh, Docker BenchRow
	Floor                            *Floor
	FloorErr                         error
}

// Bench grades generated classes in batch mode in each way: a warm pool
// with reset, the same without the atomicity probe, a fresh redis-server
// per submission, a fresh container per submission; then measures the
// floor for one correct submission.
func Bench(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	if o.NewEngine == nil {
		o.NewEngine = func(kind string) (engine.Engine, error) {
			eng, _, err := engine.New(kind, engine.Options{})
			return eng, err
		}
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	proc, err := o.NewEngine(engine.KindProcess)
	if err != nil {
		return nil, err
	}
	res := &BenchResult{}
	run := func(name string, ex *exercises.Exercise, eng engine.Engine, n int, fresh bool) BenchRow {
		row := BenchRow{Name: name, N: n}
		if eng != nil {
			row.Engine = eng.Kind()
		}
		dir := filepath.Join(o.Dir, strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(name))
		of, err := GenerateClass(filepath.Join(dir, "class"), o.Examples, n)
		if err != nil {
			row.Err = err
			return row
		}
		class, err := List(filepath.Join(dir, "class"))
		if err != nil {
			row.Err = err
			return row
		}
		logf("bench: %s: %d submissions, %d workers ...", name, n, o.Workers)
		sum, err := Run(ctx, class, Options{Exercise: ex, Engine: eng, Out: filepath.Join(dir, "out"), Workers: o.Workers, Fresh: fresh, SkipOutputs: true})
		switch {
		case err != nil:
			row.Err = err
		case sum.Err != nil:
			row.Err = sum.Err
		case sum.Interrupted:
			row.Err = errors.New("interrupted")
		}
		if sum != nil {
			row.Elapsed, row.Rate = sum.Elapsed, sum.Rate()
		}
		if row.Err == nil && ex == o.Exercise {
			row.Problems = CheckResults(filepath.Join(dir, "out"), of)
		}
		return row
	}
	res.Warm = run("warm pool with reset", o.Exercise, proc, o.N, false)
	res.WarmNoProbe = run("warm pool, no atomicity probe", WithoutProbes(o.Exercise), proc, o.N, false)
	res.Fresh = run("fresh redis-server per submission", o.Exercise, proc, o.FreshN, true)
	docker, err := o.NewEngine(engine.KindDocker)
	if err == nil {
		// One container first: an engine that cannot start one is
		// unavailable, not a class of grader errors.
		var srv engine.Server
		if srv, err = docker.Start(ctx); err == nil {
			srv.Close()
		}
	}
	if err != nil {
		res.Docker = BenchRow{Name: "fresh container per submission", Engine: engine.KindDocker, Err: err}
	} else {
		res.Docker = run("fresh container per submission", o.Exercise, docker, o.DockerN, true)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	correct := o.Examples[0]
	for _, e := range o.Examples {
		if e.Name == "correct" {
			correct = e
		}
	}
	logf("bench: floor: capturing the commands of one grading of %s ...", correct.Name)
	res.Floor, res.FloorErr = MeasureFloor(ctx, o.Exercise, correct.Dir, proc)
	return res, nil
}

// Print writes the benchmark's table.
func (r *BenchResult) Print(w io.Writer, workers int) {
	fmt.Fprintf(w, "%-36s %-8s %6s %9s %12s  %s\n", "mode", "engine", "subs", "time", "subs/s", "vs warm pool")
	for i, row := range []BenchRow{r.Warm, r.WarmNoProbe, r.Fresh, r.Docker} {
		if row.Err != nil {
			fmt.Fprintf(w, "%-36s %-8s unavailable: %v\n", row.Name, row.Engine, oneLine(row.Err.Error()))
			continue
		}
		ratio := "1×"
		if i > 0 && row.Rate > 0 && r.Warm.Rate > 0 {
			if row.Rate <= r.Warm.Rate {
				ratio = fmt.Sprintf("warm is %.1f× faster", r.Warm.Rate/row.Rate)
			} else {
				ratio = fmt.Sprintf("%.2f× the warm rate", row.Rate/r.Warm.Rate)
			}
		}
		fmt.Fprintf(w, "%-36s %-8s %6d %8.2fs %12.1f  %s\n", row.Name, row.Engine, row.N, row.Elapsed.Seconds(), row.Rate, ratio)
	}
	fmt.Fprintf(w, "(%d workers, each with its own server)\n", workers)
	for _, row := range []BenchRow{r.Warm, r.Fresh, r.Docker} {
		if row.Err == nil && len(row.Problems) == 0 && row.N > 0 {
			fmt.Fprintf(w, "check %s: all %d students in results.jsonl once, every step's verdict as its example's expected.yaml says\n", row.Name, row.N)
		}
		for i, p := range row.Problems {
			if i == 10 {
				fmt.Fprintf(w, "  ... %d more\n", len(row.Problems)-10)
				break
			}
			fmt.Fprintf(w, "PROBLEM %s: %s\n", row.Name, p)
		}
	}
	if r.FloorErr != nil {
		fmt.Fprintf(w, "floor: unavailable: %v\n", r.FloorErr)
	} else if r.Floor != nil {
		r.Floor.Print(w)
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// Problems reports whether any row found wrong results.
func (r *BenchResult) Problems() bool {
	return len(r.Warm.Problems)+len(r.Fresh.Problems)+len(r.Docker.Problems) > 0
}

// gradeOne grades a folder on a session, for the floor.
func gradeOne(ctx context.Context, sess *grader.Session, ex *exercises.Exercise, dir string) error {
	sub, err := submissions.Open(dir)
	if err != nil {
		return err
	}
	rep, err := sess.Grade(ctx, ex, sub, grader.Options{})
	if err != nil {
		return err
	}
	if !rep.Passed() {
		return fmt.Errorf("%s does not pass", dir)
	}
	return nil
}
