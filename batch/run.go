package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// Options configure a batch.
type Options struct {
	Exercise *exercises.Exercise
	Engine   engine.Engine
	// EngineReason says why this engine was chosen, for the class report.
	EngineReason string
	// Out is the output folder: results.jsonl, grades.csv, feedback/,
	// report.html.
	Out string
	// Workers grade in parallel, each on its own server (0:
	// grader.DefaultJobs()).
	Workers int
	// Fresh grades each submission on a new server (grader.Grade) instead
	// of a worker's warm one.
	Fresh bool
	// Resume continues the results.jsonl in Out, skipping the students it
	// holds. Without it, an Out holding results.jsonl is refused; with it,
	// an Out without one is.
	Resume bool
	// Force writes into an Out that holds other files than a batch's.
	Force bool
	// Grade tunes each grading.
	Grade grader.Options
	// Progress receives progress reports (nil: none); Terminal redraws one
	// line as a bar, otherwise a plain line is written every ProgressEvery
	// (default 2s).
	Progress      io.Writer
	Terminal      bool
	ProgressEvery time.Duration
	// Grace is how long gradings under way may finish once ctx is done
	// (default 10s); a grading cut short after it is dropped, not saved.
	// Closing Abort ends it at once (a second Ctrl-C).
	Grace time.Duration
	Abort <-chan struct{}
	// SkipOutputs writes results.jsonl only (the benchmark).
	SkipOutputs bool

	// graderRuns is, for students with a grader error in results.jsonl,
	// in how many runs the grader failed on them so far.
	graderRuns map[string]int
}

// InputError is a problem with what the user gave (the output folder, an
// earlier results.jsonl): nothing was graded.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Summary tells what a batch did.
type Summary struct {
	Students int // in the class
	Skipped  int // already in results.jsonl (--resume)
	Saved    int // results saved by this run
	Graded   int // of them, graded
	Failed   int // of them, graded with a failing step
	// NotGraded are graded students with a step this engine could not grade
	// (their score is not their grade).
	NotGraded int
	// SubmissionErrors are students whose entry could not be read;
	// GraderErrors students the grader failed on in this run. GaveUp
	// counts, in the whole results.jsonl, the students the grader failed
	// on in MaxGraderRuns runs: --resume grades the others again, not them.
	// ToRetry counts those --resume will grade again.
	SubmissionErrors, GraderErrors, GaveUp, ToRetry int
	// Probes counts the reference solution's gradings run to tell a
	// broken engine from students the grader fails on.
	Probes int
	// Remaining students have no result: the batch was interrupted, or
	// stopped because the engine failed (Err).
	Remaining   int
	Interrupted bool
	Err         error
	Elapsed     time.Duration
	Workers     int
	Engine      report.Engine
	// Outputs lists the files written, results.jsonl first.
	Outputs []string
}

// Rate is the submissions saved per second by this run.
func (s *Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Saved) / s.Elapsed.Seconds()
}

// probeAfterGraderErrors grader errors in a row make the batch check the
// engine: it grades the exercise's reference solution on a fresh server
// (the probe). Only if that fails too does the batch stop, since then the
// engine, not the students, is the problem; otherwise it carries on.
const probeAfterGraderErrors = 3

// Run grades the class into opts.Out. It returns an error only when it
// could not start (an *InputError for the user's input) or could not write
// its outputs; what happened to the students is in the Summary, with
// Summary.Err set when grading stopped early.
func Run(ctx context.Context, class *Class, opts Options) (*Summary, error) {
	if opts.Workers <= 0 {
		opts.Workers = grader.DefaultJobs()
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 2 * time.Second
	}
	if err := checkOut(opts.Out, opts.Resume, opts.Force); err != nil {
		return nil, &InputError{Err: err}
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, &InputError{Err: fmt.Errorf("--out: %w", err)}
	}
	resultsPath := filepath.Join(opts.Out, ResultsFile)
	before, err := prepareResume(resultsPath)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	for _, r := range before.Results {
		if r.Report != nil && r.Report.Exercise != opts.Exercise.ID {
			return nil, &InputError{Err: fmt.Errorf("%s holds results of exercise %q, not %q: choose another --out", resultsPath, r.Report.Exercise, opts.Exercise.ID)}
		}
	}
	done := map[string]bool{}
	opts.graderRuns = map[string]int{}
	for _, r := range before.Results {
		switch {
		case r.final():
			done[r.Student] = true
		case r.ErrorKind == ErrorGrader:
			opts.graderRuns[r.Student] = max(r.GraderRuns, 1) // graded again
		}
	}

	sum := &Summary{Students: len(class.Entries), Workers: opts.Workers}
	var todo []Entry
	for _, e := range class.Entries {
		if done[e.Student] {
			sum.Skipped++
			continue
		}
		todo = append(todo, e)
	}

	app, err := openAppender(resultsPath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", resultsPath, err)
	}
	began := time.Now()
	prog := newProgress(opts, sum.Students, sum.Skipped, began)
	prog.start()
	stats := runWorkers(ctx, todo, opts, app, prog, sum)
	prog.stop()
	if cerr := app.Close(); cerr != nil && sum.Err == nil {
		sum.Err = fmt.Errorf("close %s: %w", resultsPath, cerr)
	}
	sum.Elapsed = time.Since(began)
	sum.Remaining = len(todo) - sum.Saved
	sum.Engine = stats.engine
	sum.Outputs = []string{resultsPath}
	log, err := ReadResults(resultsPath)
	if err != nil {
		return sum, fmt.Errorf("read back %s: %w", resultsPath, err)
	}
	// A student graded again after a grader error has two lines: keep the
	// last, so that each student is in the file once.
	if err := compactResults(resultsPath, log); err != nil {
		return sum, fmt.Errorf("compact %s: %w", resultsPath, err)
	}
	for _, r := range log.Results {
		switch {
		case r.ErrorKind != ErrorGrader:
		case r.final():
			sum.GaveUp++
		default:
			sum.ToRetry++
		}
	}
	if opts.SkipOutputs {
		return sum, nil
	}
	outs, err := WriteOutputs(opts.Out, opts.Exercise, log.Results, RunInfo{
		Engine: sum.Engine, EngineReason: opts.EngineReason, Workers: opts.Workers, Fresh: opts.Fresh,
		Students: sum.Students, Saved: sum.Saved, Skipped: sum.Skipped, Elapsed: sum.Elapsed,
		Interrupted: sum.Interrupted, Remaining: sum.Remaining, Finished: time.Now(),
		StepFile: classStepFile(class),
	})
	sum.Outputs = append(sum.Outputs, outs...)
	if err != nil {
		return sum, err
	}
	return sum, nil
}

