package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/authoring"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/position"
	"github.com/redisgrade/redisgrade/internal/regularfile"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
)

func newExerciseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exercise",
		Short: "Check exercise specs: lint them, and test them against their reference and mutants",
	}
	cmd.AddCommand(newExerciseLintCmd(), newExerciseTestCmd(), newExerciseSchemaCmd(), newExerciseImportCmd())
	return cmd
}

func newExerciseLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE|NAME...",
		Short: "Load specs strictly and report what would trip a class up, as file:line:col: message",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := report.VisibleWriter(cmd.OutOrStdout()) // messages quote the spec
			problems := 0
			for _, arg := range args {
				ex, err := exercises.Load(arg)
				if err != nil {
					fmt.Fprintln(out, position.Explain(err))
					problems += strings.Count(err.Error(), "\n") + 1
					continue
				}
				for _, e := range authoring.Lint(ex) {
					fmt.Fprintln(out, e)
					problems++
				}
				for _, e := range authoring.Warnings(ex) {
					fmt.Fprintln(out, "warning: "+e.Error())
				}
				for _, w := range authoring.Waivers(ex) {
					fmt.Fprintln(out, "waiver: "+w)
				}
			}
			if problems > 0 {
				return usageError(errors.New(words.Count(problems, "problem")))
			}
			fmt.Fprintf(out, "%s: no problems\n", words.Count(len(args), "spec"))
			return nil
		},
	}
}

// maxPageSize bounds a page exercise import reads: a page is a few KB of
// text.
const maxPageSize = 1 << 20

func newExerciseImportCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "import PAGE.txt [-o SPEC.yaml]",
		Short: "Turn a learning platform's exercise page (its text) into a spec skeleton graded by compare: reference",
		Long: "exercise import reads an exercise page in text form (a title, the scenario and goal, then\n" +
			"`Progress 0 / N steps` and the numbered steps, each with its task and hint) and writes a spec:\n" +
			"each step keeps the page's title, task and hint, starts from what the reference's earlier steps\n" +
			"leave, and is graded by comparing with the reference. The reference is left as TODO markers:\n" +
			"fill it in, and `exercise lint` says what is still missing. It never overwrites a file.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := regularfile.Read(args[0], maxPageSize)
			if err != nil {
				return usageError(err)
			}
			page, err := authoring.ParsePage(args[0], data)
			if err != nil {
				return usageError(err)
			}
			spec, err := authoring.Skeleton(page, filepath.Base(args[0]))
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(spec)
				return err
			}
			f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return usageError(fmt.Errorf("%w: exercise import does not overwrite a spec", err))
			}
			if _, err := f.Write(spec); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d steps from %s; fill in its reference, then run redisgrade exercise lint %s\n",
				output, len(page.Steps), args[0], output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the spec file to write (default: standard output)")
	return cmd
}

func newExerciseTestCmd() *cobra.Command {
	var ef engineFlags
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test FILE|NAME...",
		Short: "Grade each spec's reference (must pass every step) and mutants (each must fail its step)",
		Long: "exercise test grades each spec's reference solution, which must pass every step, and each of its\n" +
			"mutants, which must fail the step it names. Every step also gets a mutant made here: its file left\n" +
			"empty. It prints a mutation score per exercise and exits 1 on any surprise, 3 when the engine cannot\n" +
			"grade some step (Redis Functions on the emulator): the exercise is then not proven.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, stderr := report.VisibleWriter(cmd.OutOrStdout()), cmd.ErrOrStderr() // mutants' names are the spec's
			var exs []*exercises.Exercise
			for _, arg := range args {
				ex, err := exercises.Load(arg)
				if err != nil {
					return usageError(err)
				}
				exs = append(exs, ex)
			}
			eng, cleanup, err := ef.open(cmd.Context(), verbose, stderr)
			if err != nil {
				return err
			}
			defer cleanup()
			sess, err := grader.NewSession(cmd.Context(), eng)
			if err != nil {
				return &exitError{code: exitInfra, err: err}
			}
			defer sess.Close()
			surprises, untested := 0, 0
			for _, ex := range exs {
				res, err := authoring.Test(cmd.Context(), ex, sess, grader.Options{})
				if err != nil {
					if grader.IsInfra(err) {
						return &exitError{code: exitInfra, err: err}
					}
					return usageError(err)
				}
				printOutcome(out, ex, res, verbose)
				surprises += len(res.Surprises)
				untested += len(res.Skipped)
			}
			if surprises > 0 {
				return &exitError{code: exitFailed, err: fmt.Errorf("%d surprises", surprises)}
			}
			if untested > 0 {
				return &exitError{code: exitInfra, err: fmt.Errorf("%d steps or mutants could not be graded on the %s engine, so the exercise is not proven: test with --engine process or docker", untested, eng.Kind())}
			}
			return nil
		},
	}
	ef.register(cmd.Flags())
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every mutant, and say which engine was chosen")
	return cmd
}

