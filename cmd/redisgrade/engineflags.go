package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/grader"
)

// engineFlags are the flags of every command that starts Redis servers.
type engineFlags struct {
	kind      string
	image     string
	redisPath string
}

func (f *engineFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.kind, "engine", engine.KindAuto, "where Redis runs: "+strings.Join(engine.Kinds(), ", "))
	fl.StringVar(&f.image, "image", "", "docker engine: the Redis image (default "+engine.DefaultImage+")")
	fl.StringVar(&f.redisPath, "redis-server", "", "process engine: path of redis-server, or of any Redis or Valkey server (default: from PATH)")
}

// limitFlags are the grader's time limits, as every command that grades
// takes them (grade, batch, serve, worker, serve loadtest).
type limitFlags struct {
	timeout  time.Duration
	deadline time.Duration
}

// register adds --timeout and --deadline; deadlineHelp says what the
// deadline bounds for this command.
func (f *limitFlags) register(fl *pflag.FlagSet, deadlineHelp string) {
	fl.DurationVar(&f.timeout, "timeout", 0, "time limit for one case's commands (default: the spec's, else 2s)")
	fl.DurationVar(&f.deadline, "deadline", grader.DefaultDeadline, deadlineHelp)
}

// options checks the limits (a bad one is a usage error, exit 2) and
// returns them as the grader takes them.
func (f *limitFlags) options() (grader.Options, error) {
	if f.timeout < 0 {
		return grader.Options{}, usageError(errors.New("--timeout must be positive"))
	}
	if f.deadline <= 0 {
		return grader.Options{}, usageError(errors.New("--deadline must be positive"))
	}
	return grader.Options{Timeout: f.timeout, Deadline: f.deadline}, nil
}

// open returns the engine the flags ask for. With verbose, it says which
// engine auto chose and why; Docker I/O runs on ctx, and lets the docker engine log to stderr.
// Bad flags are usage errors (exit 2); an engine that cannot work here is
// an infrastructure error (exit 3).
func (f *engineFlags) open(ctx context.Context, verbose bool, stderr io.Writer) (engine.Engine, func(), error) {
	kind, err := chooseEngine(f.kind)
	if err != nil {
		return nil, nil, err
	}
	opts := engine.Options{RedisServer: f.redisPath, Image: f.image}
	if verbose {
		opts.Log = stderr
	}
	eng, reason, err := engine.New(ctx, kind, opts)
	if err != nil {
		if errors.Is(err, engine.ErrBadOptions) {
			return nil, nil, usageError(fmt.Errorf("--engine: %w", err))
		}
		return nil, nil, &exitError{code: exitInfra, err: err}
	}
	if verbose {
		fmt.Fprintf(stderr, "redisgrade: engine %s\n", reason)
	}
	// Containers are removed as each grading ends, also on Ctrl-C; this
	// sweep catches any a panic or an early exit left behind.
	cleanup := func() {}
	if eng.Kind() == engine.KindDocker {
		cleanup = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = engine.CleanupContainers(ctx)
		}
	}
	return eng, cleanup, nil
}