type runStats struct {
	engine report.Engine
}

// runWorkers grades todo with opts.Workers workers and one writer.
func runWorkers(ctx context.Context, todo []Entry, opts Options, app *appender, prog *progress, sum *Summary) runStats {
	// Gradings under way are not cut short by ctx: they get opts.Grace to
	// finish, so that a result is either whole or not saved at all.
	gctx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	// stopped ends the dispatch: ctx done, the engine failing, or the
	// results file failing.
	stopped, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		<-stopped.Done()
		if ctx.Err() == nil {
			return // a stop from inside: gradings under way end normally
		}
		select {
		case <-time.After(opts.Grace):
		case <-opts.Abort:
		case <-gctx.Done():
		}
		hardStop()
	}()

	jobs := make(chan Entry)
	results := make(chan *Result, 2*opts.Workers)
	go func() {
		defer close(jobs)
		for _, e := range todo {
			select {
			case jobs <- e:
			case <-stopped.Done():
				return
			}
		}
	}()

	var (
		mu          sync.Mutex
		info        report.Engine
		graderInRow int
		probing     bool
	)
	pool := grader.NewPool(grader.PoolConfig{Engine: opts.Engine, Jobs: opts.Workers, Fresh: opts.Fresh})
	defer pool.Close()
	w := &worker{opts: opts, pool: pool}
	var wg sync.WaitGroup
	for i := 0; i < opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range jobs {
				r, err := w.grade(gctx, e)
				if err != nil {
					stop(err)
					return
				}
				if r == nil {
					continue // cut short by a hard stop: not saved
				}
				mu.Lock()
				if r.Report != nil && info.Kind == "" {
					info = r.Report.Engine
				}
				if r.ErrorKind == ErrorGrader {
					graderInRow++
				} else {
					graderInRow = 0
				}
				probe := graderInRow >= probeAfterGraderErrors && !probing
				if probe {
					probing = true
				}
				mu.Unlock()
				results <- r
				if !probe {
					continue
				}
				// The others carry on meanwhile.
				perr := probeEngine(gctx, opts)
				mu.Lock()
				probing = false
				sum.Probes++
				if perr == nil {
					graderInRow = 0 // the engine works: those were the students' submissions
				}
				mu.Unlock()
				if perr != nil {
					stop(fmt.Errorf("the grader failed on %d submissions in a row (last: %s), and on the exercise's reference solution on a fresh server too (%v): the engine is failing, not the students", probeAfterGraderErrors, r.Error, perr))
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	// The one writer: whatever results are waiting are written, then synced
	// once, before they count as saved.
	for r := range results {
		batch := []*Result{r}
	drain:
		for {
			select {
			case more, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, more)
			default:
				break drain
			}
		}
		if sum.Err != nil {
			continue // the file failed: drain the workers, save nothing more
		}
		lines := make([][]byte, 0, len(batch))
		for _, r := range batch {
			line, err := marshalLine(r)
			if err != nil {
				sum.Err = err
				break
			}
			lines = append(lines, line)
		}
		if sum.Err == nil {
			if err := app.write(lines); err != nil {
				sum.Err = fmt.Errorf("save results: %w", err)
			}
		}
		if sum.Err != nil {
			stop(sum.Err)
			continue
		}
		for _, r := range batch {
			sum.Saved++
			switch {
			case r.Status == StatusGraded:
				sum.Graded++
				switch {
				case !r.Report.Complete():
					sum.NotGraded++
				case !r.Report.Passed():
					sum.Failed++
				}
			case r.ErrorKind == ErrorGrader:
				sum.GraderErrors++
			default:
				sum.SubmissionErrors++
			}
			prog.add(r)
		}
	}
	if cause := context.Cause(stopped); cause != nil && sum.Err == nil {
		if ctx.Err() != nil {
			sum.Interrupted = true
		} else if !errors.Is(cause, context.Canceled) {
			sum.Err = cause
		}
	}
	return runStats{engine: info}
}

