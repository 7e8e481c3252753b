package engine

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/cmdstats"
)

func TestMain(m *testing.M) {
	ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

// kinds are the engines every behavioural test runs against.
var kinds = []string{KindProcess, KindEmbedded}

func requireRedisServer(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found on PATH: apt-get install redis-server")
	}
}

func newEngine(t testing.TB, kind string, opts Options) Engine {
	t.Helper()
	if kind == KindProcess {
		requireRedisServer(t)
	}
	eng, _, err := New(t.Context(), kind, opts)
	if err != nil {
		t.Fatalf("New(%q): %v", kind, err)
	}
	return eng
}

func start(t testing.TB, kind string, opts Options) Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := newEngine(t, kind, opts).Start(ctx)
	if err != nil {
		t.Fatalf("start %s: %v", kind, err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func connect(t testing.TB, srv Server, db int) *redis.Client {
	t.Helper()
	o := srv.Options()
	o.DB = db
	o.MaxRetries = -1 // a test must see the first failure, not retries against a dead server
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func bg(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func cmdStats(t testing.TB, c *redis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(bg(t), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	if !strings.HasPrefix(info, "# Commandstats") {
		t.Fatalf("INFO commandstats: unexpected reply %q", info)
	}
	return cmdstats.Parse(info)
}

// pid returns the server's child process id, for checks on the process itself.
func pid(t testing.TB, srv Server) (int, *exec.Cmd) {
	t.Helper()
	switch s := srv.(type) {
	case *processServer:
		return s.cmd.Process.Pid, s.cmd
	case *embeddedServer:
		return s.cmd.Process.Pid, s.cmd
	}
	t.Fatalf("unknown server type %T", srv)
	return 0, nil
}

func requireGone(t testing.TB, srv Server) {
	t.Helper()
	p, cmd := pid(t, srv)
	if cmd.ProcessState == nil {
		t.Errorf("process %d was not waited for", p)
	}
	if err := syscall.Kill(p, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists (kill 0: %v)", p, err)
	}
	if s, ok := srv.(*processServer); ok {
		if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("temp dir %s not removed (stat: %v)", s.dir, err)
		}
	}
}

func TestStartSetGet(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := start(t, kind, Options{})
			if o := srv.Options(); o.Protocol != 2 {
				t.Errorf("Options().Protocol = %d, want 2", o.Protocol)
			}
			c := connect(t, srv, 0)
			ctx := bg(t)
			if err := c.Set(ctx, "stock", "100", 0).Err(); err != nil {
				t.Fatalf("SET: %v", err)
			}
			if got, err := c.Get(ctx, "stock").Result(); err != nil || got != "100" {
				t.Fatalf("GET = %q, %v; want 100", got, err)
			}

			info := srv.Info()
			if info.Kind != kind {
				t.Errorf("Info().Kind = %q, want %q", info.Kind, kind)
			}
			switch kind {
			case KindProcess:
				if !strings.HasPrefix(info.Version, "7.") || info.Emulator || info.Note != "" {
					t.Errorf("Info() = %+v, want version 7.x, not an emulator", info)
				}
			case KindEmbedded:
				// Test binaries carry no dependency versions (golang/go#33976): there the fallback shows.
				okVersion := info.Version == "miniredis" || strings.HasPrefix(info.Version, "miniredis v2.")
				if !okVersion || !info.Emulator || info.Note != embeddedNote {
					t.Errorf("Info() = %+v, want miniredis [v2.x], an emulator, with a note", info)
				}
			}
		})
	}
}

func TestReset(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := start(t, kind, Options{})
			c0, c5 := connect(t, srv, 0), connect(t, srv, 5)
			ctx := bg(t)
			must(t, c0.Set(ctx, "a", "1", 0).Err())
			must(t, c5.Set(ctx, "b", "2", 0).Err())
			must(t, c0.Incr(ctx, "n").Err())
			sha, err := c0.ScriptLoad(ctx, "return 1").Result()
			must(t, err)
			if kind == KindProcess {
				must(t, c0.FunctionLoad(ctx, "#!lua name=lib\nredis.register_function('f', function() return 1 end)").Err())
			}
			if _, ok := cmdStats(t, c0)["incr"]; !ok {
				t.Fatal("INFO commandstats has no cmdstat_incr after INCR")
			}

			if err := srv.Reset(ctx); err != nil {
				t.Fatalf("Reset: %v", err)
			}

			for db, c := range map[int]*redis.Client{0: c0, 5: c5} {
				if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
					t.Errorf("DBSIZE in db %d after Reset = %d, %v; want 0", db, n, err)
				}
			}
			if ex, err := c0.ScriptExists(ctx, sha).Result(); err != nil || !slices.Equal(ex, []bool{false}) {
				t.Errorf("SCRIPT EXISTS after Reset = %v, %v; want [false]", ex, err)
			}
			if kind == KindProcess {
				if libs, err := c0.FunctionList(ctx, redis.FunctionListQuery{}).Result(); err != nil || len(libs) != 0 {
					t.Errorf("FUNCTION LIST after Reset = %v, %v; want none", libs, err)
				}
			}
			stats := cmdStats(t, c0)
			if _, ok := stats["incr"]; ok {
				t.Errorf("INFO commandstats after Reset still has cmdstat_incr: %v", stats)
			}

			// With setup commands: what they write is there, nothing else is, and writing it is not in the
			// statistics.
			must(t, c0.Set(ctx, "old", "1", 0).Err())
			must(t, srv.Reset(ctx, []any{"MSET", "stock", "100", "sales", "0"}, []any{"RPUSH", "q", "a", "b"}))
			if got, err := c0.MGet(ctx, "stock", "sales", "old").Result(); err != nil || !slices.Equal(got, []any{"100", "0", nil}) {
				t.Errorf("MGET stock sales old after Reset with given keys = %v, %v; want [100 0 <nil>]", got, err)
			}
			if got, err := c0.LRange(ctx, "q", 0, -1).Result(); err != nil || !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("LRANGE q after Reset with RPUSH q a b = %v, %v", got, err)
			}
			if stats := cmdStats(t, c0); stats["mset"] != 0 || stats["rpush"] != 0 {
				t.Errorf("INFO commandstats after Reset with given keys counts the grader's writes: %v", stats)
			}
			if err := srv.Reset(ctx, []any{"XADD", "s", "0-0", "f", "v"}); err == nil || !strings.Contains(err.Error(), "ID") {
				t.Errorf("Reset with a setup command Redis refuses = %v; want its error", err)
			}
		})
	}
}

