package play

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/redisgrade/redisgrade/internal/admission"
	"github.com/redisgrade/redisgrade/internal/origin"
	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/workspace"
)

const testToken = "t0ken"

// newWorkspace makes a fresh lua-atomicity workspace, as init does.
func newWorkspace(t testing.TB) *workspace.Workspace {
	t.Helper()
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := workspace.Init(filepath.Join(t.TempDir(), "lua-atomicity"), ex, "lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// startPlay serves the page on the process engine, on one warm session as
// redisgrade play does; ws nil keeps work in the browser.
func startPlay(t testing.TB, ws *workspace.Workspace, start string) *httptest.Server {
	t.Helper()
	return startPlayWith(t, Config{Workspace: ws, Start: start})
}

// startPlayWith is startPlay for a Config of one's own: its pool, engine,
// token and guard are startPlay's.
func startPlayWith(t testing.TB, cfg Config) *httptest.Server {
	t.Helper()
	eng := redistest.ProcessEngine(t)
	pool := grader.NewPool(grader.PoolConfig{Engine: eng, Jobs: 1})
	cfg.Door, cfg.Engine, cfg.Token, cfg.Guard = admission.New(admission.Config{Pool: pool, Jobs: 1}), eng, testToken, origin.New(false)
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		pool.Close()
	})
	return ts
}

// call sends a request with the token.
func call(t testing.TB, ts *httptest.Server, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req, _ = http.NewRequest(method, ts.URL+path, stringsReader(body))
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	switch method {
	case http.MethodPost:
		req.Header.Set("Content-Type", "application/json") // as the page sends them
	case http.MethodPut:
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
