package engine

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/tiers"
)

// The docker engine's tests run on a local image built by testdata/redis-image/build.sh (no registry is
// reachable from CI). Where no Docker engine answers, they are skipped, saying how to get one, or fail under
// REDISGRADE_TEST_ALL=1 (internal/tiers).
const defaultTestImage = "redisgrade/redis:7-local"

func testImage() string {
	if img := os.Getenv("REDISGRADE_TEST_IMAGE"); img != "" {
		return img
	}
	return defaultTestImage
}

// requireDocker ends the test (tiers.Missing) unless a Docker engine answers and holds the test image.
func requireDocker(t testing.TB) *client.Client {
	t.Helper()
	host, found := dockerHost()
	if !found {
		tiers.Missing(t, "no Docker engine: DOCKER_HOST is unset and there is no socket at %s: start dockerd, see testdata/redis-image/README.md",
			strings.Join(localDockerSockets(), ", "))
	}
	cli, err := dockerClient(host)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		tiers.Missing(t, "no Docker engine answered at %s (%v): start dockerd, see testdata/redis-image/README.md", host, err)
	}
	if _, err := cli.ImageInspect(ctx, testImage()); err != nil {
		tiers.Missing(t, "test image %s: %v: build it with testdata/redis-image/build.sh (or set REDISGRADE_TEST_IMAGE), see testdata/redis-image/README.md", testImage(), err)
	}
	return cli
}

func dockerOpts(opts Options) Options {
	opts.Image = testImage()
	return opts
}

func startDocker(t testing.TB, opts Options) *dockerServer {
	t.Helper()
	requireDocker(t)
	srv := start(t, KindDocker, dockerOpts(opts))
	return srv.(*dockerServer)
}

// requireContainerGone checks, through the Docker API, that no container with that id exists any more.
func requireContainerGone(t testing.TB, id string) {
	t.Helper()
	cli := requireDocker(t)
	list, err := cli.ContainerList(bg(t), client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelContainer+"=1").Add("id", id),
	})
	must(t, err)
	if len(list.Items) != 0 {
		t.Errorf("container %.12s still exists after Close: %s", id, list.Items[0].State)
	}
}

func TestDockerStartSetGet(t *testing.T) {
	srv := startDocker(t, Options{})
	c := connect(t, srv, 0)
	ctx := bg(t)
	must(t, c.Set(ctx, "stock", "100", 0).Err())
	if got, err := c.Get(ctx, "stock").Result(); err != nil || got != "100" {
		t.Fatalf("GET = %q, %v; want 100", got, err)
	}
	info := srv.Info()
	if info.Kind != KindDocker || !strings.HasPrefix(info.Version, "7.") || info.Image != testImage() || info.Emulator || info.Note != "" {
		t.Errorf("Info() = %+v, want kind docker, version 7.x, image %s", info, testImage())
	}
	if o := srv.Options(); o.Protocol != 2 || o.Network != "tcp" || !strings.HasPrefix(o.Addr, "127.0.0.1:") {
		t.Errorf("Options() = %s %s protocol %d, want tcp 127.0.0.1:port, RESP2", o.Network, o.Addr, o.Protocol)
	}

	// The container is bounded as the engine says.
	cli := requireDocker(t)
	insp, err := cli.ContainerInspect(ctx, srv.ctr.GetContainerID(), client.ContainerInspectOptions{})
	must(t, err)
	hc, cfg := insp.Container.HostConfig, insp.Container.Config
	want := memoryCeiling(64 << 20)
	if hc.Memory != want || hc.MemorySwap != want {
		t.Errorf("Memory, MemorySwap = %d, %d; want %d for both (no swap)", hc.Memory, hc.MemorySwap, want)
	}
	if hc.PidsLimit == nil || *hc.PidsLimit != dockerPidsLimit || hc.NanoCPUs != 1e9 || !hc.ReadonlyRootfs || !slices.Contains(hc.CapDrop, "ALL") {
		t.Errorf("HostConfig: pids %v, NanoCPUs %d, read-only %v, CapDrop %v", hc.PidsLimit, hc.NanoCPUs, hc.ReadonlyRootfs, hc.CapDrop)
	}
	if cfg.User != dockerUser || cfg.Labels[LabelContainer] != "1" || cfg.Labels[LabelPID] != strconv.Itoa(os.Getpid()) {
		t.Errorf("Config: user %q, labels %v", cfg.User, cfg.Labels)
	}
	for port, bindings := range insp.Container.NetworkSettings.Ports {
		for _, b := range bindings {
			if !b.HostIP.IsLoopback() {
				t.Errorf("port %s published on %s, want 127.0.0.1 only", port, b.HostIP)
			}
		}
	}
}