func TestCommandStatsCountLua(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := start(t, kind, Options{})
			c := connect(t, srv, 0)
			ctx := bg(t)
			must(t, c.Set(ctx, "stock", "100", 0).Err())
			must(t, srv.Reset(ctx))
			err := c.Eval(ctx, "redis.call('DECR','stock') redis.call('INCR','sales')", nil).Err()
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatalf("EVAL: %v", err)
			}
			stats := cmdStats(t, c)
			for _, name := range []string{"decr", "incr", "eval"} {
				if stats[name] != 1 {
					t.Errorf("cmdstat_%s calls = %d, want 1 (all: %v)", name, stats[name], stats)
				}
			}
		})
	}
}

// TestCommandStatsAgree runs the same commands on both engines: the emulated statistics must match Redis's
// for what a student can do (transactions, subcommands, INFO and RESETSTAT themselves).
func TestCommandStatsAgree(t *testing.T) {
	run := func(kind string) map[string]int64 {
		srv := start(t, kind, Options{})
		c := connect(t, srv, 0)
		ctx := bg(t)
		must(t, srv.Reset(ctx))
		must(t, c.Ping(ctx).Err())
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, "n")
			p.Incr(ctx, "n")
			return nil
		})
		must(t, err)
		// A discarded transaction: nothing inside it runs, so nothing inside it counts.
		conn := c.Conn()
		defer conn.Close()
		must(t, conn.Do(ctx, "multi").Err())
		if err := conn.Do(ctx, "decr", "n").Err(); err != nil {
			t.Fatalf("queue DECR: %v", err)
		}
		must(t, conn.Do(ctx, "discard").Err())
		must(t, c.ScriptLoad(ctx, "return redis.call('GET', KEYS[1])").Err())
		must(t, c.Eval(ctx, "return redis.call('GET', KEYS[1])", []string{"n"}).Err())
		_ = cmdStats(t, c) // counted by the next INFO
		return cmdStats(t, c)
	}
	real, emulated := run(KindProcess), run(KindEmbedded)
	for _, name := range []string{"ping", "multi", "exec", "discard", "incr", "decr", "get", "eval", "script|load", "info", "config|resetstat"} {
		if real[name] != emulated[name] {
			t.Errorf("cmdstat_%s: redis-server %d, embedded %d", name, real[name], emulated[name])
		}
	}
	t.Logf("redis-server: %v", real)
	t.Logf("embedded:     %v", emulated)
}

