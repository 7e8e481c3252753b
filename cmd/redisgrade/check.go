package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
	"github.com/redisgrade/redisgrade/workspace"
)

// studentFlags are the flags the student commands share.
type studentFlags struct {
	dir       string
	engine    string
	color     string
	redisPath string
	verbose   bool
}

func (f *studentFlags) add(cmd *cobra.Command, withDir bool) {
	fl := cmd.Flags()
	if withDir {
		fl.StringVarP(&f.dir, "dir", "C", ".", "the workspace folder (default: this one, or the nearest one above it)")
	}
	fl.StringVar(&f.engine, "engine", engine.KindAuto, "where Redis runs: "+strings.Join(engine.Kinds(), ", "))
	fl.StringVar(&f.color, "color", "auto", "colour: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
	fl.StringVar(&f.redisPath, "redis-server", "", "process engine: path of redis-server, or of any Redis or Valkey server (default: from PATH)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say which engine was chosen and why")
}

// newEngine picks the engine: an unknown kind is bad input (exit 2), an
// engine that cannot be had is the grader's failure (exit 3).
func (f *studentFlags) newEngine(ctx context.Context, stderr io.Writer) (engine.Engine, error) {
	kind, err := chooseEngine(f.engine)
	if err != nil {
		return nil, err
	}
	eng, reason, err := engine.New(ctx, kind, engine.Options{RedisServer: f.redisPath})
	if err != nil {
		return nil, &exitError{code: exitInfra, err: err}
	}
	if f.verbose {
		fmt.Fprintf(stderr, "redisgrade: engine %s\n", reason)
	}
	return eng, nil
}

// openWorkspace opens the workspace and its exercise; both failures are bad input.
func openWorkspace(dir string) (*workspace.Workspace, *exercises.Exercise, error) {
	ws, err := workspace.Open(dir)
	if err != nil {
		return nil, nil, usageError(err)
	}
	ex, err := ws.Exercise()
	if err != nil {
		return nil, nil, usageError(fmt.Errorf("%s names exercise %q: %w", workspace.StateFile, ws.State.Exercise, err))
	}
	return ws, ex, nil
}

func studentTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func newCheckCmd() *cobra.Command {
	var f studentFlags
	var watch bool
	cmd := &cobra.Command{
		Use:   "check [--watch]",
		Short: "Grade your workspace: steps done, what is wrong with the next one",
		Long: "check grades the workspace made by init with its exercise: each step that is done on one line,\n" +
			"the first unfinished one in full (its task, what was expected and what happened, why it matters,\n" +
			"the keys your commands left), then a progress bar. --watch grades again on every save.\n\n" +
			"Exit codes: 0 every step done, 1 not yet, 2 no workspace or bad flags, 3 the grader could not grade.",
		Example: "  redisgrade check\n  redisgrade check --watch\n  redisgrade check --dir ~/lua-atomicity",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError(fmt.Errorf("check takes no arguments (the workspace is --dir, default this folder), got %q", args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, f, watch) },
	}
	f.add(cmd, true)
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "grade again every time a step file is saved (Ctrl-C to stop)")
	return cmd
}

func runCheck(cmd *cobra.Command, f studentFlags, watch bool) error {
	ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	useColor, err := colorWanted(f.color, stdout)
	if err != nil {
		return usageError(err)
	}
	if _, err := chooseEngine(f.engine); err != nil {
		return err // before the workspace: every flag is checked first
	}
	ws, ex, err := openWorkspace(f.dir)
	if err != nil {
		return err
	}
	eng, err := f.newEngine(cmd.Context(), stderr)
	if err != nil {
		return err
	}
	if watch {
		return watchWorkspace(ctx, ws, ex, eng, stdout, stderr, useColor)
	}

	sub, err := submissions.Open(ws.Dir)
	if err != nil {
		return usageError(err)
	}
	rep, err := grader.Grade(ctx, ex, sub, eng, grader.Options{})
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: exitInfra, err: errors.New("interrupted: nothing was graded")}
		}
		return &exitError{code: exitInfra, err: fmt.Errorf("could not grade %s: %w", ws.Dir, err)}
	}
	if err := ws.RenderCheck(stdout, ex, rep, useColor); err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	recordLastStep(ws, rep, stderr)
	return verdictExit(rep)
}

// recordLastStep remembers the first unfinished step, for hint.
func recordLastStep(ws *workspace.Workspace, rep *report.Report, stderr io.Writer) {
	if err := ws.RecordLastStep(rep); err != nil {
		fmt.Fprintf(stderr, "redisgrade: %v\n", err)
	}
}

// Screen control for a terminal: home, clear the screen and the scrollback.
const ansiClearScreen = "\x1b[H\x1b[2J\x1b[3J"

// watchWorkspace grades on one warm session every time a step file is saved.
func watchWorkspace(ctx context.Context, ws *workspace.Workspace, ex *exercises.Exercise, eng engine.Engine, stdout, stderr io.Writer, useColor bool) error {
	pool := grader.NewPool(grader.PoolConfig{Engine: eng, Jobs: 1})
	defer pool.Close()
	lease, err := pool.Acquire(ctx)
	if err == nil {
		defer lease.Release()
		err = lease.Ready(ctx)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return &exitError{code: exitInfra, err: err}
	}
	term := studentTerminal(stdout)
	var files []string
	for _, s := range ex.Steps {
		files = append(files, s.File)
	}
	grade := func(ctx context.Context) {
		var screen bytes.Buffer
		now := time.Now().Format("15:04:05")
		if term {
			screen.WriteString(ansiClearScreen)
			fmt.Fprintf(&screen, "Watching %s · graded at %s · Ctrl-C to stop\n", ws.Dir, now)
		} else {
			fmt.Fprintf(&screen, "── graded at %s ──\n", now)
		}
		defer func() { _, _ = stdout.Write(screen.Bytes()) }()
		// The last grading may have lost the server: start another.
		if err := lease.Ready(ctx); err != nil {
			fmt.Fprintf(&screen, "\nredisgrade: could not start Redis: %v\nSave a file to try again.\n", err)
			return
		}
		sub, err := submissions.Open(ws.Dir)
		if err != nil {
			fmt.Fprintf(&screen, "\nredisgrade: %s\n", report.Visible(err.Error()))
			return
		}
		rep, err := lease.Grade(ctx, ex, sub, grader.Options{})
		if err != nil {
			if ctx.Err() != nil {
				screen.Reset()
				return
			}
			fmt.Fprintf(&screen, "\nredisgrade: could not grade: %s\nSave a file to try again.\n", report.Visible(err.Error()))
			return
		}
		screen.WriteString("\n")
		if err := ws.RenderCheck(&screen, ex, rep, useColor); err != nil {
			fmt.Fprintf(&screen, "redisgrade: %v\n", err)
		}
		recordLastStep(ws, rep, stderr)
	}
	if err := workspace.Watch(ctx, ws.Dir, files, workspace.DefaultQuiet, grade); err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	fmt.Fprintln(stderr, "redisgrade: stopped watching")
	return nil
}