func TestDockerSandbox(t *testing.T) {
	srv := startDocker(t, Options{})
	ctx := bg(t)
	student := redis.NewClient(srv.StudentOptions())
	defer student.Close()
	must(t, student.Set(ctx, "k", "v", 0).Err())
	for _, cmd := range [][]any{{"flushall"}, {"config", "set", "maxmemory", "0"}, {"shutdown", "nosave"}, {"script", "debug", "yes"}} {
		err := student.Do(ctx, cmd...).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("student %v: err = %v, want NOPERM", cmd, err)
		}
	}
	// DEBUG is refused before any ACL (enable-debug-command is off in Redis 7).
	if err := student.Do(ctx, "debug", "sleep", "0").Err(); err == nil {
		t.Error("student DEBUG SLEEP allowed")
	}
	if err := student.Do(ctx, "auth", "default", "wrong").Err(); err == nil {
		t.Error("AUTH default wrong succeeded")
	}
	// The one-time password Redis started with no longer works either.
	boot := srv.Options()
	boot.Password = "wrong"
	bc := redis.NewClient(boot)
	defer bc.Close()
	if err := bc.Ping(ctx).Err(); err == nil {
		t.Error("admin with a wrong password: PING succeeded")
	}
	if n, err := connect(t, srv, 0).DBSize(ctx).Result(); err != nil || n != 1 {
		t.Errorf("DBSIZE after the refused FLUSHALL = %d, %v; want 1", n, err)
	}
}

func TestDockerReset(t *testing.T) {
	srv := startDocker(t, Options{})
	c0, c5 := connect(t, srv, 0), connect(t, srv, 5)
	ctx := bg(t)
	must(t, c0.Set(ctx, "a", "1", 0).Err())
	must(t, c5.Set(ctx, "b", "2", 0).Err())
	must(t, c0.Incr(ctx, "n").Err())
	sha, err := c0.ScriptLoad(ctx, "return 1").Result()
	must(t, err)
	must(t, c0.FunctionLoad(ctx, "#!lua name=lib\nredis.register_function('f', function() return 1 end)").Err())

	must(t, srv.Reset(ctx))

	for db, c := range map[int]*redis.Client{0: c0, 5: c5} {
		if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Errorf("DBSIZE in db %d after Reset = %d, %v; want 0", db, n, err)
		}
	}
	if ex, err := c0.ScriptExists(ctx, sha).Result(); err != nil || !slices.Equal(ex, []bool{false}) {
		t.Errorf("SCRIPT EXISTS after Reset = %v, %v; want [false]", ex, err)
	}
	if libs, err := c0.FunctionList(ctx, redis.FunctionListQuery{}).Result(); err != nil || len(libs) != 0 {
		t.Errorf("FUNCTION LIST after Reset = %v, %v; want none", libs, err)
	}
	if stats := cmdStats(t, c0); stats["incr"] != 0 {
		t.Errorf("INFO commandstats after Reset still has cmdstat_incr: %v", stats)
	}
}