func TestRunawayScript(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			eng := newEngine(t, kind, Options{})
			srv, err := eng.Start(bg(t))
			must(t, err)
			c := connect(t, srv, 0)

			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			began := time.Now()
			err = c.Eval(ctx, "while true do end", nil).Err()
			if !isTimeout(err) {
				t.Fatalf("EVAL endless loop: err = %v, want a timeout", err)
			}
			if d := time.Since(began); d > 2*time.Second {
				t.Errorf("EVAL returned after %v, want about 300ms", d)
			}

			began = time.Now()
			must(t, srv.Close())
			if d := time.Since(began); d > 2*time.Second {
				t.Errorf("Close took %v, want < 2s", d)
			}
			t.Logf("Close after runaway took %v", time.Since(began))
			requireGone(t, srv)

			again := start(t, kind, Options{})
			c2 := connect(t, again, 0)
			must(t, c2.Set(bg(t), "k", "v", 0).Err())
		})
	}
}

// A script that has not written is killed by Reset (SCRIPT KILL); one that has written cannot be, and Reset
// says so quickly rather than hanging: the caller then replaces the server.
func TestResetBusyProcess(t *testing.T) {
	srv := start(t, KindProcess, Options{})
	c := connect(t, srv, 0)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := c.Eval(ctx, "while true do end", nil).Err(); !isTimeout(err) {
		t.Fatalf("EVAL: %v, want timeout", err)
	}
	must(t, srv.Reset(bg(t)))
	must(t, c.Set(bg(t), "k", "v", 0).Err())

	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if err := c.Eval(ctx2, "redis.call('SET','x','1') while true do end", nil).Err(); !isTimeout(err) {
		t.Fatalf("EVAL: %v, want timeout", err)
	}
	began := time.Now()
	err := srv.Reset(bg(t))
	if err == nil || !strings.Contains(err.Error(), "UNKILLABLE") {
		t.Fatalf("Reset with an unkillable script = %v, want an UNKILLABLE error", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("Reset took %v to give up", d)
	}
}

func TestResetBusyEmbeddedHasDeadline(t *testing.T) {
	srv := start(t, KindEmbedded, Options{})
	c := connect(t, srv, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := c.Eval(ctx, "while true do end", nil).Err(); !isTimeout(err) {
		t.Fatalf("EVAL: %v, want timeout", err)
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer rcancel()
	began := time.Now()
	if err := srv.Reset(rctx); err == nil {
		t.Fatal("Reset while a script loops: no error")
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("Reset took %v, want it bounded by its 500ms context", d)
	}
}

// Student code that abuses the server ends the server, not the grader.
func TestHostileCommands(t *testing.T) {
	t.Run("process debug sleep refused", func(t *testing.T) {
		c := connect(t, start(t, KindProcess, Options{}), 0)
		if err := c.Do(bg(t), "debug", "sleep", "10").Err(); err == nil {
			t.Fatal("DEBUG SLEEP allowed")
		}
	})
	for _, kind := range kinds {
		t.Run(kind+" shutdown", func(t *testing.T) {
			srv := start(t, kind, Options{})
			c := connect(t, srv, 0)
			_ = c.Do(bg(t), "shutdown", "nosave").Err()
			must(t, srv.Close())
			requireGone(t, srv)
		})
		t.Run(kind+" lua memory bomb", func(t *testing.T) {
			srv := start(t, kind, Options{MaxMemory: "8mb"})
			// What is tested is that the server dies, not how soon: the bomb
			// builds 512 MB (the memory ceiling), which a loaded machine
			// stretches well past the 20 s this once allowed. The bound only
			// keeps a server that never dies from hanging the test.
			const bound = 3 * time.Minute
			o := srv.Options()
			o.ReadTimeout, o.MaxRetries = bound, -1
			c := redis.NewClient(o)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			began := time.Now()
			err := c.Eval(ctx, "local t, s = {}, 'x' while true do s = s .. s t[#t+1] = s end", nil).Err()
			if err == nil || isTimeout(err) {
				t.Fatalf("memory bomb: err = %v, want the server to die", err)
			}
			t.Logf("memory bomb ended after %v: %v", time.Since(began), err)
			if s, ok := srv.(*embeddedServer); ok {
				<-s.exited
				t.Logf("child output: %s", s.out)
			}
			must(t, srv.Close())
			requireGone(t, srv)
		})
	}
}

func TestCloseIdempotent(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := start(t, kind, Options{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if err := srv.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
			}
			wg.Wait()
			must(t, srv.Close())
			requireGone(t, srv)
		})
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	failing := filepath.Join(dir, "fake-redis-server")
	must(t, os.WriteFile(failing, []byte("#!/bin/sh\necho 'FATAL CONFIG FILE ERROR: boom' >&2\nexit 1\n"), 0o755))

	tests := []struct {
		name, server string
		want         []string
	}{
		{"missing", filepath.Join(dir, "nope", "redis-server"), []string{"start redis-server", "nope/redis-server"}},
		{"exits", failing, []string{"start redis-server", failing, "--unixsocket", `--save ""`, "exited", "boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, _, err := New(t.Context(), KindProcess, Options{RedisServer: tt.server})
			must(t, err)
			srv, err := eng.Start(bg(t))
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		slow := filepath.Join(dir, "slow-redis-server")
		must(t, os.WriteFile(slow, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
		eng, _, err := New(t.Context(), KindProcess, Options{RedisServer: slow, StartTimeout: 200 * time.Millisecond})
		must(t, err)
		began := time.Now()
		_, err = eng.Start(bg(t))
		if err == nil || !strings.Contains(err.Error(), "not ready after 200ms") {
			t.Fatalf("Start = %v, want a not-ready error", err)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("Start took %v to time out", d)
		}
	})
}

func TestNew(t *testing.T) {
	requireRedisServer(t)
	if got := Kinds(); !slices.Equal(got, []string{"auto", "process", "embedded", "docker"}) {
		t.Errorf("Kinds() = %v", got)
	}

	_, _, err := New(t.Context(), "nope", Options{})
	if err == nil || !strings.Contains(err.Error(), "auto, process, embedded") || !errors.Is(err, ErrBadOptions) {
		t.Errorf(`New("nope") error = %v, want it to list the kinds`, err)
	}
	_, _, err = New(t.Context(), "docker", Options{Image: "not a valid image"})
	if err == nil || !strings.Contains(err.Error(), `image "not a valid image"`) || !errors.Is(err, ErrBadOptions) {
		t.Errorf(`New("docker") with a bad image: error = %v`, err)
	}
	_, _, err = New(t.Context(), "process", Options{MaxMemory: "lots"})
	if err == nil || !strings.Contains(err.Error(), `"lots"`) || !errors.Is(err, ErrBadOptions) {
		t.Errorf("New with a bad MaxMemory: error = %v", err)
	}

	// Where no Docker engine answers, auto picks process; docker_test.go tests the other cases.
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	eng, reason, err := New(t.Context(), "auto", Options{})
	must(t, err)
	path, _ := exec.LookPath("redis-server")
	if eng.Kind() != KindProcess || !strings.HasPrefix(reason, "process: no Docker engine answered") || !strings.HasSuffix(reason, "; redis-server found at "+path) {
		t.Errorf(`New("auto") = %s, %q; want process, found at %s`, eng.Kind(), reason, path)
	}

	eng, reason, err = New(t.Context(), "auto", Options{RedisServer: "/nonexistent/redis-server"})
	must(t, err)
	if eng.Kind() != KindEmbedded || !strings.HasPrefix(reason, "embedded: ") {
		t.Errorf(`New("auto") with a missing redis-server = %s, %q; want embedded`, eng.Kind(), reason)
	}
	t.Logf("fallback reason: %s", reason)
}

func TestNoLeftoverChildren(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			eng := newEngine(t, kind, Options{})
			before := children(t)
			for range 10 {
				srv, err := eng.Start(bg(t))
				must(t, err)
				must(t, srv.Close())
				requireGone(t, srv)
			}
			if after := children(t); len(after) > len(before) {
				t.Errorf("children of the test process: before %v, after %v", before, after)
			}
		})
	}
}

func TestEmbeddedRefusesToRecurse(t *testing.T) {
	t.Setenv(embeddedChildEnv, "1")
	_, err := newEngine(t, KindEmbedded, Options{}).Start(bg(t))
	if err == nil || !strings.Contains(err.Error(), "ServeEmbeddedIfChild") {
		t.Fatalf("Start inside a child = %v, want an error naming ServeEmbeddedIfChild", err)
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"64mb", 64 << 20, true},
		{"64MB", 64 << 20, true},
		{"1gb", 1 << 30, true},
		{"100", 100, true},
		{"10k", 10000, true},
		{"2kb", 2048, true},
		{"0", 0, true},
		{"", 0, false},
		{"mb", 0, false},
		{"-1mb", 0, false},
		{"64 megabytes", 0, false},
	}
	for _, tt := range tests {
		got, err := parseMemory(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// children lists the processes whose parent is this test process.
func children(t testing.TB) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	me := os.Getpid()
	var kids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(me) {
			kids = append(kids, p)
		}
	}
	return kids
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkStart(b *testing.B) {
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			eng := newEngine(b, kind, Options{})
			ctx := context.Background()
			for b.Loop() {
				srv, err := eng.Start(ctx)
				if err != nil {
					b.Fatal(err)
				}
				srv.Close()
			}
		})
	}
}

