package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultImage is the docker engine's image when Options.Image is empty.
const DefaultImage = "redis:7"

// The labels on every container of the docker engine, so that CleanupContainers finds them.
const (
	LabelContainer = "redisgrade"      // "1"
	LabelPID       = "redisgrade.pid"  // the grader process that started the container
	LabelHost      = "redisgrade.host" // its host name: a pid means something on that host only
)

const (
	dockerRedisPort = "6379/tcp"
	// dockerUser runs redis-server as nobody, whatever the image's USER says.
	dockerUser = "65534:65534"
	// dockerPidsLimit bounds the processes and threads in a container: redis-server needs about 8.
	dockerPidsLimit = 64
	// dockerPingTimeout bounds each Docker API probe: New("auto") and the cleanup in New.
	dockerPingTimeout = 2 * time.Second
	// dockerCloseTimeout bounds Close: SIGKILL and removal take well under a second on a healthy daemon.
	dockerCloseTimeout = 15 * time.Second
	// dockerPullTimeout bounds pulling a missing image in Start (never in auto).
	dockerPullTimeout = 5 * time.Minute
	// dockerReadyLog is what redis-server (and Valkey) log when they listen, as testcontainers' Redis module
	// waits for: Docker's proxy accepts connections on the published port before Redis listens, so an open port
	// says nothing.
	dockerReadyLog = "Ready to accept connections"
	// dockerReadyPoll is how often the container's log is read for dockerReadyLog (testcontainers' default,
	// 100 ms, would add 50 ms to every start on average).
	dockerReadyPoll = 10 * time.Millisecond
	// dockerHelp tells a user without a Docker engine how to get one.
	dockerHelp = "start dockerd (see testdata/redis-image/README.md) or use --engine process"
)

// dockerEngine starts one fresh container per Start with testcontainers-go, as its Redis module does: a wait
// strategy for readiness, the engine's logger passed to each run. testcontainers' reaper (Ryuk) is off,
// because its image cannot be pulled everywhere: Close removes the container, and New and CleanupContainers
// remove those of graders that died.
type dockerEngine struct {
	opts     Options
	maxBytes int64
	image    string
	host     string // the Docker endpoint, e.g. unix:///var/run/docker.sock
	cli      *client.Client
	logger   *writerLogger

	imageMu    sync.Mutex
	imageReady bool // the image is on the daemon (checked or pulled once per engine)
}

func (o Options) imageOrDefault() string {
	if o.Image == "" {
		return DefaultImage
	}
	return o.Image
}

func newDockerEngine(ctx context.Context, opts Options, maxBytes int64) (*dockerEngine, error) {
	opts.Image = opts.imageOrDefault()
	if _, err := reference.ParseNormalizedNamed(opts.Image); err != nil {
		return nil, badOptions(fmt.Errorf("engine options: image %q: %w", opts.Image, err))
	}
	host, _ := dockerHost()
	setupTestcontainers()
	cli, err := dockerClient(host)
	if err != nil {
		return nil, fmt.Errorf("docker engine: %w", err)
	}
	e := &dockerEngine{opts: opts, maxBytes: maxBytes, image: opts.Image, host: host, cli: cli, logger: newWriterLogger(opts.Log)}
	// Containers of a grader that was killed (SIGKILL, a crash) are removed here. A daemon that does not answer
	// is reported by Start, which says so more usefully than New could.
	ctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	defer cancel()
	if n, err := cleanupContainers(ctx, cli, false); err != nil {
		e.logger.Printf("cleanup of stale containers: %v", err)
	} else if n > 0 {
		e.logger.Printf("removed %d stale container(s) labelled %s=1 of graders that are gone", n, LabelContainer)
	}
	return e, nil
}

func (e *dockerEngine) Kind() string { return KindDocker }