func printOutcome(w io.Writer, ex *exercises.Exercise, res *authoring.Outcome, verbose bool) {
	killed, total := res.Score()
	passed, gradable := 0, 0
	for _, s := range res.Reference.Steps {
		if s.NotGradable {
			continue
		}
		gradable++
		if s.Passed {
			passed++
		}
	}
	mutation := "no mutant graded"
	if total > 0 {
		mutation = fmt.Sprintf("mutation score %.0f%%", 100*float64(killed)/float64(total))
	}
	fmt.Fprintf(w, "%s: reference passes %d/%d steps graded; %d/%d mutants caught (%s)\n",
		ex.ID, passed, gradable, killed, total, mutation)
	if len(res.Skipped) > 0 {
		fmt.Fprintf(w, "  NOT TESTED: not gradable on the %s engine: %s\n", res.Reference.Engine.Kind, strings.Join(res.Skipped, ", "))
	}
	if verbose {
		for _, m := range res.Mutants {
			mark := "caught"
			if !m.Killed {
				mark = "MISSED"
			}
			fmt.Fprintf(w, "  %-6s %s (must fail %s)\n", mark, m.Name, m.Fails)
		}
	}
	if recognised, counted := res.Recognised(); counted > 0 {
		fmt.Fprintf(w, "  mistake coverage: %d/%d mutants recognised as themselves\n", recognised, counted)
	}
	if tried, held, waived := res.GeneratedCounts(); tried+waived > 0 {
		line := fmt.Sprintf("  made-up answers: %d/%d held", held, tried)
		if waived > 0 {
			line += fmt.Sprintf(" (%d waived)", waived)
		}
		fmt.Fprintln(w, line)
	}
	if verbose {
		printGenerated(w, res.Generated)
	}
	for _, g := range res.Indistinct {
		fmt.Fprintf(w, "  cannot tell apart (step %s, the same failure signature): %s: add a case that tells them apart, or merge them\n",
			g.Step, strings.Join(quoteAll(g.Mutants), ", "))
	}
	if verbose {
		for _, m := range res.Mutants {
			if !m.Builtin && m.Killed && !m.Recognised {
				fmt.Fprintf(w, "  not recognised: %s\n", m.Name)
			}
		}
	}
	for _, s := range res.Surprises {
		fmt.Fprintf(w, "  surprise: %s\n", s)
	}
}

// printGenerated lists each made-up answer and its fate.
func printGenerated(w io.Writer, gs []authoring.GeneratedOutcome) {
	for _, g := range gs {
		mark := "held"
		switch {
		case g.Waived != "":
			mark = "waived"
		case g.NotGraded:
			mark = "n/a"
		case !g.Held:
			mark = "WRONG"
		}
		must := "must fail"
		if g.Answer.MustPass {
			must = "must pass"
		}
		what := g.Answer.Kind
		if g.Answer.Command != "" {
			what += " " + g.Answer.Command
		}
		fmt.Fprintf(w, "  %-6s step %s: %s (%s, %s)\n", mark, g.Step, g.Answer.What, what, must)
		if g.Waived != "" {
			fmt.Fprintf(w, "         why: %s\n", g.Waived)
		}
	}
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the exercises shipped in the binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := report.VisibleWriter(cmd.OutOrStdout())
			for _, name := range exercises.Shipped() {
				ex, err := exercises.Load(name)
				if err != nil {
					return &exitError{code: exitInfra, err: err}
				}
				fmt.Fprintf(out, "%-22s %s, %s  %s\n", ex.ID, words.Count(len(ex.Steps), "step"), words.Points(ex.MaxScore()), ex.Title)
			}
			return nil
		},
	}
}

func newShowCmd() *cobra.Command {
	var hints bool
	cmd := &cobra.Command{
		Use:   "show EXERCISE",
		Short: "Show an exercise's steps: title, file, points and task (hints with --hints)",
		Args:  oneArg("show", "exercise name or spec path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ex, err := exercises.Load(args[0])
			if err != nil {
				return usageError(err)
			}
			// The spec's text is shown as student text is: escapes visibly.
			out := report.VisibleWriter(cmd.OutOrStdout())
			fmt.Fprintf(out, "%s (%s)\n", ex.Title, ex.ID)
			if ex.Summary != "" {
				fmt.Fprintf(out, "%s\n", ex.Summary)
			}
			for i, s := range ex.Steps {
				fmt.Fprintf(out, "\nStep %d: %s  [%s, %s]\n", i+1, s.Title, s.File, words.Points(s.Points))
				if s.Task != "" {
					fmt.Fprintf(out, "  %s\n", s.Task)
				}
				if hints {
					for j, h := range s.AllHints() {
						fmt.Fprintf(out, "  hint %d: %s\n", j+1, h)
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&hints, "hints", false, "show the hints too")
	return cmd
}