// worker grades the batch's entries on its session pool, under the pool's
// policy: a warm session per worker (a fresh one per submission with
// opts.Fresh), and one more try on a fresh session when the grader fails.
type worker struct {
	opts Options
	pool *grader.Pool
}

// grade returns the student's result, nil when a hard stop cut the grading
// short (nothing to save), or an error when no server can be started.
func (w *worker) grade(ctx context.Context, e Entry) (*Result, error) {
	res := &Result{Student: e.Student, MaxScore: w.opts.Exercise.MaxScore(), Notes: e.Notes}
	if e.Err != nil {
		return w.failed(res, ErrorSubmission, e.Err.Error()), nil
	}
	sub, err := submissions.Open(e.Path)
	if err != nil {
		// Name the entry as the instructor knows it, not a temp path.
		msg := strings.ReplaceAll(err.Error(), e.Path, StudentID(filepath.Base(e.Path)))
		return w.failed(res, ErrorSubmission, msg), nil
	}
	res.Notes = append(res.Notes, sub.Notes()...)
	rep, err := w.pool.Grade(ctx, w.opts.Exercise, sub, w.opts.Grade)
	if ctx.Err() != nil {
		return nil, nil
	}
	if err == nil {
		res.Status, res.Score, res.Report, res.GradedAt = StatusGraded, rep.Score, rep, time.Now().UTC()
		return res, nil
	}
	var start *grader.StartError
	var refused *grader.RefusedError
	if errors.As(err, &start) || errors.As(err, &refused) {
		// No server starts, or the spec's requires refuse this one: no later student would fare better.
		return nil, err
	}
	res.GraderRuns = w.opts.graderRuns[e.Student] + 1
	return w.failed(res, ErrorGrader, "the grader could not grade this submission: "+err.Error()), nil
}

// probeEngine grades the exercise's reference solution on a fresh server
// and fails unless it gets full marks. An exercise without a reference
// gets a weaker probe: a fresh server must start.
func probeEngine(ctx context.Context, opts Options) error {
	ex := opts.Exercise
	if len(ex.Reference) == 0 {
		sess, err := grader.NewSession(ctx, opts.Engine)
		if err != nil {
			return fmt.Errorf("no server starts: %w", err)
		}
		sess.Close()
		return nil
	}
	dir, err := os.MkdirTemp("", "redisgrade-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for name, content := range ex.Reference {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), []byte(content), 0o600); err != nil {
			return err
		}
	}
	sub, err := submissions.Open(dir)
	if err != nil {
		return err
	}
	rep, err := grader.Grade(ctx, ex, sub, opts.Engine, opts.Grade)
	switch {
	case err != nil:
		return err
	case !rep.Passed():
		return fmt.Errorf("it scored %s of %s", words.Number(rep.Score), words.Number(rep.MaxScore))
	}
	return nil
}

// checkOut refuses an output folder that would lose files: one holding
// files but no results.jsonl is not a batch's (an instructor's own
// grades.csv), and --resume needs a results.jsonl to continue.
func checkOut(out string, resume, force bool) error {
	des, err := os.ReadDir(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	var names []string
	isBatch := false
	for _, de := range des {
		isBatch = isBatch || de.Name() == ResultsFile
		names = append(names, de.Name())
	}
	switch {
	case isBatch && !resume:
		return fmt.Errorf("%s already holds %s from an earlier batch: add --resume to continue it, or choose another --out", out, ResultsFile)
	case isBatch:
		return nil
	case resume:
		return fmt.Errorf("--resume: %s holds no %s, so there is no batch to continue: leave out --resume to start one", out, ResultsFile)
	case len(names) > 0 && !force:
		const shown = 5
		list := strings.Join(names[:min(len(names), shown)], ", ")
		if len(names) > shown {
			list += fmt.Sprintf(" and %d more", len(names)-shown)
		}
		return fmt.Errorf("%s is not empty and holds no batch (%s): choose an empty or new --out, or add --force to write %s, %s, %s/ and %s there, over any of that name", out, list, ResultsFile, GradesFile, FeedbackDir, ReportFile)
	}
	return nil
}

func (w *worker) failed(res *Result, kind, msg string) *Result {
	res.Status, res.ErrorKind, res.Error, res.GradedAt = StatusError, kind, msg, time.Now().UTC()
	return res
}
