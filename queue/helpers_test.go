package queue

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/redistest"
)

// testQueue starts a plain redis-server and returns a queue on it, with a
// stream name of the test's own.
func testQueue(t *testing.T, cfg Config) (*Queue, *redis.Client, string) {
	t.Helper()
	rdb, url := redistest.Start(t)
	q, err := Open(url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, rdb, url
}

// startWorker runs a worker in a goroutine; stop aborts it (as a crash
// would) and returns Run's error.
type runningWorker struct {
	*Worker
	cancel context.CancelFunc
	done   chan error
}

func startWorker(t *testing.T, cfg WorkerConfig, hook func(consumer, jobID string)) *runningWorker {
	t.Helper()
	w, err := NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.hookGrading = hook
	ctx, cancel := context.WithCancel(context.Background())
	rw := &runningWorker{Worker: w, cancel: cancel, done: make(chan error, 1)}
	go func() { rw.done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-rw.done:
		case <-time.After(30 * time.Second):
			t.Error("a worker did not stop within 30s")
		}
	})
	return rw
}

func (rw *runningWorker) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-rw.done:
		rw.done <- err // for Cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not return within 30s")
		return nil
	}
}

// fastWorker is a worker config for tests: short idle and block times.
func fastWorker(q *Queue, eng engine.Engine, consumer string, logs *redistest.Buffer) WorkerConfig {
	return WorkerConfig{
		Queue: q, Engine: eng, Consumer: consumer, Jobs: 1,
		ClaimIdle: time.Second, Heartbeat: 200 * time.Millisecond, Block: 200 * time.Millisecond,
		Log: log.New(logs, "", 0),
	}
}

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

const examples = "../submissions/examples/lua-atomicity/"

// jobFiles reads an example submission's step files, as a job holds them.
func jobFiles(t testing.TB, name string) map[string][]byte {
	t.Helper()
	dir := filepath.Join(examples, name)
	paths, err := filepath.Glob(filepath.Join(dir, "step*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no step files in %s (%v)", dir, err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = data
	}
	return files
}

// flakyEngine wraps an engine: the test can kill the server it started last
// and make further starts fail.
type flakyEngine struct {
	engine.Engine
	fail atomic.Bool
	mu   sync.Mutex
	last engine.Server
}

func (f *flakyEngine) Start(ctx context.Context) (engine.Server, error) {
	if f.fail.Load() {
		return nil, fmt.Errorf("flaky engine: no server today")
	}
	srv, err := f.Engine.Start(ctx)
	if err == nil {
		f.mu.Lock()
		f.last = srv
		f.mu.Unlock()
	}
	return srv, err
}

func (f *flakyEngine) killLast() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last.Close()
}