func (e *dockerEngine) Start(ctx context.Context) (Server, error) {
	if !strings.HasPrefix(e.host, "unix://") {
		return nil, fmt.Errorf("docker: the Docker engine at %s is not local: redisgrade publishes Redis on 127.0.0.1 only, so it needs a Docker engine on this machine (a unix socket)", e.host)
	}
	if err := e.ensureImage(ctx); err != nil {
		return nil, err
	}
	// Redis starts with a one-time password, so that nobody on this machine can reach it before lockDown:
	// lockDown replaces it at once. It shows in the container's command line, which only Docker's users (root,
	// in effect) can read: a student cannot (no @admin, no file access from Lua).
	bootPass, err := randomPassword()
	if err != nil {
		return nil, fmt.Errorf("start docker container: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, e.opts.StartTimeout)
	defer cancel()

	ctr, err := testcontainers.Run(sctx, e.image,
		testcontainers.WithLogger(e.logger),
		testcontainers.WithCmd(e.command(bootPass)...),
		testcontainers.WithExposedPorts(dockerRedisPort),
		testcontainers.WithLabels(ownLabels()),
		testcontainers.WithConfigModifier(func(c *container.Config) { c.User = dockerUser }),
		testcontainers.WithHostConfigModifier(e.hostConfig),
		testcontainers.WithWaitStrategyAndDeadline(e.opts.StartTimeout,
			wait.ForLog(dockerReadyLog).WithPollInterval(dockerReadyPoll)),
	)
	s := &dockerServer{ctr: ctr, image: e.image}
	fail := func(err error) (Server, error) {
		if ctr != nil { // a container may exist even though Run failed: its output says why
			err = fmt.Errorf("%w; output: %s", err, s.logs())
		}
		s.Close()
		return nil, fmt.Errorf("start docker container from %s: %w", e.image, err)
	}
	if err != nil {
		return fail(err)
	}
	port, err := ctr.MappedPort(sctx, dockerRedisPort)
	if err != nil {
		return fail(fmt.Errorf("published port: %w", err))
	}
	// Published on 127.0.0.1 (hostConfig), which is where to dial, whatever testcontainers takes the Docker
	// host to be (inside a container it would guess the default gateway).
	base := baseOptions("tcp", net.JoinHostPort("127.0.0.1", port.Port()))
	base.Username, base.Password = "default", bootPass
	s.adminOpts, s.studentOpts, err = lockDown(sctx, base)
	if err != nil {
		return fail(err)
	}
	s.admin = redis.NewClient(s.adminOptions())
	s.info, err = serverInfo(sctx, s.admin, e.opts.StartTimeout, KindDocker)
	if err != nil {
		return fail(err)
	}
	s.info.Image = e.image
	return s, nil
}

// command is redis-server's command line in the container.
func (e *dockerEngine) command(bootPass string) []string {
	args := []string{
		"redis-server",
		"--port", "6379",
		"--protected-mode", "no", // the port is published on 127.0.0.1 only, and a password is required
		"--requirepass", bootPass,
		"--daemonize", "no",
		"--loglevel", "notice", // it logs dockerReadyLog
		"--logfile", "",
	}
	return append(args, hardening(e.opts.MaxMemory)...)
}

// hostConfig bounds the container: memory without swap, processes, one CPU, no capabilities, a read-only root
// file system, and Redis's port published on 127.0.0.1 only.
func (e *dockerEngine) hostConfig(hc *container.HostConfig) {
	if ceiling := memoryCeiling(e.maxBytes); ceiling > 0 {
		hc.Memory = ceiling
		hc.MemorySwap = ceiling // memory+swap = memory: no swap
	}
	pids := int64(dockerPidsLimit)
	hc.PidsLimit = &pids
	hc.NanoCPUs = 1e9
	hc.CapDrop = []string{"ALL"}
	hc.SecurityOpt = append(hc.SecurityOpt, "no-new-privileges")
	hc.ReadonlyRootfs = true
	hc.PortBindings = network.PortMap{
		network.MustParsePort(dockerRedisPort): {{HostIP: netip.MustParseAddr("127.0.0.1")}},
	}
}

// ensureImage checks once per engine that the image is on the daemon, and pulls it if not.
func (e *dockerEngine) ensureImage(ctx context.Context) error {
	e.imageMu.Lock()
	defer e.imageMu.Unlock()
	if e.imageReady {
		return nil
	}
	ictx, cancel := context.WithTimeout(ctx, e.opts.StartTimeout)
	_, err := e.cli.ImageInspect(ictx, e.image)
	cancel()
	switch {
	case err == nil:
	case cerrdefs.IsNotFound(err):
		pctx, cancel := context.WithTimeout(ctx, dockerPullTimeout)
		defer cancel()
		e.logger.Printf("pulling image %s", e.image)
		if err := pullImage(pctx, e.cli, e.image); err != nil {
			return fmt.Errorf("docker: image %s is not on this machine and cannot be pulled: %v (pull it where a registry is reachable, or build a local one with testdata/redis-image/build.sh and pass --image)", e.image, err)
		}
	default:
		return fmt.Errorf("docker: no Docker engine answered at %s: %v (%s)", e.host, err, dockerHelp)
	}
	e.imageReady = true
	return nil
}

func pullImage(ctx context.Context, cli *client.Client, image string) error {
	resp, err := cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}

type dockerServer struct {
	ctr   *testcontainers.DockerContainer
	image string
	realServer

	closeOnce sync.Once
	closeErr  error
}

// Close removes the container at once (SIGKILL, then removal with its anonymous volumes). Idempotent; a
// container that is already gone is not an error.
func (s *dockerServer) Close() error {
	s.closeOnce.Do(func() {
		s.closeAdmin()
		if s.ctr == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), dockerCloseTimeout)
		defer cancel()
		err := testcontainers.TerminateContainer(s.ctr, testcontainers.StopContext(ctx), testcontainers.StopTimeout(0))
		if err != nil && !cerrdefs.IsNotFound(err) {
			s.closeErr = fmt.Errorf("close docker container %.12s: %w", s.ctr.GetContainerID(), err)
		}
	})
	return s.closeErr
}

