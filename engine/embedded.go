package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The parent tells a re-executed copy of itself to serve miniredis through these variables.
const (
	embeddedChildEnv    = "REDISGRADE_EMBEDDED_CHILD"    // "1": serve miniredis, see ServeEmbeddedIfChild
	embeddedMaxHeapEnv  = "REDISGRADE_EMBEDDED_MAX_HEAP" // bytes of Go heap before the child gives up; 0 = none
	embeddedListenToken = "LISTEN"                       // first word of the child's one line on stdout
	// The passwords of the child's users: "default" (the grader) and StudentUser. The environment of a
	// process is readable only by its own user, and student code has no way to read it.
	embeddedAdminPassEnv   = "REDISGRADE_EMBEDDED_ADMIN_PASS"
	embeddedStudentPassEnv = "REDISGRADE_EMBEDDED_STUDENT_PASS"
	miniredisModule        = "github.com/alicebob/miniredis/v2"
)

// embeddedEngine runs miniredis in a child process: miniredis runs Lua in-process and cannot interrupt an
// endless loop, but a child can be killed.
type embeddedEngine struct {
	opts     Options
	maxBytes int64
}

func (e *embeddedEngine) Kind() string { return KindEmbedded }

func (e *embeddedEngine) Start(ctx context.Context) (Server, error) {
	if os.Getenv(embeddedChildEnv) != "" {
		// We are a child that did not serve: re-executing again would recurse.
		return nil, errors.New("start embedded: this process is an embedded-server child; call engine.ServeEmbeddedIfChild() at the start of main and TestMain")
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	// Own pipes rather than cmd.StdinPipe/StdoutPipe: Close may Wait at any moment, and these outlive Wait.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return nil, fmt.Errorf("start embedded: %w", err)
	}

	adminPass, err := randomPassword()
	if err != nil {
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	studentPass, err := randomPassword()
	if err != nil {
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		embeddedChildEnv+"=1",
		embeddedMaxHeapEnv+"="+strconv.FormatInt(memoryCeiling(e.maxBytes), 10),
		embeddedAdminPassEnv+"="+adminPass,
		embeddedStudentPassEnv+"="+studentPass)
	out := &tailBuffer{max: outputTail}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdinR, stdoutW, out
	cmd.SysProcAttr = childSysProcAttr()
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	stdinR.Close() // the child has its copies
	stdoutW.Close()
	if err != nil {
		stdinW.Close()
		stdoutR.Close()
		return nil, fmt.Errorf("start embedded (%s): %w", exe, err)
	}
	s := &embeddedServer{cmd: cmd, stdin: stdinW, out: out, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()

	addr, err := s.readListen(ctx, stdoutR, e.opts.StartTimeout)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start embedded (%s with %s=1): %w", exe, embeddedChildEnv, err)
	}
	s.addr = addr
	s.adminOpts = baseOptions("tcp", addr)
	s.adminOpts.Username, s.adminOpts.Password = "default", adminPass
	s.studentOpts = baseOptions("tcp", addr)
	s.studentOpts.Username, s.studentOpts.Password = StudentUser, studentPass
	s.admin = redis.NewClient(s.adminOptions())
	s.info = Info{Kind: KindEmbedded, Server: ServerMiniredis, Version: miniredisVersion(), Compatible: emulatedRedis, Emulator: true, Note: embeddedNote}
	if err := s.Reset(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	return s, nil
}

type embeddedServer struct {
	cmd    *exec.Cmd
	stdin  *os.File // closing it tells the child to exit
	out    *tailBuffer
	exited chan struct{}
	addr   string
	admin  *redis.Client
	info   Info

	adminOpts, studentOpts *redis.Options

	closeOnce sync.Once
}

// readListen waits for the child's "LISTEN host:port" line, then keeps draining its stdout into out.
func (s *embeddedServer) readListen(ctx context.Context, stdout *os.File, timeout time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	lineCh := make(chan result, 1)
	go func() {
		defer stdout.Close()
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		lineCh <- result{line, err}
		_, _ = io.Copy(s.out, r) // ends when the child dies
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-lineCh:
		if res.err != nil {
			// No line: the child is exiting, and its stderr (complete once it has) tells why.
			select {
			case <-s.exited:
			case <-timer.C:
			case <-ctx.Done():
			}
			return "", fmt.Errorf("exited: %s", s.out.String())
		}
		addr, ok := strings.CutPrefix(strings.TrimSpace(res.line), embeddedListenToken+" ")
		if !ok {
			return "", fmt.Errorf("unexpected first line %q (does main call engine.ServeEmbeddedIfChild first?); output: %s",
				res.line, s.out.String())
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return "", fmt.Errorf("unexpected first line %q: %w", res.line, err)
		}
		return addr, nil
	case <-s.exited:
		return "", fmt.Errorf("exited: %s", s.out.String())
	case <-timer.C:
		return "", fmt.Errorf("no %s line after %v; output: %s", embeddedListenToken, timeout, s.out.String())
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (s *embeddedServer) Info() Info { return s.info }

func (s *embeddedServer) Options() *redis.Options { return cloneOptions(s.adminOpts) }

func (s *embeddedServer) StudentOptions() *redis.Options { return cloneOptions(s.studentOpts) }

func (s *embeddedServer) adminOptions() *redis.Options {
	o := s.Options()
	o.PoolSize = 1
	o.MaxRetries = -1
	return o
}

var embeddedResetSteps = [][]any{
	{fidelityCommand}, // forgets what the last student did
	{"flushall"},
	{"script", "flush"},
	{"config", "resetstat"},
}

// Reset empties the emulator. miniredis has no functions, so there is no FUNCTION FLUSH; a runaway script
// blocks every command until ctx ends, and then the caller should Close and Start a new server.
func (s *embeddedServer) Reset(ctx context.Context, setup ...[]any) error {
	steps := resetSteps(embeddedResetSteps, setup)
	ctx, cancel := withResetDeadline(ctx)
	defer cancel()
	for _, args := range steps {
		if err := s.admin.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("reset: %v: %w", args, err)
		}
	}
	return nil
}

// unfaithful asks the child what the student's commands did since the last Reset that miniredis cannot
// answer as Redis would (see Unfaithful).
func (s *embeddedServer) unfaithful(ctx context.Context) ([]string, error) {
	reasons, err := s.admin.Do(ctx, fidelityCommand).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("ask the emulator what it could not emulate: %w", err)
	}
	return reasons, nil
}

func (s *embeddedServer) Close() error {
	s.closeOnce.Do(func() {
		if s.admin != nil {
			s.admin.Close()
		}
		// The child exits by itself on its stdin's EOF, even with a script looping in another goroutine: that
		// is how the children of a grader that died go. Close does not leave it to that: it SIGKILLs first, as
		// the other engines do (closing stdin first would race the kill), so the child is gone at once.
		killGroup(s.cmd.Process)
		s.stdin.Close()
		<-s.exited
	})
	return nil
}

// miniredisVersion names the miniredis module this binary was built with.
func miniredisVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == miniredisModule {
				if dep.Replace != nil && dep.Replace.Version != "" {
					return "miniredis " + dep.Replace.Version
				}
				return "miniredis " + dep.Version
			}
		}
	}
	return "miniredis"
}