func TestDockerRunawayScript(t *testing.T) {
	srv := startDocker(t, Options{})
	c := connect(t, srv, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := c.Eval(ctx, "while true do end", nil).Err(); !isTimeout(err) {
		t.Fatalf("EVAL endless loop: err = %v, want a timeout", err)
	}
	began := time.Now()
	must(t, srv.Close())
	if d := time.Since(began); d > 3*time.Second {
		t.Errorf("Close took %v, want < 3s", d)
	}
	t.Logf("Close after runaway took %v", time.Since(began))
	requireContainerGone(t, srv.ctr.GetContainerID())
}

// A script that has not written is killed by Reset; one that has written cannot be, and Reset says so.
func TestDockerResetBusy(t *testing.T) {
	srv := startDocker(t, Options{})
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
	if err := srv.Reset(bg(t)); err == nil || !strings.Contains(err.Error(), "UNKILLABLE") {
		t.Fatalf("Reset with an unkillable script = %v, want an UNKILLABLE error", err)
	}
}

// A Lua memory bomb ends the container (its memory cgroup), not the machine.
func TestDockerLuaMemoryBomb(t *testing.T) {
	srv := startDocker(t, Options{MaxMemory: "8mb"})
	o := srv.Options()
	o.ReadTimeout, o.MaxRetries = 20*time.Second, -1
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	began := time.Now()
	err := c.Eval(ctx, "local t, s = {}, 'x' while true do s = s .. s t[#t+1] = s end", nil).Err()
	if err == nil || isTimeout(err) {
		t.Fatalf("memory bomb: err = %v, want the server to die", err)
	}
	t.Logf("memory bomb ended after %v: %v", time.Since(began), err)

	cli := requireDocker(t)
	var st *container.State
	for deadline := time.Now().Add(5 * time.Second); ; {
		insp, err := cli.ContainerInspect(bg(t), srv.ctr.GetContainerID(), client.ContainerInspectOptions{})
		must(t, err)
		if st = insp.Container.State; !st.Running || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Running || !st.OOMKilled {
		t.Errorf("container state after the bomb: running %v, OOM-killed %v, exit code %d; want killed by its memory limit", st.Running, st.OOMKilled, st.ExitCode)
	}
	must(t, srv.Close())
	requireContainerGone(t, srv.ctr.GetContainerID())
}

func TestDockerShutdownThenClose(t *testing.T) {
	srv := startDocker(t, Options{})
	_ = connect(t, srv, 0).Do(bg(t), "shutdown", "nosave").Err()
	must(t, srv.Close())
	must(t, srv.Close())
	requireContainerGone(t, srv.ctr.GetContainerID())
}

func TestDockerStartErrors(t *testing.T) {
	requireDocker(t)
	t.Run("missing image", func(t *testing.T) {
		eng, _, err := New(t.Context(), KindDocker, Options{Image: "redisgrade/no-such-image:0"})
		must(t, err)
		srv, err := eng.Start(bg(t))
		if err == nil {
			srv.Close()
			t.Fatal("Start succeeded")
		}
		t.Logf("error: %v", err)
		for _, w := range []string{"redisgrade/no-such-image:0", "not on this machine and cannot be pulled"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	})
	t.Run("no daemon", func(t *testing.T) {
		t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
		eng, _, err := New(t.Context(), KindDocker, Options{Image: testImage()})
		must(t, err)
		began := time.Now()
		srv, err := eng.Start(bg(t))
		if err == nil {
			srv.Close()
			t.Fatal("Start succeeded")
		}
		if !strings.Contains(err.Error(), "no Docker engine answered at unix:///nonexistent/docker.sock") {
			t.Errorf("error %q does not say that no Docker engine answered", err)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("Start took %v to fail", d)
		}
	})
	t.Run("exits", func(t *testing.T) {
		eng, _, err := New(t.Context(), KindDocker, Options{Image: testImage(), MaxMemory: "1x"})
		if err == nil {
			t.Fatalf("New with a bad MaxMemory succeeded: %v", eng)
		}
		// redis-server refuses an argument that New cannot check: the error carries its output.
		e, err := newDockerEngine(t.Context(), Options{Image: testImage(), MaxMemory: "64mb", StartTimeout: 10 * time.Second}, 64<<20)
		must(t, err)
		e.opts.MaxMemory = "lots"
		srv, err := e.Start(bg(t))
		if err == nil {
			srv.Close()
			t.Fatal("Start succeeded")
		}
		t.Logf("error: %v", err)
		for _, w := range []string{"exited", "maxmemory"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	})
}

func TestDockerAuto(t *testing.T) {
	requireDocker(t)
	began := time.Now()
	eng, reason, err := New(t.Context(), KindAuto, Options{Image: testImage()})
	must(t, err)
	if eng.Kind() != KindDocker || !strings.HasPrefix(reason, "docker: engine at unix://") || !strings.Contains(reason, "image "+testImage()+" present") {
		t.Errorf(`New("auto") with the test image = %s, %q; want docker`, eng.Kind(), reason)
	}
	t.Logf("auto: %s (%v)", reason, time.Since(began))

	eng, reason, err = New(t.Context(), KindAuto, Options{Image: "redisgrade/no-such-image:0"})
	must(t, err)
	if eng.Kind() == KindDocker || !strings.Contains(reason, "image redisgrade/no-such-image:0 is not on it") {
		t.Errorf(`New("auto") without the image = %s, %q; want no docker, and why`, eng.Kind(), reason)
	}

	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	began = time.Now()
	eng, reason, err = New(t.Context(), KindAuto, Options{Image: testImage()})
	must(t, err)
	if eng.Kind() != KindProcess || !strings.HasPrefix(reason, "process: no Docker engine answered at unix:///nonexistent/docker.sock") {
		t.Errorf(`New("auto") without a daemon = %s, %q; want process`, eng.Kind(), reason)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf(`New("auto") without a daemon took %v, want < 2s`, d)
	}
	t.Logf("auto without a daemon: %s (%v)", reason, time.Since(began))
}

// A container left by a grader that died is removed by the next New(t.Context(), "docker"); one of a running grader is not.
func TestDockerCleanupStale(t *testing.T) {
	cli := requireDocker(t)
	ctx := bg(t)
	dead := exec.Command("true")
	must(t, dead.Run())
	alive := os.Getppid() // the go command, alive for the whole test run
	create := func(pid int) string {
		labels := ownLabels()
		labels[LabelPID] = strconv.Itoa(pid)
		resp, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{Image: testImage(), Labels: labels, User: dockerUser},
		})
		must(t, err)
		t.Cleanup(func() {
			cli.ContainerRemove(context.Background(), resp.ID, client.ContainerRemoveOptions{Force: true})
		})
		return resp.ID
	}
	stale, other := create(dead.Process.Pid), create(alive)

	_, _, err := New(t.Context(), KindDocker, dockerOpts(Options{}))
	must(t, err)
	requireContainerGone(t, stale)
	if _, err := cli.ContainerInspect(ctx, other, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the container of a running grader was removed: %v", err)
	}
}

// The final sweep removes this process's own containers, which a Ctrl-C left running.
func TestDockerCleanupContainers(t *testing.T) {
	requireDocker(t)
	eng := newEngine(t, KindDocker, dockerOpts(Options{}))
	srv, err := eng.Start(bg(t))
	must(t, err)
	must(t, CleanupContainers(bg(t)))
	id := srv.(*dockerServer).ctr.GetContainerID()
	requireContainerGone(t, id)
	must(t, srv.Close()) // the container is gone already: not an error
}

// Servers started at once are separate containers: no shared data, no port mix-up.
func TestDockerParallelStart(t *testing.T) {
	requireDocker(t)
	// Separation is tested, not start time: four containers starting at once
	// on a loaded machine take longer than one, so the engine's own start
	// timeout is what bounds them, generously, not a 5 s context.
	eng := newEngine(t, KindDocker, dockerOpts(Options{StartTimeout: 2 * time.Minute}))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			srv, err := eng.Start(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			defer srv.Close()
			c := redis.NewClient(srv.Options())
			defer c.Close()
			if err := c.Set(bg(t), "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
				t.Error(err)
			}
			if n, err := c.DBSize(bg(t)).Result(); err != nil || n != 1 {
				t.Errorf("DBSIZE = %d, %v; want 1 (servers must not share data)", n, err)
			}
		})
	}
	wg.Wait()
}

