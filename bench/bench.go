// Package bench measures the grader: a class graded in batch mode in each way
// (warm pool, fresh servers, containers), the floor of one grading (the Redis
// work it does, sent straight), and a load test of a running serve.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/batch"
	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/submissions"
)

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

// Options configure Run.
type Options struct {
	Exercise *exercises.Exercise
	Examples []batch.Example
	N        int // submissions for the warm pool
	FreshN   int // for a fresh redis-server per submission
	DockerN  int // for a fresh container per submission
	Workers  int
	Dir      string    // where classes and outputs go
	Log      io.Writer // progress lines; nil = none
	// NewEngine makes an engine of a kind (engine.New by default).
	NewEngine func(kind string) (engine.Engine, error)
}

// Row is one way of grading, measured.
type Row struct {
	Name     string
	Engine   string
	Server   string // which server graded: "Redis 7.0.15", "Valkey 8.1.1"
	N        int
	Elapsed  time.Duration
	Rate     float64 // submissions per second
	Problems []string
	Err      error // unavailable, or failed
}

// Result is what Run measured.
type Result struct {
	Warm, WarmNoProbe, Fresh, Docker Row
	Floor                            *Floor
	FloorErr                         error
}

// Run grades generated classes in batch mode in each way: a warm pool
// with reset, the same without the probes (the checks that run the
// student's commands again: serializable, atomic, compare), a fresh redis-server
// per submission, a fresh container per submission; then measures the
// floor for one correct submission.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.NewEngine == nil {
		o.NewEngine = func(kind string) (engine.Engine, error) {
			eng, _, err := engine.New(ctx, kind, engine.Options{})
			return eng, err
		}
	}
	proc, err := o.NewEngine(engine.KindProcess)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	res.Warm = o.gradeClass(ctx, "warm pool with reset", o.Exercise, proc, o.N, false)
	res.WarmNoProbe = o.gradeClass(ctx, "warm pool, no probe", WithoutProbes(o.Exercise), proc, o.N, false)
	res.Fresh = o.gradeClass(ctx, "fresh redis-server per submission", o.Exercise, proc, o.FreshN, true)
	if docker, err := o.dockerEngine(ctx); err != nil {
		res.Docker = Row{Name: "fresh container per submission", Engine: engine.KindDocker, Err: err}
	} else {
		res.Docker = o.gradeClass(ctx, "fresh container per submission", o.Exercise, docker, o.DockerN, true)
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
	o.logf("bench: floor: capturing the commands of one grading of %s ...", correct.Name)
	res.Floor, res.FloorErr = MeasureFloor(ctx, o.Exercise, correct.Dir, proc)
	return res, nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// gradeClass generates a class of n submissions and grades it in batch
// mode, each on a fresh server or on warm ones, and checks the verdicts
// of the exercise's own.
func (o *Options) gradeClass(ctx context.Context, name string, ex *exercises.Exercise, eng engine.Engine, n int, fresh bool) Row {
	row := Row{Name: name, N: n}
	if eng != nil {
		row.Engine = eng.Kind()
	}
	dir := filepath.Join(o.Dir, strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(name))
	of, err := batch.GenerateClass(filepath.Join(dir, "class"), o.Examples, n)
	if err != nil {
		row.Err = err
		return row
	}
	class, err := batch.List(filepath.Join(dir, "class"))
	if err != nil {
		row.Err = err
		return row
	}
	o.logf("bench: %s: %d submissions, %d workers ...", name, n, o.Workers)
	sum, err := batch.Run(ctx, class, batch.Options{Exercise: ex, Engine: eng, Out: filepath.Join(dir, "out"), Workers: o.Workers, Fresh: fresh, SkipOutputs: true})
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
		if sum.Engine.Kind != "" {
			row.Server = sum.Engine.ServerName()
		}
	}
	if row.Err == nil && ex == o.Exercise {
		row.Problems = batch.CheckResults(filepath.Join(dir, "out"), of)
	}
	return row
}

// dockerEngine is the docker engine, once it has started a container: an
// engine that cannot start one is unavailable, not a class of grader
// errors.
func (o *Options) dockerEngine(ctx context.Context) (engine.Engine, error) {
	docker, err := o.NewEngine(engine.KindDocker)
	if err != nil {
		return nil, err
	}
	srv, err := docker.Start(ctx)
	if err != nil {
		return nil, err
	}
	srv.Close()
	return docker, nil
}

// Print writes the benchmark's table.
// servers names the server each engine's rows graded on: "; process: Valkey 8.1.1, docker: Redis 7.0.15".
func servers(rows ...Row) string {
	var out []string
	for _, row := range rows {
		if row.Server != "" {
			out = append(out, row.Engine+": "+row.Server)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, ", ")
}

func (r *Result) Print(w io.Writer, workers int) {
	fmt.Fprintf(w, "%-36s %-8s %6s %9s %12s  %s\n", "mode", "engine", "subs", "time", "subs/s", "vs warm pool")
	for i, row := range []Row{r.Warm, r.WarmNoProbe, r.Fresh, r.Docker} {
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
	fmt.Fprintf(w, "(%d workers, each with its own server%s)\n", workers, servers(r.Warm, r.Docker))
	for _, row := range []Row{r.Warm, r.Fresh, r.Docker} {
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
func (r *Result) Problems() bool {
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
