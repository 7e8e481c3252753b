package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
	"github.com/redisgrade/redisgrade/workspace"
)

func newHintCmd() *cobra.Command {
	var f studentFlags
	cmd := &cobra.Command{
		Use:   "hint [STEP]",
		Short: "A hint for a step: one more each time you ask",
		Long: "hint shows the hints of a step in order, one more each time it is asked; the workspace remembers\n" +
			"which you have seen. STEP is a step's number, id or file (default: the first step that is not done,\n" +
			"found by grading the workspace). When every hint was shown, it says so and shows them all again.",
		Example: "  redisgrade hint\n  redisgrade hint 2\n  redisgrade hint step3.redis",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("hint takes at most one step (a number, id or file), got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			useColor, err := colorWanted(f.color, stdout)
			if err != nil {
				return usageError(err)
			}
			ws, ex, err := openWorkspace(f.dir)
			if err != nil {
				return err
			}
			idx := -1
			if len(args) == 1 {
				if idx, err = workspace.Step(ex, args[0]); err != nil {
					return usageError(err)
				}
			} else {
				// The first unfinished step: grade to find it, or else the one
				// the last check stopped at.
				rep, err := gradeForHint(cmd, f, ws.Dir, ex)
				var ee *exitError
				if errors.As(err, &ee) && ee.code == exitUsage {
					return err
				}
				switch {
				case err == nil:
					recordLastStep(ws, rep, stderr)
					idx = workspace.FirstUnfinished(rep)
					if idx < 0 {
						fmt.Fprintf(stdout, "All %d steps are done: no hint needed. For a step's hints anyway: redisgrade hint STEP (1 to %d).\n",
							len(ex.Steps), len(ex.Steps))
						return nil
					}
				case ctx.Err() != nil:
					return &exitError{code: exitInfra, err: fmt.Errorf("interrupted")}
				default:
					fmt.Fprintf(stderr, "redisgrade: could not grade to find your step (%v); showing hints for the step of your last check\n", err)
					idx = 0
					if ws.State.LastStep != "" {
						if i, err := workspace.Step(ex, ws.State.LastStep); err == nil {
							idx = i
						}
					}
				}
			}
			step := &ex.Steps[idx]
			res := ws.State.NextHint(step)
			if res.Fresh {
				if err := ws.Save(); err != nil {
					return &exitError{code: exitInfra, err: err}
				}
			}
			if err := workspace.RenderHints(stdout, idx, step, res, useColor); err != nil {
				return &exitError{code: exitInfra, err: err}
			}
			return nil
		},
	}
	f.add(cmd, true)
	return cmd
}

// gradeForHint grades the workspace to find the first unfinished step. Bad
// flags are the user's to fix (exit 2); any other failure lets hint fall
// back on the step of the last check.
func gradeForHint(cmd *cobra.Command, f studentFlags, dir string, ex *exercises.Exercise) (*report.Report, error) {
	eng, err := f.newEngine(cmd.Context(), cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	sub, err := submissions.Open(dir)
	if err != nil {
		return nil, err
	}
	return grader.Grade(cmd.Context(), ex, sub, eng, grader.Options{})
}