// testcontainers' lines go to Options.Log (the CLI's stderr with -v, else nowhere).
func TestDockerLog(t *testing.T) {
	var out syncBuffer
	srv := startDocker(t, Options{Log: &out})
	must(t, srv.Close())
	if s := out.String(); !strings.Contains(s, "docker engine: ") || !strings.Contains(s, "Container created") {
		t.Errorf("Options.Log got %q, want testcontainers' lines", s)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Runs last of the docker tests (tests run in source order): none of them left a container behind.
func TestDockerNoLeftoverContainers(t *testing.T) {
	cli := requireDocker(t)
	list, err := cli.ContainerList(bg(t), client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelContainer+"=1"),
	})
	must(t, err)
	host, _ := os.Hostname()
	for _, c := range list.Items {
		pid, _ := strconv.Atoi(c.Labels[LabelPID])
		if c.Labels[LabelHost] == host && (pid == os.Getpid() || !processAlive(pid)) {
			t.Errorf("container %.12s (%s, pid label %d) left behind", c.ID, c.State, pid)
		}
	}
}

func BenchmarkDockerStart(b *testing.B) {
	requireDocker(b)
	eng := newEngine(b, KindDocker, dockerOpts(Options{}))
	ctx := context.Background()
	for b.Loop() {
		srv, err := eng.Start(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
