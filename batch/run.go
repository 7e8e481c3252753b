package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
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
	opts.setDefaults()
	resultsPath := filepath.Join(opts.Out, ResultsFile)
	before, err := prepareOut(opts, resultsPath)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	sum := &Summary{Students: len(class.Entries), Workers: opts.Workers}
	todo := opts.toGrade(class, before, sum)

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
	log, err := settleResults(resultsPath, sum)
	if err != nil || opts.SkipOutputs {
		return sum, err
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

func (opts *Options) setDefaults() {
	if opts.Workers <= 0 {
		opts.Workers = grader.DefaultJobs()
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 2 * time.Second
	}
}

// prepareOut makes the output folder ready and returns the results an
// earlier run left there (none without --resume), refusing a folder that
// would lose files and results of another exercise.
func prepareOut(opts Options, resultsPath string) (*ResultsLog, error) {
	if err := checkOut(opts.Out, opts.Resume, opts.Force); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	before, err := prepareResume(resultsPath)
	if err != nil {
		return nil, err
	}
	for _, r := range before.Results {
		if r.Report != nil && r.Report.Exercise != opts.Exercise.ID {
			return nil, fmt.Errorf("%s holds results of exercise %q, not %q: choose another --out", resultsPath, r.Report.Exercise, opts.Exercise.ID)
		}
	}
	return before, nil
}

// toGrade returns the class's entries without a final result in before,
// counts the others as skipped, and notes in opts how many runs the grader
// already failed on each student it failed on.
func (opts *Options) toGrade(class *Class, before *ResultsLog, sum *Summary) []Entry {
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
	var todo []Entry
	for _, e := range class.Entries {
		if done[e.Student] {
			sum.Skipped++
			continue
		}
		todo = append(todo, e)
	}
	return todo
}

// settleResults reads results.jsonl back, keeps each student's last line
// (a student graded again after a grader error has two), and counts the
// grader errors left: given up on, or to retry.
func settleResults(resultsPath string, sum *Summary) (*ResultsLog, error) {
	log, err := ReadResults(resultsPath)
	if err != nil {
		return nil, fmt.Errorf("read back %s: %w", resultsPath, err)
	}
	if err := compactResults(resultsPath, log); err != nil {
		return nil, fmt.Errorf("compact %s: %w", resultsPath, err)
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
	return log, nil
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
