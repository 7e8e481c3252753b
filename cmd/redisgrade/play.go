package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/admission"
	"github.com/redisgrade/redisgrade/internal/origin"
	"github.com/redisgrade/redisgrade/play"
	"github.com/redisgrade/redisgrade/workspace"
)

func newPlayCmd() *cobra.Command {
	var f studentFlags
	var addr string
	var noOpen bool
	cmd := &cobra.Command{
		Use:   "play [EXERCISE]",
		Short: "Work an exercise in the browser: a page with an editor per step, Check, hints and the demo",
		Long: "play starts a page on this machine (127.0.0.1, a random port unless --addr) and opens it in the\n" +
			"browser: the exercises, then each step's task with an editor for its file, Check (Ctrl-Enter) with\n" +
			"the same feedback as check, Need a hint? and See it in action. Its address holds a random token: the\n" +
			"first line printed. In a workspace (made by init) the page reads and writes its step files, so the\n" +
			"page and check see the same work; elsewhere the work is kept in the browser, and can be downloaded\n" +
			"as a .zip. EXERCISE (a shipped name or a spec file) opens that exercise first.",
		Example: "  redisgrade play\n  redisgrade play lua-atomicity\n  redisgrade play --no-open --addr 127.0.0.1:8888",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("play takes at most one exercise (%s), got %d arguments", strings.Join(exercises.Shipped(), ", "), len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runPlay(cmd, f, args, addr, noOpen) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.dir, "dir", "C", ".", "the workspace folder, if any (default: this one, or the nearest one above it)")
	fl.StringVar(&f.engine, "engine", engine.KindAuto, "where Redis runs: "+strings.Join(engine.Kinds(), ", "))
	fl.StringVar(&f.redisPath, "redis-server", "", "path of redis-server for the process engine (default: from PATH)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say which engine was chosen and why")
	fl.StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (default: a random port on 127.0.0.1)")
	fl.BoolVar(&noOpen, "no-open", false, "print the address only; do not open a browser")
	return cmd
}

func runPlay(cmd *cobra.Command, f studentFlags, args []string, addr string, noOpen bool) error {
	ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	if _, err := chooseEngine(f.engine); err != nil {
		return err
	}
	cfg := play.Config{}
	ws, err := workspace.Open(f.dir)
	switch {
	case err == nil:
		cfg.Workspace = ws
	case errors.Is(err, workspace.ErrNoWorkspace):
		if cmd.Flags().Changed("dir") {
			return usageError(err)
		}
	default:
		return usageError(err)
	}
	if len(args) == 1 {
		ex, err := exercises.Load(args[0])
		if err != nil {
			return usageError(err)
		}
		cfg.Exercises, cfg.Start = []*exercises.Exercise{ex}, ex.ID
	} else if ws != nil {
		ex, err := ws.Exercise()
		if err != nil {
			return usageError(fmt.Errorf("%s names exercise %q: %w", workspace.StateFile, ws.State.Exercise, err))
		}
		cfg.Start = ex.ID
	}
	eng, err := f.newEngine(cmd.Context(), stderr)
	if err != nil {
		return err
	}
	pool := grader.NewPool(grader.PoolConfig{Engine: eng, Jobs: 1})
	defer pool.Close()
	// Check goes through the same door as serve's gradings: its bounds and
	// time limits are serve's defaults.
	cfg.Door, cfg.Engine = admission.New(admission.Config{Pool: pool, Jobs: 1}), eng
	token, err := newToken()
	if err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	cfg.Token = token
	// Only this machine's names: another site's page cannot rebind its
	// own to the page's port, nor post to it.
	cfg.Guard = origin.New(false)
	h, err := play.New(cfg)
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageError(fmt.Errorf("--addr %s: the page cannot start: %w", addr, err))
	}
	url := fmt.Sprintf("http://%s/?token=%s", ln.Addr(), token)
	fmt.Fprintln(stdout, url)
	if ws != nil {
		fmt.Fprintf(stdout, "Your work is saved in %s (the files check reads).\n", ws.Dir)
	} else {
		fmt.Fprintf(stdout, "Your work is kept in the browser (no workspace here; redisgrade init makes one).\n")
	}
	fmt.Fprintf(stdout, "Ctrl-C to stop.\n")
	go warm(ctx, pool, stderr)
	if !noOpen {
		remove, err := openBrowser(url)
		if err != nil {
			fmt.Fprintf(stderr, "redisgrade: could not open a browser (%v): open the address above yourself\n", err)
		}
		defer remove()
	}
	if err := play.Serve(ctx, ln, h); err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	return nil
}

// warm starts the pool's one session before the first Check needs it.
func warm(ctx context.Context, pool *grader.Pool, stderr io.Writer) {
	lease, err := pool.Acquire(ctx)
	if err != nil {
		return
	}
	defer lease.Release()
	if err := lease.Ready(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "redisgrade: could not start Redis yet (%v): Check will try again\n", err)
	}
}

func newToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// openBrowser asks the desktop to open url, which holds the token, as
// Jupyter does: not the address itself, which would be in the opener's and
// the browser's command lines, where every user of the machine can read it
// (ps), but a file only this user can read that sends the browser on to it.
// remove deletes that file; call it when the page stops.
func openBrowser(url string) (remove func(), err error) {
	path, remove, err := writeOpener(url)
	if err != nil {
		return func() {}, err
	}
	var c *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		c = exec.Command("open", path)
	case "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	default:
		c = exec.Command("xdg-open", path)
	}
	if err := c.Start(); err != nil {
		remove()
		return func() {}, err
	}
	go func() { _ = c.Wait() }()
	return remove, nil
}

// writeOpener writes the page that forwards the browser to url, readable
// by this user only: 0600, in a folder of its own (0700).
func writeOpener(url string) (path string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "redisgrade-play-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "open.html")
	quoted := html.EscapeString(url)
	page := "<!DOCTYPE html>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"0;url=" + quoted + "\">\n" +
		"<title>redisgrade play</title>\n<p><a href=\"" + quoted + "\">Open the exercise</a></p>\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.WriteString(page)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		remove()
		return "", nil, err
	}
	return path, remove, nil
}
