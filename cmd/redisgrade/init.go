package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/workspace"
)

func newInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init EXERCISE [DIR]",
		Short: "Start working on an exercise: a folder with its step files and README",
		Long: "init creates a workspace for an exercise in DIR (default: a new folder named after the exercise):\n" +
			"one file per step holding only a comment that says what goes there, a README.md of the task, and\n" +
			"a small state file (" + workspace.StateFile + "). It never overwrites a file that is already there.",
		Example: "  redisgrade init lua-atomicity\n  redisgrade init lua-atomicity ~/redis-homework",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError(fmt.Errorf("init takes an exercise (%s) and optionally a folder, got %d arguments",
					strings.Join(exercises.Shipped(), ", "), len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ex, err := exercises.Load(args[0])
			if err != nil {
				return usageError(err)
			}
			dir := ex.ID
			if len(args) == 2 {
				dir = args[1]
			}
			ws, err := workspace.Init(dir, ex, args[0])
			if err != nil {
				// Work already there, or a DIR that cannot be made: the user's to fix.
				return usageError(err)
			}
			// The spec's text is shown as student text is: escapes visibly.
			out := report.VisibleWriter(cmd.OutOrStdout())
			fmt.Fprintf(out, "Created a workspace for %q in %s\n\n", ex.Title, dir)
			width := len(workspace.StateFile)
			for i, s := range ex.Steps {
				fmt.Fprintf(out, "  %-*s  step %d: %s\n", width, s.File, i+1, s.Title)
			}
			fmt.Fprintf(out, "  %-*s  the task, step by step\n", width, workspace.ReadmeFile)
			fmt.Fprintf(out, "  %-*s  the exercise and the hints you have seen (leave it be)\n\n", width, workspace.StateFile)
			fmt.Fprintf(out, "Next:\n")
			if rel, err := filepath.Rel(".", ws.Dir); err != nil || rel != "." {
				fmt.Fprintf(out, "  cd %s\n", quoteForShell(dir))
			}
			if len(ex.Steps) > 0 {
				fmt.Fprintf(out, "  read README.md, write %s, save, then run:\n", ex.Steps[0].File)
			}
			fmt.Fprintf(out, "  redisgrade check            (or keep redisgrade check --watch running: it grades on every save)\n")
			return nil
		},
	}
}

// shellQuote quotes a path for a command the user may copy.
func quoteForShell(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '~' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
