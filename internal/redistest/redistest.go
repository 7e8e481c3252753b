// Package redistest gives tests a Redis: the process engine and the docker
// engine, for tests that grade on one, and a plain redis-server for tests
// that need one as a store (the job queue), not as a grading server; and
// what tests of servers and workers share: a buffer their output goes to,
// and polling.
package redistest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/redistest/versions"
	"github.com/redisgrade/redisgrade/internal/tiers"
)

// ProcessEngine is the real redis-server engine. Without redis-server the
// test fails, saying how to get it.
func ProcessEngine(t testing.TB) engine.Engine {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("these tests need redis-server on PATH (apt-get install redis-server): %v", err)
	}
	eng, _, err := engine.New(t.Context(), engine.KindProcess, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// TestImage is the docker engine's image in tests: REDISGRADE_TEST_IMAGE,
// else the one testdata/redis-image/build.sh builds from Debian's
// redis-server (tests have no registry).
func TestImage() string {
	if img := os.Getenv("REDISGRADE_TEST_IMAGE"); img != "" {
		return img
	}
	return "redisgrade/redis:7-local"
}

// DockerEngine is the docker engine on the test image. Where no Docker
// engine answers or it lacks the image, the test ends, saying why
// (tiers.Missing: skipped by default, failed under REDISGRADE_TEST_ALL=1).
func DockerEngine(t testing.TB) engine.Engine {
	t.Helper()
	// auto picks docker only where a Docker engine answers and holds the image, and says why not.
	eng, reason, err := engine.New(t.Context(), engine.KindAuto, engine.Options{Image: TestImage()})
	if err != nil {
		t.Fatal(err)
	}
	if eng.Kind() != engine.KindDocker {
		// reason is "process: WHY NOT DOCKER; redis-server found at ...": the middle is what this test lacks.
		_, why, _ := strings.Cut(reason, ": ")
		why, _, _ = strings.Cut(why, "; ")
		tiers.Missing(t, "the docker engine cannot run here (%s): start dockerd and build the test image, see testdata/redis-image/README.md (./test.sh --setup does both)", why)
	}
	return eng
}

// Start starts a redis-server on a unix socket in a temp dir, for the test's
// length, and returns a client for it and its URL. Without redis-server the
// test fails, saying so.
func Start(t testing.TB) (*redis.Client, string) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the queue tests need redis-server on PATH (apt-get install redis-server): %v", err)
	}
	dir, err := os.MkdirTemp("", "rgq") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(path, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", dir)
	var out Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	})
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	t.Cleanup(func() { rdb.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the queue's redis-server did not start: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return rdb, "unix://" + sock
}

// Buffer is a buffer a server's or a worker's output is copied into while
// the test may read it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Eventually polls cond every 20ms until it holds, or fails the test once
// within has passed, saying what did not happen.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// VersionEngine is the engine of one server of the version matrix (versions.Servers): the process engine
// running its binary, or with docker, the docker engine running its image (versions.Image).
func VersionEngine(t testing.TB, s versions.Server, docker bool) engine.Engine {
	t.Helper()
	kind, opts := engine.KindProcess, engine.Options{RedisServer: s.Path}
	if docker {
		kind, opts = engine.KindDocker, engine.Options{Image: s.Path}
	}
	eng, _, err := engine.New(t.Context(), kind, opts)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	return eng
}