// logs returns the tail of the container's output, for error messages.
func (s *dockerServer) logs() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rc, err := s.ctr.Logs(ctx)
	if err != nil {
		return fmt.Sprintf("(no output: %v)", err)
	}
	defer rc.Close()
	out := &tailBuffer{max: outputTail}
	_, _ = io.Copy(out, rc)
	return out.String()
}

// ownLabels are the labels of this process's containers.
func ownLabels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		LabelContainer: "1",
		LabelPID:       strconv.Itoa(os.Getpid()),
		LabelHost:      host,
	}
}

// CleanupContainers removes the docker engine's containers that no running grader owns: every container
// labelled redisgrade=1 on this host whose redisgrade.pid process is gone, and those of this process (a final
// sweep: call it on Ctrl-C/SIGTERM, after which this process must not use its docker servers). Containers of
// other graders still running on this machine are left alone. Where no Docker endpoint is configured or
// found, there is nothing to clean and it returns nil; a daemon that does not answer is an error.
func CleanupContainers(ctx context.Context) error {
	host, found := dockerHost()
	if !found {
		return nil
	}
	cli, err := dockerClient(host)
	if err != nil {
		return fmt.Errorf("cleanup docker containers: %w", err)
	}
	_, err = cleanupContainers(ctx, cli, true)
	return err
}

