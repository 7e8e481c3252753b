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
	// Workers grade in parallel, each on its own server (0: the number of
	// CPUs).
	Workers int
	// Fresh grades each submission on a new server (grader.Grade) instead
	// of a worker's warm one.
	Fresh bool
	// Resume continues the results.jsonl in Out, skipping the students it
	// holds. Without it, an Out holding results.jsonl is refused.
	Resume bool
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
	// GraderErrors students the grader failed on (--resume grades them again).
	SubmissionErrors, GraderErrors int
	// Remaining students have no result: the batch was interrupted, or
	// stopped because the engine failed (Err).
	Remaining   int
	Interrupted bool
	Err         error
	Elapsed     time.Duration
	Workers     int
	Engine      engine.Info
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

// stopAfterGraderErrors stops a batch whose grader fails on this many
// submissions in a row: the engine, not the students, is the problem.
const stopAfterGraderErrors = 3

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
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, &InputError{Err: fmt.Errorf("--out: %w", err)}
	}
	resultsPath := filepath.Join(opts.Out, ResultsFile)
	if _, err := os.Stat(resultsPath); err == nil && !opts.Resume {
		return nil, &InputError{Err: fmt.Errorf("%s already holds %s from an earlier batch: add --resume to continue it, or choose another --out", opts.Out, ResultsFile)}
	}
	before, err := prepareResume(resultsPath)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	for _, r := range before.Results {
		if r.Report != nil && r.Report.Exercise != opts.Exercise.ID {
			return nil, &InputError{Err: fmt.Errorf("%s holds results of exercise %q, not %q: choose another --out", resultsPath, r.Report.Exercise, opts.Exercise.ID)}
		}
	}
	done := before.ByStudent()

	sum := &Summary{Students: len(class.Entries), Workers: opts.Workers}
	var todo []Entry
	for _, e := range class.Entries {
		if done[e.Student] != nil {
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
	if opts.SkipOutputs {
		return sum, nil
	}

	log, err := ReadResults(resultsPath)
	if err != nil {
		return sum, fmt.Errorf("read back %s: %w", resultsPath, err)
	}
	outs, err := WriteOutputs(opts.Out, opts.Exercise, log.Results, RunInfo{
		Engine: sum.Engine, EngineReason: opts.EngineReason, Workers: opts.Workers, Fresh: opts.Fresh,
		Students: sum.Students, Saved: sum.Saved, Skipped: sum.Skipped, Elapsed: sum.Elapsed,
		Interrupted: sum.Interrupted, Remaining: sum.Remaining, Finished: time.Now(),
	})
	sum.Outputs = append(sum.Outputs, outs...)
	if err != nil {
		return sum, err
	}
	return sum, nil
}

type runStats struct {
	engine engine.Info
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
		info        engine.Info
		graderInRow int
	)
	var wg sync.WaitGroup
	for i := 0; i < opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{opts: opts}
			defer w.close()
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
				tooMany := graderInRow >= stopAfterGraderErrors
				mu.Unlock()
				results <- r
				if tooMany {
					stop(fmt.Errorf("the grader failed on %d submissions in a row (last: %s)", stopAfterGraderErrors, r.Error))
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

// worker grades one submission at a time, on its own warm session unless
// opts.Fresh.
type worker struct {
	opts Options
	sess *grader.Session
}

func (w *worker) close() {
	if w.sess != nil {
		w.sess.Close()
		w.sess = nil
	}
}

// grade returns the student's result, nil when a hard stop cut the grading
// short (nothing to save), or an error when no server can be started.
func (w *worker) grade(ctx context.Context, e Entry) (*Result, error) {
	res := &Result{Student: e.Student, MaxScore: w.opts.Exercise.MaxScore()}
	if e.Err != nil {
		return w.failed(res, ErrorSubmission, e.Err.Error()), nil
	}
	sub, err := submissions.Open(e.Path)
	if err != nil {
		// Name the entry as the instructor knows it, not a temp path.
		msg := strings.ReplaceAll(err.Error(), e.Path, filepath.Base(e.Path))
		return w.failed(res, ErrorSubmission, msg), nil
	}
	var last error
	for try := 0; try < 2; try++ {
		rep, err := w.gradeOnce(ctx, sub)
		if ctx.Err() != nil {
			return nil, nil
		}
		if err == nil {
			res.Status, res.Score, res.Report, res.GradedAt = StatusGraded, rep.Score, rep, time.Now().UTC()
			return res, nil
		}
		var start *startError
		if errors.As(err, &start) {
			if try == 0 {
				last = err
				continue // one more try on a new server
			}
			return nil, err
		}
		// A server that went wrong under grading: throw it away and grade
		// once more on a new one.
		last = err
		w.close()
	}
	return w.failed(res, ErrorGrader, "the grader could not grade this submission: "+last.Error()), nil
}

// startError is a server that would not start.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

func (w *worker) gradeOnce(ctx context.Context, sub *submissions.Submission) (*report.Report, error) {
	if w.opts.Fresh {
		return grader.Grade(ctx, w.opts.Exercise, sub, w.opts.Engine, w.opts.Grade)
	}
	if w.sess == nil {
		sess, err := grader.NewSession(ctx, w.opts.Engine)
		if err != nil {
			return nil, &startError{err: err}
		}
		w.sess = sess
	}
	return w.sess.Grade(ctx, w.opts.Exercise, sub, w.opts.Grade)
}

func (w *worker) failed(res *Result, kind, msg string) *Result {
	res.Status, res.ErrorKind, res.Error, res.GradedAt = StatusError, kind, msg, time.Now().UTC()
	return res
}
