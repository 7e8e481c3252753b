package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

type gradeFlags struct {
	exercise string
	engine   engineFlags
	format   string
	color    string
	limits   limitFlags
	verbose  bool
}

func newGradeCmd() *cobra.Command {
	var f gradeFlags
	cmd := &cobra.Command{
		Use:   "grade --exercise NAME|FILE SUBMISSION",
		Short: "Grade one submission (a folder, .zip or .tar.gz)",
		Example: "  redisgrade grade --exercise lua-atomicity submissions/examples/lua-atomicity/correct\n" +
			"  redisgrade grade -e lua-atomicity --format json work.zip",
		Args: oneArg("grade", "submission (a folder, .zip or .tar.gz)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runGrade(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	exerciseFlag(fl, &f.exercise)
	f.engine.register(fl)
	fl.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(report.Formats(), ", "))
	fl.StringVar(&f.color, "color", "auto", "colour the text output: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
	f.limits.register(fl, "time limit for grading the whole submission")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list every check, and say which engine was chosen and why")
	_ = cmd.MarkFlagRequired("exercise")
	return cmd
}

func runGrade(cmd *cobra.Command, f gradeFlags, path string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	format, err := chooseFormat(f.format)
	if err != nil {
		return err
	}
	write, err := report.Lookup(format)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	useColor, err := colorWanted(f.color, stdout)
	if err != nil {
		return usageError(err)
	}
	limits, err := f.limits.options()
	if err != nil {
		return err
	}
	// Everything the user gave is checked before any Redis starts.
	ex, err := exercises.Load(f.exercise)
	if err != nil {
		return usageError(err)
	}
	opts := report.Options{Color: useColor, Verbose: f.verbose}
	if out := os.Getenv("GITHUB_OUTPUT"); f.format == "classroom" && out != "" {
		// The step output file GitHub Actions reads the runner result from.
		file, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return &exitError{code: exitInfra, err: fmt.Errorf("GITHUB_OUTPUT: %w", err)}
		}
		defer file.Close()
		opts.GitHubOutput = file
	}
	sub, err := submissions.Open(path)
	if err != nil {
		// An LMS reads a result document, not our stderr: tell the student
		// why nothing was graded (PrairieLearn then charges no attempt).
		if report.HandlesUnreadable(format) {
			rep := report.Unreadable(ex.ID, filepath.Base(path), readProblems(err))
			rep.Title, rep.MaxScore = ex.Title, ex.MaxScore()
			if werr := write(stdout, rep, opts); werr != nil {
				return &exitError{code: exitInfra, err: fmt.Errorf("write report: %w", werr)}
			}
		}
		return usageError(err)
	}
	eng, cleanup, err := f.engine.open(cmd.Context(), f.verbose, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	rep, err := grader.Grade(cmd.Context(), ex, sub, eng, limits)
	if err != nil {
		if cmd.Context().Err() != nil {
			return &exitError{code: exitInfra, err: errors.New("interrupted: nothing was graded")}
		}
		return &exitError{code: exitInfra, err: fmt.Errorf("could not grade %s: %w", sub.Name(), err)}
	}
	if err := write(stdout, rep, opts); err != nil {
		return &exitError{code: exitInfra, err: fmt.Errorf("write report: %w", err)}
	}
	return verdictExit(rep)
}

// verdictExit is the exit of a command that graded one submission: 0 when every step passed, exitFailed when
// some step failed, exitInfra when some step could not be graded on this engine (its score is not the grade).
func verdictExit(rep *report.Report) error {
	if n := rep.NotGraded(); n > 0 {
		return &exitError{code: exitInfra, err: fmt.Errorf("%d of %d steps cannot be graded on the %s engine (see the report): grade with --engine process or docker",
			n, len(rep.Steps), rep.Engine.Kind)}
	}
	if !rep.Passed() {
		return &exitError{code: exitFailed}
	}
	return nil
}

// colorWanted decides on colour: never for a pipe or a file, never with
// NO_COLOR set (https://no-color.org), unless forced with --color always.
func colorWanted(mode string, out io.Writer) (bool, error) {
	mode, err := choose("color", "colour mode", mode, colorModes)
	if err != nil {
		return false, err
	}
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if _, set := os.LookupEnv("NO_COLOR"); set {
			return false, nil
		}
		file, ok := out.(*os.File)
		return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd())), nil
	}
	return false, nil
}

// readProblems says why a submission could not be read, for the student:
// the cause without the grader's own path, one problem a line.
func readProblems(err error) []string {
	if cause := errors.Unwrap(err); cause != nil {
		err = cause
	}
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
