package bench

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/service"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

const (
	examplesDir = "../submissions/examples/lua-atomicity"
	token       = "s3cret"
)

func loadExercise(t testing.TB) *exercises.Exercise {
	t.Helper()
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// startService serves the HTTP API on a local port for the test's length.
func startService(t *testing.T, cfg service.Config) *httptest.Server {
	t.Helper()
	srv, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return ts
}

// slowEngine makes every grading slower: each reset (one per case) waits
// delay first, as a loaded grader would.
type slowEngine struct {
	engine.Engine
	delay time.Duration
}

func (e slowEngine) Start(ctx context.Context) (engine.Server, error) {
	srv, err := e.Engine.Start(ctx)
	if err != nil {
		return nil, err
	}
	return slowServer{srv, e.delay}, nil
}

type slowServer struct {
	engine.Server
	delay time.Duration
}

func (s slowServer) Reset(ctx context.Context, given ...[]any) error {
	time.Sleep(s.delay)
	return s.Server.Reset(ctx, given...)
}
