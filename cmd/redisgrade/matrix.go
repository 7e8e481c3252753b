package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/matrix"
	"github.com/redisgrade/redisgrade/submissions"
)

type matrixFlags struct {
	exercise string
	servers  []string
	images   []string
	embedded bool
	format   string
	limits   limitFlags
}

func newMatrixCmd() *cobra.Command {
	var f matrixFlags
	cmd := &cobra.Command{
		Use:   "matrix --exercise NAME|FILE --redis-server PATH... [--image IMAGE...] SUBMISSION",
		Short: "Grade one submission on several servers side by side, and show where their verdicts differ",
		Long: "matrix grades the submission on every server given, each fresh and at once: a Redis or Valkey binary\n" +
			"per --redis-server (the process engine), an image per --image (the docker engine), the emulator with\n" +
			"--embedded. It prints a table of verdicts, a row per step and a column per server, marks with ≠ the\n" +
			"steps the servers disagree on and says why. A server outside the exercise's requires is shown as\n" +
			"refused. Exit 0: every server that graded passed every step; 1: some step failed on some server\n" +
			"(a disagreement included); 3: a server could not grade, or none may.",
		Example: "  redisgrade matrix -e lua-atomicity --redis-server /usr/bin/redis-server \\\n" +
			"    --redis-server ~/valkey/valkey-server submissions/examples/lua-atomicity/correct\n" +
			"  redisgrade matrix -e hash-field-expiry --image redis:8.0 --image valkey/valkey:9.0 --embedded work.zip",
		Args: oneArg("matrix", "submission (a folder, .zip or .tar.gz)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runMatrix(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	exerciseFlag(fl, &f.exercise)
	fl.StringArrayVar(&f.servers, "redis-server", nil, "a Redis or Valkey server binary (or a script that starts one) to grade on with the process engine; repeat for more")
	fl.StringArrayVar(&f.images, "image", nil, "a Redis or Valkey image to grade on with the docker engine; repeat for more")
	fl.BoolVar(&f.embedded, "embedded", false, "grade on the emulator too")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text or json")
	f.limits.register(fl, "time limit for grading the whole submission on one server")
	_ = cmd.MarkFlagRequired("exercise")
	return cmd
}

func runMatrix(cmd *cobra.Command, f matrixFlags, path string) error {
	ctx, stdout := cmd.Context(), cmd.OutOrStdout()
	if f.format != "text" && f.format != "json" {
		return usageError(fmt.Errorf("--format: unknown format %q (known: text, json)", f.format))
	}
	if len(f.servers)+len(f.images) == 0 && !f.embedded {
		return usageError(errors.New("matrix needs servers to compare: --redis-server PATH, --image IMAGE (each as often as needed), --embedded"))
	}
	limits, err := f.limits.options()
	if err != nil {
		return err
	}
	ex, err := exercises.Load(f.exercise)
	if err != nil {
		return usageError(err)
	}
	sub, err := submissions.Open(path)
	if err != nil {
		return usageError(err)
	}
	cols, err := matrixColumns(ctx, f)
	if err != nil {
		return err
	}
	if len(f.images) > 0 {
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = engine.CleanupContainers(cctx)
		}()
	}
	res := matrix.Run(ctx, ex, sub, cols, limits)
	if ctx.Err() != nil {
		return &exitError{code: exitInfra, err: errors.New("interrupted: nothing was graded")}
	}
	if f.format == "json" {
		err = res.WriteJSON(stdout)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		return &exitError{code: exitInfra, err: fmt.Errorf("write the matrix: %w", err)}
	}
	return matrixExit(res)
}

// matrixColumns makes an engine per server the flags name, in the order given: the binaries, the images,
// the emulator.
func matrixColumns(ctx context.Context, f matrixFlags) ([]matrix.Column, error) {
	var cols []matrix.Column
	add := func(kind string, opts engine.Options) error {
		eng, _, err := engine.New(ctx, kind, opts)
		if err != nil {
			if errors.Is(err, engine.ErrBadOptions) {
				return usageError(err)
			}
			return &exitError{code: exitInfra, err: err}
		}
		cols = append(cols, matrix.Column{Engine: eng})
		return nil
	}
	for _, s := range f.servers {
		if err := add(engine.KindProcess, engine.Options{RedisServer: s}); err != nil {
			return nil, err
		}
	}
	for _, img := range f.images {
		if err := add(engine.KindDocker, engine.Options{Image: img}); err != nil {
			return nil, err
		}
	}
	if f.embedded {
		if err := add(engine.KindEmbedded, engine.Options{}); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// matrixExit: 3 when a server could not grade or none may; 1 when some step failed on a server that
// graded it; else 0. A server outside the exercise's requires, or a step outside a step's, counts for
// nothing: the table shows it.
func matrixExit(res *matrix.Result) error {
	graded := 0
	for _, c := range res.Columns {
		switch {
		case c.Error != "":
			return &exitError{code: exitInfra, err: fmt.Errorf("%s could not grade it (see above)", c.Label)}
		case c.Report != nil:
			graded++
		}
	}
	if graded == 0 {
		return &exitError{code: exitInfra, err: errors.New("no server given may grade this exercise (see above)")}
	}
	for _, s := range res.Steps {
		for _, v := range s.Verdicts {
			if v == matrix.Fail {
				return &exitError{code: exitFailed} // the table says where
			}
		}
	}
	return nil
}
