package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/batch"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
)

type batchFlags struct {
	exercise string
	out      string
	jobs     int
	resume   bool
	force    bool
	fresh    bool
	engine   engineFlags
	quiet    bool
	verbose  bool
	limits   limitFlags
}

func newBatchCmd() *cobra.Command {
	var f batchFlags
	cmd := &cobra.Command{
		Use:   "batch --exercise NAME|FILE SUBMISSIONS --out DIR",
		Short: "Grade a whole class: a folder (or .zip) with one submission per student",
		Long: "batch grades every student's submission in SUBMISSIONS (a folder holding one folder, .zip or\n" +
			".tar.gz per student, or one .zip of those) on parallel warm servers. Each result is saved in\n" +
			"DIR/results.jsonl the moment it is graded; --resume carries on after a crash or Ctrl-C. At the\n" +
			"end it writes DIR/grades.csv, DIR/feedback/<student>.md and DIR/report.html.",
		Example: "  redisgrade batch --exercise lua-atomicity class/ --out grades/\n" +
			"  redisgrade batch -e lua-atomicity export.zip --out grades/ --resume",
		Args: oneArg("batch", "SUBMISSIONS folder or .zip"),
		RunE: func(cmd *cobra.Command, args []string) error { return runBatch(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	exerciseFlag(fl, &f.exercise)
	fl.StringVarP(&f.out, "out", "o", "", "output folder for results.jsonl, grades.csv, feedback/ and report.html")
	fl.IntVarP(&f.jobs, "jobs", "j", grader.DefaultJobs(), "submissions graded in parallel, each worker on its own server (default: cores + 1)")
	fl.BoolVar(&f.resume, "resume", false, "continue the batch in --out: skip the students already in results.jsonl")
	fl.BoolVar(&f.force, "force", false, "write into an --out that holds other files than a batch's (files named like the outputs are replaced)")
	fl.BoolVar(&f.fresh, "fresh", false, "start a new server for every submission instead of resetting a warm one")
	f.engine.register(fl)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say which engine was chosen and why")
	f.limits.register(fl, "time limit for grading one whole submission")
	_ = cmd.MarkFlagRequired("exercise")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runBatch(cmd *cobra.Command, f batchFlags, classPath string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.jobs < 1 {
		return usageError(errors.New("-j must be at least 1"))
	}
	limits, err := f.limits.options()
	if err != nil {
		return err
	}
	ex, err := exercises.Load(f.exercise)
	if err != nil {
		return usageError(err)
	}
	cleanStale(stderr, f.quiet, f.verbose)
	class, err := batch.List(classPath)
	if err != nil {
		return usageError(err)
	}
	defer class.Close()
	if !f.quiet {
		for _, note := range class.Notes {
			fmt.Fprintf(stderr, "redisgrade: %s\n", note)
		}
	}
	eng, cleanup, err := f.engine.open(cmd.Context(), f.verbose, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	abort, finished := abortOnSecondSignal()
	defer finished()

	opts := batch.Options{
		Exercise: ex, Engine: eng, Out: f.out, Workers: f.jobs,
		Fresh: f.fresh, Resume: f.resume, Force: f.force, Abort: abort,
		Grade: limits,
	}
	if !f.quiet {
		opts.Progress, opts.Terminal = stderr, isTerminal(stderr)
	}
	sum, err := batch.Run(cmd.Context(), class, opts)
	if err != nil {
		var ie *batch.InputError
		if errors.As(err, &ie) {
			return usageError(err)
		}
		if sum == nil {
			return &exitError{code: exitInfra, err: err}
		}
		fmt.Fprintf(stderr, "redisgrade: %s\n", report.Visible(err.Error()))
	}
	printSummary(stdout, ex.ID, sum)
	return batchOutcome(sum, err, "redisgrade "+resumeCommand(cmd, classPath))
}

// cleanStale removes what a SIGKILLed batch left behind: only folders
// whose owner is provably gone (other batches may be running).
func cleanStale(stderr io.Writer, quiet, verbose bool) {
	removed, err := batch.CleanStale(os.TempDir())
	if err != nil && !quiet {
		fmt.Fprintf(stderr, "redisgrade: clean up stale temporary folders: %v\n", err)
	}
	if verbose {
		for _, dir := range removed {
			fmt.Fprintf(stderr, "redisgrade: removed %s, left by a batch that was killed\n", dir)
		}
	}
}

// abortOnSecondSignal returns a channel closed by a second Ctrl-C (or
// SIGTERM), and the function to call once the batch is over. The first
// signal cancels the command's context: no new submission starts, and
// those under way may finish. The second drops them at once.
func abortOnSecondSignal() (abort <-chan struct{}, finished func()) {
	aborted, done := make(chan struct{}), make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		seen := 0
		for {
			select {
			case <-sigs:
				// The first signal is the one that cancels the context.
				if seen++; seen == 2 {
					close(aborted)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return aborted, func() {
		signal.Stop(sigs)
		close(done)
	}
}

// batchOutcome is the batch's exit: 0 when every student has a grade, 3
// with what to do next when not (runErr: Run failed after grading, and has
// said so).
func batchOutcome(sum *batch.Summary, runErr error, resume string) error {
	switch {
	case sum.Interrupted:
		return &exitError{code: exitInfra, err: fmt.Errorf("interrupted: %d of %d students have results in %s (every saved result is whole); resume with:\n  %s",
			sum.Students-sum.Remaining, sum.Students, sum.Outputs[0], resume)}
	case sum.Err != nil:
		return &exitError{code: exitInfra, err: fmt.Errorf("stopped: %v; %d students are not graded; once fixed, resume with:\n  %s", sum.Err, sum.Remaining, resume)}
	case runErr != nil:
		return &exitError{code: exitInfra}
	case sum.ToRetry > 0:
		return &exitError{code: exitInfra, err: fmt.Errorf("the grader failed on %d students (see %s); grade them again (each in %d runs at most) with:\n  %s",
			sum.ToRetry, sum.Outputs[0], batch.MaxGraderRuns, resume)}
	case sum.GaveUp > 0:
		return &exitError{code: exitInfra, err: fmt.Errorf("the grader failed on %d students in %d runs each, and --resume will not try them again: grade them another way (see %s)",
			sum.GaveUp, batch.MaxGraderRuns, sum.Outputs[0])}
	case sum.NotGraded > 0:
		return &exitError{code: exitInfra, err: fmt.Errorf("%d students have steps the %s engine cannot grade (see %s): grade the class with --engine process or docker", sum.NotGraded, sum.Engine.Kind, sum.Outputs[0])}
	}
	return nil
}

func printSummary(w io.Writer, exercise string, s *batch.Summary) {
	fmt.Fprintf(w, "%s: %d students, %d saved by this run in %.1f s (%.1f/s, %d workers",
		exercise, s.Students, s.Saved, s.Elapsed.Seconds(), s.Rate(), s.Workers)
	if s.Engine.Kind != "" {
		fmt.Fprintf(w, ", %s %s", s.Engine.Kind, s.Engine.ServerName())
	}
	fmt.Fprintf(w, ")\n")
	fmt.Fprintf(w, "  %d graded (%d with a failing step), %d could not be read, %d grader errors", s.Graded, s.Failed, s.SubmissionErrors, s.GraderErrors)
	if s.GaveUp > 0 {
		fmt.Fprintf(w, " (%d given up after %d runs)", s.GaveUp, batch.MaxGraderRuns)
	}
	if s.NotGraded > 0 {
		fmt.Fprintf(w, ", %d with steps this engine cannot grade", s.NotGraded)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(w, ", %d graded before", s.Skipped)
	}
	if s.Remaining > 0 {
		fmt.Fprintf(w, ", %d not graded yet", s.Remaining)
	}
	fmt.Fprintln(w)
	for _, p := range s.Outputs {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// resumeCommand rebuilds the command line with --resume.
func resumeCommand(cmd *cobra.Command, classPath string) string {
	parts := []string{cmd.Name()}
	for _, name := range []string{"exercise", "out", "jobs", "force", "fresh", "engine", "image", "redis-server", "quiet", "verbose", "timeout", "deadline"} {
		fl := cmd.Flags().Lookup(name)
		switch {
		case fl == nil || !fl.Changed:
		case fl.Value.Type() == "bool":
			parts = append(parts, "--"+name)
		default:
			parts = append(parts, "--"+name, shellQuote(fl.Value.String()))
		}
	}
	parts = append(parts, "--resume", shellQuote(classPath))
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd()))
}