// The grader may grade several submissions at once.
func TestParallelStart(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			eng := newEngine(t, kind, Options{})
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					srv, err := eng.Start(bg(t))
					if err != nil {
						t.Error(err)
						return
					}
					defer srv.Close()
					c := redis.NewClient(srv.Options())
					defer c.Close()
					key := "k" + strconv.Itoa(i)
					if err := c.Set(bg(t), key, i, 0).Err(); err != nil {
						t.Error(err)
					}
					if n, err := c.DBSize(bg(t)).Result(); err != nil || n != 1 {
						t.Errorf("DBSIZE = %d, %v; want 1 (servers must not share data)", n, err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// runaway starts an endless script on srv and returns once the client has given up on it.
func runaway(t *testing.T, srv Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := connect(t, srv, 0).Eval(ctx, "while true do end", nil).Err(); !isTimeout(err) {
		t.Fatalf("EVAL endless loop: err = %v, want a timeout", err)
	}
}

// Close SIGKILLs the embedded child, even one busy in an endless script, and returns with it gone.
func TestEmbeddedCloseKills(t *testing.T) {
	srv := start(t, KindEmbedded, Options{}).(*embeddedServer)
	runaway(t, srv)
	must(t, srv.Close())
	ws, ok := srv.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child ended with %v, want killed by SIGKILL", srv.cmd.ProcessState)
	}
	requireGone(t, srv)
}

// The embedded child ends by itself when its stdin reaches EOF, as it does when the grader dies, even while a
// script loops: the loop runs on a connection's goroutine, stdin is read on another.
func TestEmbeddedChildExitsOnEOF(t *testing.T) {
	srv := start(t, KindEmbedded, Options{}).(*embeddedServer)
	runaway(t, srv)
	srv.stdin.Close()
	select {
	case <-srv.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the child did not exit within 30s of its stdin's EOF")
	}
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("child exit: %v, want a clean exit (0) on EOF", srv.cmd.ProcessState)
	}
	must(t, srv.Close())
	requireGone(t, srv)
}
