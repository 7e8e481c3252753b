// Package engine starts the Redis servers that student submissions run against.
//
// Every server is one the grader can kill at once: student code is untrusted (endless Lua loops, SHUTDOWN,
// memory bombs), so nothing a student does may hang the grader. Three engines exist today:
//
//   - process: a real redis-server on a unix socket in a temp dir;
//   - embedded: miniredis (a Go emulator) served by a re-executed copy of this binary, for machines without
//     redis-server. Programs using it must call ServeEmbeddedIfChild at the start of main / TestMain;
//   - docker: a real redis-server in a fresh container per Start (testcontainers-go), bounded in memory, pids
//     and CPU, published on 127.0.0.1 only. Programs using it should call CleanupContainers on Ctrl-C/SIGTERM.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Info describes a running server, for the report.
type Info struct {
	Kind   string `json:"kind"`   // "process", "embedded" or "docker"
	Server string `json:"server"` // "redis", "valkey", or "miniredis" (the embedded engine)
	// Version is the server's own: redis_version for Redis, valkey_version for Valkey, "miniredis vX.Y.Z".
	Version string `json:"version"`
	// Compatible is the Redis version a server that is not Redis answers as: Valkey's redis_version (7.2.4
	// for Valkey 8), the emulator's 7.0. Empty for Redis.
	Compatible string `json:"compatible,omitempty"`
	Image      string `json:"image,omitempty"`    // docker: the image the container runs, as asked for
	Emulator   bool   `json:"emulator,omitempty"` // true for embedded
	Note       string `json:"note,omitempty"`     // embedded: says that replies may differ from a real server
}

// Options configure an engine. The zero value is usable.
type Options struct {
	RedisServer  string        // path of redis-server, or of any Redis or Valkey server; "" = redis-server on PATH
	StartTimeout time.Duration // 0 = 5s (docker: 20s, a container takes longer to start)
	MaxMemory    string        // redis maxmemory, "" = "64mb"
	Image        string        // docker: the Redis image, "" = DefaultImage ("redis:7"); pulled if missing (not by auto)
	// Log receives the docker engine's progress lines (testcontainers' own logger, stale containers removed);
	// nil = silent. The grader passes stderr with --verbose.
	Log io.Writer
}

// Engine starts servers of one kind.
type Engine interface {
	Kind() string
	// Start starts a fresh, empty server ready for commands.
	Start(ctx context.Context) (Server, error)
}

// Server is one running server owned by the grader.
type Server interface {
	Info() Info
	// Options returns go-redis options for a new connection to this server: Network/Addr, Protocol 2 (RESP2,
	// always), ContextTimeoutEnabled (so a context deadline bounds every call), DisableIdentity (so no
	// CLIENT SETINFO shows up in a student's command statistics) and no separate pipeline pool (so a pipeline
	// runs on the same connection as the client's other commands). Callers set their own timeouts/pool sizes on
	// the copy.
	Options() *redis.Options
	// StudentOptions returns options for a connection as the sandboxed student (StudentUser): no @admin or
	// @dangerous commands, no way to become the administrator. Student commands always run through these.
	StudentOptions() *redis.Options
	// Reset returns the server to a freshly started state as a student can observe it: keys in all DBs, scripts,
	// functions (where supported) and command statistics. Then it runs the setup commands (those that write a
	// case's starting state), with the statistics zeroed after them, so that a case can start from its given
	// state in the same round trip. An error reply to a setup command fails the reset. It is bounded by ctx,
	// and by 5s if ctx allows more.
	Reset(ctx context.Context, setup ...[]any) error
	// Close ends the server at once (SIGKILL), waits for it and removes its temp files. Idempotent.
	Close() error
}

const (
	KindAuto     = "auto"
	KindProcess  = "process"
	KindEmbedded = "embedded"
	KindDocker   = "docker"

	defaultStartTimeout       = 5 * time.Second
	defaultDockerStartTimeout = 20 * time.Second
	defaultMaxMemory          = "64mb"
	// resetTimeout bounds Reset even when the caller's ctx has no deadline.
	resetTimeout = 5 * time.Second
	// outputTail is how much of a child's stdout/stderr is kept for error messages.
	outputTail = 8 << 10

	embeddedNote = "miniredis emulates Redis in Go: replies and Lua may differ from a real server"
)

// ErrNotFound is returned (wrapped) when redis-server cannot be found.
var ErrNotFound = errors.New("redis-server not found on PATH: apt-get install redis-server")

// ErrBadOptions is matched (errors.Is) by New's errors about its arguments: an unknown kind, a bad image
// name or memory size.
var ErrBadOptions = errors.New("bad engine options")

// optionsError keeps the cause's message and matches ErrBadOptions too.
type optionsError struct{ error }

func (e optionsError) Unwrap() []error { return []error{e.error, ErrBadOptions} }

func badOptions(err error) error { return optionsError{err} }

// Kinds lists the accepted kind names, for flag help.
func Kinds() []string { return []string{KindAuto, KindProcess, KindEmbedded, KindDocker} }

