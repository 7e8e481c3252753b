package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

type runStats struct {
	engine report.Engine
}

// runWorkers grades todo with opts.Workers workers and one writer.
func runWorkers(ctx context.Context, todo []Entry, opts Options, app *appender, prog *progress, sum *Summary) runStats {
	sd := newShutdown(ctx, opts)
	defer sd.close()
	pool := grader.NewPool(grader.PoolConfig{Engine: opts.Engine, Jobs: opts.Workers, Fresh: opts.Fresh})
	defer pool.Close()

	jobs := dispatch(todo, sd.stopped)
	results := make(chan *Result, 2*opts.Workers)
	w := &worker{opts: opts, pool: pool}
	watch := &engineWatch{opts: opts, sum: sum}
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Go(func() {
			if err := w.work(sd.grading, jobs, results, watch); err != nil {
				sd.stop(err)
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	writeResults(results, app, prog, sum, sd.stop)
	sum.noteStop(ctx, sd.stopped)
	return runStats{engine: watch.engine}
}

// shutdown is how a batch ends. stopped ends the dispatch: ctx done, the
// engine failing, or the results file failing. Gradings under way run
// under grading, which ctx does not cut short: once ctx is done they get
// opts.Grace to finish (none after opts.Abort), so that a result is either
// whole or not saved at all.
type shutdown struct {
	stopped  context.Context
	stop     context.CancelCauseFunc
	grading  context.Context
	hardStop context.CancelFunc
}

func newShutdown(ctx context.Context, opts Options) *shutdown {
	sd := &shutdown{}
	sd.grading, sd.hardStop = context.WithCancel(context.WithoutCancel(ctx))
	sd.stopped, sd.stop = context.WithCancelCause(ctx)
	go sd.graceAfterInterrupt(ctx, opts.Grace, opts.Abort)
	return sd
}

// graceAfterInterrupt ends the gradings under way grace after ctx is done,
// or at once when abort closes.
func (sd *shutdown) graceAfterInterrupt(ctx context.Context, grace time.Duration, abort <-chan struct{}) {
	<-sd.stopped.Done()
	if ctx.Err() == nil {
		return // a stop from inside: gradings under way end normally
	}
	select {
	case <-time.After(grace):
	case <-abort:
	case <-sd.grading.Done():
	}
	sd.hardStop()
}

func (sd *shutdown) close() {
	sd.stop(nil)
	sd.hardStop()
}

// dispatch hands todo's entries to the workers, one at a time, until they
// are all handed out or stopped is done.
func dispatch(todo []Entry, stopped context.Context) <-chan Entry {
	jobs := make(chan Entry)
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
	return jobs
}

// work grades jobs until there are none left, sending each result to
// results. It returns the error that must stop the batch: no server
// starts, or the engine fails.
func (w *worker) work(ctx context.Context, jobs <-chan Entry, results chan<- *Result, watch *engineWatch) error {
	for e := range jobs {
		r, err := w.grade(ctx, e)
		if err != nil {
			return err
		}
		if r == nil {
			continue // cut short by a hard stop: not saved
		}
		probe := watch.saw(r)
		results <- r
		if probe {
			// The others carry on meanwhile.
			if err := watch.probe(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// engineWatch tells a failing engine from students the grader fails on:
// after probeAfterGraderErrors grader errors in a row, the worker that
// graded the last of them probes the engine. It also keeps the engine the
// first report names.
type engineWatch struct {
	opts Options
	sum  *Summary // its Probes

	mu          sync.Mutex
	engine      report.Engine
	graderInRow int
	probing     bool
}

// saw records a result, and says whether its worker is to probe the engine.
func (ew *engineWatch) saw(r *Result) (probe bool) {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if r.Report != nil && ew.engine.Kind == "" {
		ew.engine = r.Report.Engine
	}
	if r.ErrorKind == ErrorGrader {
		ew.graderInRow++
	} else {
		ew.graderInRow = 0
	}
	probe = ew.graderInRow >= probeAfterGraderErrors && !ew.probing
	if probe {
		ew.probing = true
	}
	return probe
}

// probe grades the reference solution on a fresh server, and returns the
// error that stops the batch when that fails too; last is the result that
// made it probe.
func (ew *engineWatch) probe(ctx context.Context, last *Result) error {
	perr := probeEngine(ctx, ew.opts)
	ew.mu.Lock()
	ew.probing = false
	ew.sum.Probes++
	if perr == nil {
		ew.graderInRow = 0 // the engine works: those were the students' submissions
	}
	ew.mu.Unlock()
	if perr != nil {
		return fmt.Errorf("the grader failed on %d submissions in a row (last: %s), and on the exercise's reference solution on a fresh server too (%v): the engine is failing, not the students", probeAfterGraderErrors, last.Error, perr)
	}
	return nil
}

// writeResults is the one writer: whatever results are waiting are written,
// then synced once, before they count as saved. Once the file fails it
// stops the batch, and drains the workers without saving more.
func writeResults(results <-chan *Result, app *appender, prog *progress, sum *Summary, stop context.CancelCauseFunc) {
	for r := range results {
		batch := append([]*Result{r}, waiting(results)...)
		if sum.Err != nil {
			continue
		}
		if err := save(app, batch); err != nil {
			sum.Err = err
			stop(err)
			continue
		}
		for _, r := range batch {
			sum.count(r)
			prog.add(r)
		}
	}
}

// waiting takes the results already waiting in the channel, without
// waiting for more.
func waiting(results <-chan *Result) []*Result {
	var more []*Result
	for {
		select {
		case r, ok := <-results:
			if !ok {
				return more
			}
			more = append(more, r)
		default:
			return more
		}
	}
}

// save appends the results to results.jsonl and syncs it once.
func save(app *appender, batch []*Result) error {
	lines := make([][]byte, 0, len(batch))
	for _, r := range batch {
		line, err := marshalLine(r)
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	if err := app.write(lines); err != nil {
		return fmt.Errorf("save results: %w", err)
	}
	return nil
}

// count adds a saved result to the summary.
func (s *Summary) count(r *Result) {
	s.Saved++
	switch {
	case r.Status == StatusGraded:
		s.Graded++
		switch {
		case !r.Report.Complete():
			s.NotGraded++
		case !r.Report.Passed():
			s.Failed++
		}
	case r.ErrorKind == ErrorGrader:
		s.GraderErrors++
	default:
		s.SubmissionErrors++
	}
}

// noteStop says why the dispatch stopped early, if it did: interrupted
// (ctx), or an error, unless the results file's is there already.
func (s *Summary) noteStop(ctx, stopped context.Context) {
	cause := context.Cause(stopped)
	if cause == nil || s.Err != nil {
		return
	}
	if ctx.Err() != nil {
		s.Interrupted = true
	} else if !errors.Is(cause, context.Canceled) {
		s.Err = cause
	}
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

func (w *worker) failed(res *Result, kind, msg string) *Result {
	res.Status, res.ErrorKind, res.Error, res.GradedAt = StatusError, kind, msg, time.Now().UTC()
	return res
}
