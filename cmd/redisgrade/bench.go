package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/batch"
	"github.com/redisgrade/redisgrade/bench"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
)

type benchFlags struct {
	exercise string
	examples string
	n        int
	freshN   int
	dockerN  int
	jobs     int
	keep     string
	image    string
	server   string
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure batch grading: warm pool, fresh server, fresh container, and the floor",
		Long: "bench generates a class of submissions from the example submissions (correct ones and each kind of\n" +
			"mistake), grades it in batch mode in each way and prints submissions per second, with ratios. It\n" +
			"checks that every student has one result with the verdicts the examples expect. Then it prints the\n" +
			"floor: the Redis commands one grading sends, and what they cost sent straight to the same server.",
		Example: "  redisgrade bench -n 1000\n  redisgrade bench -n 200 --fresh-n 50 --docker-n 10 -j 2",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError(fmt.Errorf("bench takes no arguments, got %d", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.exercise, "exercise", "e", "lua-atomicity", "exercise to grade")
	fl.StringVar(&f.examples, "examples", "", "folder of example submissions, each with an expected.yaml (default: submissions/examples/EXERCISE)")
	fl.IntVarP(&f.n, "n", "n", 1000, "submissions graded with the warm pool")
	fl.IntVar(&f.freshN, "fresh-n", 100, "submissions graded with a fresh redis-server each")
	fl.IntVar(&f.dockerN, "docker-n", 20, "submissions graded with a fresh container each")
	fl.IntVarP(&f.jobs, "jobs", "j", grader.DefaultJobs(), "workers (default: cores + 1)")
	fl.StringVar(&f.keep, "keep", "", "keep the generated classes and results in this folder (default: a temp folder, removed)")
	fl.StringVar(&f.image, "image", "", "docker engine: the Redis image (default: the engine's)")
	fl.StringVar(&f.server, "redis-server", "", "process engine: path of redis-server, or of any Redis or Valkey server (default: from PATH)")
	return cmd
}

func runBench(cmd *cobra.Command, f benchFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.n < 1 || f.freshN < 1 || f.dockerN < 1 || f.jobs < 1 {
		return usageError(errors.New("-n, --fresh-n, --docker-n and -j must be at least 1"))
	}
	ex, err := exercises.Load(f.exercise)
	if err != nil {
		return usageError(err)
	}
	if f.examples == "" {
		f.examples = "submissions/examples/" + ex.ID
	}
	examples, err := batch.LoadExamples(f.examples)
	if err != nil {
		return usageError(fmt.Errorf("--examples: %w (run from the repository, or pass --examples)", err))
	}
	dir := f.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "redisgrade-bench-"); err != nil {
			return &exitError{code: exitInfra, err: err}
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError(fmt.Errorf("--keep: %w", err))
	}
	fmt.Fprintf(stdout, "redisgrade bench: %s, %d example submissions cycled; %d CPUs, GOMAXPROCS %d\n",
		ex.ID, len(examples), runtime.NumCPU(), runtime.GOMAXPROCS(0))

	res, err := bench.Run(cmd.Context(), bench.Options{
		Exercise: ex, Examples: examples, N: f.n, FreshN: f.freshN, DockerN: f.dockerN,
		Workers: f.jobs, Dir: dir, Log: stderr,
		NewEngine: func(kind string) (engine.Engine, error) {
			eng, _, err := engine.New(cmd.Context(), kind, engine.Options{Image: f.image, RedisServer: f.server})
			return eng, err
		},
	})
	if res != nil {
		res.Print(stdout, f.jobs)
	}
	switch {
	case err != nil && cmd.Context().Err() != nil:
		return &exitError{code: exitInfra, err: errors.New("interrupted")}
	case err != nil:
		return &exitError{code: exitInfra, err: err}
	case res.Problems():
		return &exitError{code: exitInfra, err: errors.New("some results were wrong: see PROBLEM above")}
	case res.Warm.Err != nil || res.Fresh.Err != nil:
		return &exitError{code: exitInfra, err: errors.New(strings.TrimSpace("the warm or fresh run failed: see above"))}
	}
	return nil
}