// New returns the engine of that kind; reason says which and why. "auto" picks, in order: docker, where a
// Docker engine answers a ping within 2s and already holds Options.Image (auto never pulls); process, where
// redis-server is found (Options.RedisServer or PATH); else embedded. "docker" first removes the containers a
// killed grader left behind (CleanupContainers, for dead processes only); a missing image or daemon is an
// error from Start. The Docker I/O it does (auto's probe, docker's sweep of stale containers) runs on ctx.
//
// Errors in kind or opts (the caller's input, not the machine) match ErrBadOptions.
func New(ctx context.Context, kind string, opts Options) (eng Engine, reason string, err error) {
	if opts.MaxMemory == "" {
		opts.MaxMemory = defaultMaxMemory
	}
	dockerOpts := opts // with its own start timeout: a container takes longer
	if dockerOpts.StartTimeout <= 0 {
		dockerOpts.StartTimeout = defaultDockerStartTimeout
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = defaultStartTimeout
	}
	maxBytes, err := parseMemory(opts.MaxMemory)
	if err != nil {
		return nil, "", badOptions(fmt.Errorf("engine options: max memory: %w", err))
	}

	switch kind {
	case KindProcess:
		return &processEngine{opts: opts, maxBytes: maxBytes}, "process: requested", nil
	case KindEmbedded:
		return &embeddedEngine{opts: opts, maxBytes: maxBytes}, "embedded: requested", nil
	case KindAuto:
		dockerWhy, dockerOK := probeDocker(ctx, dockerOpts.imageOrDefault())
		if dockerOK {
			eng, err := newDockerEngine(ctx, dockerOpts, maxBytes)
			if err != nil {
				return nil, "", err
			}
			return eng, "docker: " + dockerWhy, nil
		}
		path, lookErr := findRedisServer(opts.RedisServer)
		if lookErr != nil {
			why := "no redis-server on PATH"
			if opts.RedisServer != "" {
				why = fmt.Sprintf("redis-server %q not usable: %v", opts.RedisServer, lookErr)
			}
			return &embeddedEngine{opts: opts, maxBytes: maxBytes}, "embedded: " + dockerWhy + "; " + why, nil
		}
		opts.RedisServer = path
		return &processEngine{opts: opts, maxBytes: maxBytes}, "process: " + dockerWhy + "; redis-server found at " + path, nil
	case KindDocker:
		eng, err := newDockerEngine(ctx, dockerOpts, maxBytes)
		if err != nil {
			return nil, "", err
		}
		return eng, "docker: requested", nil
	default:
		return nil, "", badOptions(fmt.Errorf("unknown engine %q: known kinds are %s", kind, strings.Join(Kinds(), ", ")))
	}
}

// findRedisServer resolves the redis-server binary: the given path, or redis-server on PATH.
func findRedisServer(path string) (string, error) {
	if path == "" {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			return "", ErrNotFound
		}
		return p, nil
	}
	p, err := exec.LookPath(path) // checks that it exists and is executable
	if err != nil {
		return "", fmt.Errorf("redis-server %q: %w", path, err)
	}
	return p, nil
}

// parseMemory parses a size the way redis does (memtoull): a plain number of bytes, or with a unit
// k/m/g (powers of 1000) or kb/mb/gb (powers of 1024), case-insensitive.
func parseMemory(s string) (int64, error) {
	lower := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mul    int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			lower, mul = strings.TrimSuffix(lower, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(lower, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mul {
		return 0, fmt.Errorf("invalid size %q (want e.g. 64mb)", s)
	}
	return n * mul, nil
}

// memoryCeiling is the hard limit on a server process's memory, well above maxmemory: maxmemory does not
// cover Lua's own heap, so a Lua memory bomb would otherwise eat the machine. 0 = no limit.
func memoryCeiling(maxBytes int64) int64 {
	if maxBytes == 0 {
		return 0
	}
	return max(512<<20, 8*maxBytes)
}

// baseOptions is what every Server.Options starts from.
func baseOptions(network, addr string) *redis.Options {
	return &redis.Options{
		Network:               network,
		Addr:                  addr,
		Protocol:              2,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
		// go-redis sends pipelines on connections of their own by default. A
		// pipeline must run on the connection its client's other commands
		// ran on: after the student's SELECT, say, or as the student's last
		// command followed by the grader's reads.
		PipelinePoolSize: -1,
	}
}

// resetSteps are the steps of a reset, with the setup commands run before the statistics are zeroed (the
// last step).
func resetSteps(steps [][]any, setup [][]any) [][]any {
	if len(setup) == 0 {
		return steps
	}
	out := make([][]any, 0, len(steps)+len(setup))
	out = append(out, steps[:len(steps)-1]...)
	out = append(out, setup...)
	return append(out, steps[len(steps)-1])
}

// withResetDeadline bounds ctx by resetTimeout.
func withResetDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, resetTimeout)
}

//go:generate go test -run TestRedis7Commands -update .