// cleanupContainers removes the stale containers (see CleanupContainers), and this process's own if self; it
// returns how many it removed.
func cleanupContainers(ctx context.Context, cli *client.Client, self bool) (int, error) {
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelContainer+"=1"),
	})
	if err != nil {
		return 0, fmt.Errorf("cleanup docker containers: list: %w", err)
	}
	me, _ := os.Hostname()
	removed := 0
	var errs []error
	for _, c := range list.Items {
		pid, err := strconv.Atoi(c.Labels[LabelPID])
		if err != nil || pid <= 0 || c.Labels[LabelHost] != me {
			continue // not ours to judge: no pid, or a pid on another host
		}
		if pid == os.Getpid() {
			if !self {
				continue
			}
		} else if processAlive(pid) {
			continue
		}
		_, err = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			removed++
		case cerrdefs.IsNotFound(err), cerrdefs.IsConflict(err): // gone, or being removed already
		default:
			errs = append(errs, fmt.Errorf("remove %.12s: %w", c.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("cleanup docker containers: %w", err)
	}
	return removed, nil
}

// processAlive says whether process pid exists (it may belong to another user: EPERM).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// probeDocker is auto's test: a Docker engine answers a ping within dockerPingTimeout and holds the image.
// It never pulls. why says what it found, for New's reason.
func probeDocker(ctx context.Context, image string) (why string, ok bool) {
	host, found := dockerHost()
	if !found {
		return "no Docker engine (DOCKER_HOST unset, no socket at " + strings.Join(localDockerSockets(), ", ") + ")", false
	}
	cli, err := dockerClient(host)
	if err != nil {
		return fmt.Sprintf("no Docker engine usable at %s (%v)", host, err), false
	}
	ctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Sprintf("no Docker engine answered at %s (%v)", host, shortError(err)), false
	}
	if !strings.HasPrefix(host, "unix://") {
		return fmt.Sprintf("the Docker engine at %s is not on this machine", host), false
	}
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Sprintf("the Docker engine at %s answered, but image %s is not on it (auto never pulls: use --engine docker)", host, image), false
		}
		return fmt.Sprintf("the Docker engine at %s answered, but inspecting image %s failed (%v)", host, image, shortError(err)), false
	}
	return fmt.Sprintf("engine at %s answered, image %s present", host, image), true
}

// shortError keeps the last part of a long chain of wrapped errors.
func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s) > 120 {
		s = s[i+2:]
	}
	return s
}

// dockerHost returns the Docker endpoint: DOCKER_HOST, else the first local socket that exists. found is false
// when neither is there (the default socket is returned, for messages).
func dockerHost() (host string, found bool) {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h, true
	}
	for _, p := range localDockerSockets() {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix://" + p, true
		}
	}
	return "unix:///var/run/docker.sock", false
}

// localDockerSockets are where a local Docker engine listens: the system one, then rootless and Desktop ones.
func localDockerSockets() []string {
	socks := []string{"/var/run/docker.sock"}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		socks = append(socks, filepath.Join(d, "docker.sock"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		socks = append(socks, filepath.Join(h, ".docker", "run", "docker.sock"), filepath.Join(h, ".docker", "desktop", "docker.sock"))
	}
	return socks
}

var (
	dockerClientsMu sync.Mutex
	dockerClients   = map[string]*client.Client{}
)

// dockerClient returns this process's client for host, shared by every engine (it is safe for concurrent
// use, and one client keeps one pool of connections).
func dockerClient(host string) (*client.Client, error) {
	dockerClientsMu.Lock()
	defer dockerClientsMu.Unlock()
	if c, ok := dockerClients[host]; ok {
		return c, nil
	}
	c, err := client.New(client.FromEnv, client.WithHost(host))
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", host, err)
	}
	dockerClients[host] = c
	return c, nil
}

var setupTestcontainersOnce sync.Once

// setupTestcontainers adapts testcontainers-go's process-wide settings, once, before its first run:
//   - its reaper (Ryuk) is off, unless the user configured it: its image cannot be pulled where no registry is
//     reachable, and the engine removes its containers itself. testcontainers-go reads this setting only from
//     TESTCONTAINERS_RYUK_DISABLED or ~/.testcontainers.properties, once per process, with no option on a run
//     or a provider: so it is set in the environment, before the first run reads it.
//   - its package-wide logger is silent: every run has the engine's logger (WithLogger), but the banner it
//     prints once per process on connecting ("Connected to docker: ...") goes to the package-wide one, which
//     writes to stderr, under the report.
func setupTestcontainers() {
	setupTestcontainersOnce.Do(func() {
		if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
		tclog.SetDefault(tclog.NewNoopLogger())
	})
}

// writerLogger is a testcontainers logger writing one line per message to w; nil w = silent.
type writerLogger struct {
	mu sync.Mutex
	w  io.Writer
}

func newWriterLogger(w io.Writer) *writerLogger { return &writerLogger{w: w} }

func (l *writerLogger) Printf(format string, v ...any) {
	if l == nil || l.w == nil {
		return
	}
	msg := strings.TrimRight(fmt.Sprintf(format, v...), "\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "docker engine: %s\n", msg)
}
