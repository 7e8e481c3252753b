package engine

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxUnixSocketPath is sun_path's size on Linux minus the terminating NUL.
const maxUnixSocketPath = 107

type processEngine struct {
	opts     Options
	maxBytes int64
}

func (e *processEngine) Kind() string { return KindProcess }

func (e *processEngine) Start(ctx context.Context) (Server, error) {
	bin, err := findRedisServer(e.opts.RedisServer)
	if err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	dir, err := os.MkdirTemp("", "redisgrade-")
	if err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	sock := filepath.Join(dir, "redis.sock")
	if len(sock) > maxUnixSocketPath {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: socket path %q is too long for a unix socket (set TMPDIR to a shorter dir)", sock)
	}

	args := []string{
		"--port", "0",
		"--unixsocket", sock,
		"--unixsocketperm", "700",
		"--dir", dir,
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", "",
	}
	args = append(args, hardening(e.opts.MaxMemory)...)
	cmd := exec.Command(bin, args...)
	out := &tailBuffer{max: outputTail}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childSysProcAttr()
	// A fork of redis-server (BGSAVE) could keep the output pipe open after we kill the server: bound Wait.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &processServer{cmd: cmd, dir: dir, sock: sock, out: out, exited: make(chan struct{})}
	// Set the ceiling before any client can connect, so even the first command is bounded. It comes before
	// anything reaps the child: a server that already exited is still a zombie, so prlimit cannot fail with
	// ESRCH nor reach a process that reused its pid.
	limitErr := limitMemory(cmd.Process.Pid, memoryCeiling(e.maxBytes))
	go func() {
		_ = cmd.Wait() // the exit status is reported through out and exited
		close(s.exited)
	}()
	if limitErr != nil {
		s.Close()
		return nil, fmt.Errorf("start redis-server: limit memory: %w", limitErr)
	}

	if err := s.waitReady(ctx, e.opts.StartTimeout); err != nil {
		s.Close()
		return nil, fmt.Errorf("start redis-server (%s %s): %w", bin, strings.Join(quoteArgs(args), " "), err)
	}
	lctx, cancel := context.WithTimeout(ctx, e.opts.StartTimeout)
	s.adminOpts, s.studentOpts, err = lockDown(lctx, baseOptions("unix", sock))
	cancel()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s.admin = redis.NewClient(s.adminOptions())
	s.info, err = serverInfo(ctx, s.admin, e.opts.StartTimeout, KindProcess)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	// Start as every later case starts: nothing of the set-up in the statistics.
	if err := s.Reset(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	return s, nil
}

type processServer struct {
	cmd    *exec.Cmd
	dir    string
	sock   string
	out    *tailBuffer
	exited chan struct{} // closed once the process has been reaped
	realServer

	closeOnce sync.Once
	closeErr  error
}

// waitReady polls PING on the socket until it answers, the process exits, or the time is up.
func (s *processServer) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := rawPing(ctx, "unix", s.sock); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("exited: %s", s.out.String())
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w; output: %s", timeout, ctx.Err(), s.out.String())
		case <-tick.C:
		}
	}
}

// rawPing sends one PING without go-redis, whose pool backs off after failed dials and would slow startup.
// A NOAUTH reply counts as alive: the docker engine starts Redis with a one-time password.
func rawPing(ctx context.Context, network, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("ping: unexpected reply %q", strings.TrimSpace(line))
	}
	return nil
}

// Reset empties the server. A script still running from the last student (BUSY) is killed first; if it has
// already written (UNKILLABLE), Reset fails and the caller should Close and Start a new server.

// doUnbusy runs one command, killing a running script or function whenever the server answers BUSY.
func doUnbusy(ctx context.Context, c *redis.Client, args []any) error {
	for {
		err := c.Do(ctx, args...).Err()
		if !redis.HasErrorPrefix(err, "BUSY") {
			if err != nil {
				return fmt.Errorf("%v: %w", args, err)
			}
			return nil
		}
		for _, kill := range [][]any{{"script", "kill"}, {"function", "kill"}} {
			if kerr := c.Do(ctx, kill...).Err(); redis.HasErrorPrefix(kerr, "UNKILLABLE") {
				return fmt.Errorf("a script is still running and cannot be killed: %w", kerr)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%v: server busy: %w", args, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *processServer) Close() error {
	s.closeOnce.Do(func() {
		s.closeAdmin()
		killGroup(s.cmd.Process)
		<-s.exited
		s.closeErr = os.RemoveAll(s.dir)
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close redis-server: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// killGroup SIGKILLs the child and its process group (forks such as BGSAVE die with it).
func killGroup(p *os.Process) {
	killProcessGroup(p.Pid)
	_ = p.Kill() // in case it left the group; an error just means it is gone already
}

// quoteArgs quotes the empty arguments so that an error message shows the command as typed.
func quoteArgs(args []string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return q
}

// tailBuffer keeps the last max bytes written to it: a child's output, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(string(b.buf))
	if s == "" {
		return "(no output)"
	}
	return s
}
