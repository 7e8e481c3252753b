package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/bundle"
)

type bundleFlags struct {
	exercise string
	output   string
	binary   string
}

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle gradescope|prairielearn|exercism --exercise NAME|FILE -o OUT",
		Short: "Package an autograder: a Gradescope zip, a PrairieLearn external-grader or an Exercism test runner",
		Long: "bundle packages redisgrade, redis-server's installation and an exercise for a learning platform.\n" +
			"The grader binary shipped is this one, or --binary: it must be a linux/amd64 build.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(errors.New("bundle needs a platform: gradescope, prairielearn or exercism"))
			}
			return usageError(fmt.Errorf("unknown platform %q (known: gradescope, prairielearn, exercism)", args[0]))
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(
		bundleSubcommand("gradescope", "autograder.zip",
			"Write Gradescope's autograder zip: setup.sh, run_autograder, the grader and the spec",
			"  redisgrade bundle gradescope --exercise lua-atomicity -o autograder.zip",
			writeGradescopeZip),
		bundleSubcommand("prairielearn", "DIR",
			"Write a PrairieLearn external-grader image recipe: Dockerfile, entrypoint, grader and spec",
			"  redisgrade bundle prairielearn --exercise lua-atomicity -o pl-grader",
			func(b *bundle.Bundle, dir string) error { return b.PrairieLearn(dir) }),
		bundleSubcommand("exercism", "DIR",
			"Write an Exercism test runner: bin/run.sh, the grader, the spec and a Dockerfile",
			"  redisgrade bundle exercism --exercise lua-atomicity -o exercism-runner",
			func(b *bundle.Bundle, dir string) error { return b.Exercism(dir) }),
	)
	return cmd
}

func bundleSubcommand(platform, out, short, example string, write func(*bundle.Bundle, string) error) *cobra.Command {
	var f bundleFlags
	cmd := &cobra.Command{
		Use:     platform + " --exercise NAME|FILE -o " + out,
		Short:   short,
		Example: example,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError(fmt.Errorf("bundle %s takes no arguments, got %q", platform, args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			binary := f.binary
			if binary == "" {
				exe, err := os.Executable()
				if err != nil {
					return usageError(fmt.Errorf("find this executable (pass --binary): %w", err))
				}
				binary = exe
			}
			if err := outputFolderExists(f.output); err != nil {
				return usageError(err)
			}
			b, err := bundle.New(f.exercise, binary)
			if err != nil {
				return usageError(err)
			}
			for _, w := range b.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "redisgrade: warning: %s\n", w)
			}
			if err := write(b, f.output); err != nil {
				return &exitError{code: exitInfra, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: the %s autograder for %s\n", f.output, platform, b.Exercise.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	exerciseFlag(fl, &f.exercise)
	fl.StringVarP(&f.output, "output", "o", "", "where to write: "+out)
	fl.StringVar(&f.binary, "binary", "", "the redisgrade to ship, a linux/amd64 build (default: this executable)")
	_ = cmd.MarkFlagRequired("exercise")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// outputFolderExists refuses an -o whose folder is not there: a typo in a
// path is the user's to fix (exit 2), not the grader failing (exit 3).
func outputFolderExists(out string) error {
	dir := filepath.Dir(filepath.Clean(out))
	info, err := os.Stat(dir)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("-o %s: the folder %s does not exist", out, dir)
	case err != nil:
		return fmt.Errorf("-o %s: %w", out, err)
	case !info.IsDir():
		return fmt.Errorf("-o %s: %s is not a folder", out, dir)
	}
	return nil
}

// writeGradescopeZip writes the zip through a temporary file renamed into
// place: a failed run leaves no half zip behind.
func writeGradescopeZip(b *bundle.Bundle, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := b.Gradescope(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
