package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redis/go-redis/v9"
)

// background runs the CLI in a goroutine until stop is called.
type background struct {
	stdout, stderr redistest.Buffer
	cancel         context.CancelFunc
	code           chan int
}

func runInBackground(t *testing.T, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{cancel: cancel, code: make(chan int, 1)}
	go func() { b.code <- run(ctx, args, &b.stdout, &b.stderr) }()
	t.Cleanup(func() { b.stop(t) })
	return b
}

// stop cancels the command, as Ctrl-C would, and returns its exit code.
func (b *background) stop(t *testing.T) int {
	t.Helper()
	b.cancel()
	select {
	case code, ok := <-b.code:
		if ok {
			close(b.code)
			return code
		}
		return -1
	case <-time.After(60 * time.Second):
		t.Fatalf("the command did not stop; stderr:\n%s", b.stderr.String())
		return -1
	}
}

var servingOn = regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)

// url waits for the "serving on" line.
func (b *background) url(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingOn.FindStringSubmatch(b.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-b.code:
			t.Fatalf("serve exited %d: %s", code, b.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s", b.stderr.String())
	return ""
}

func exampleJSON(t *testing.T, name string) []byte {
	t.Helper()
	dir := filepath.Join(examples, name)
	files := map[string]string{}
	for _, f := range []string{"step1.redis", "step2.lua", "step3.redis", "step4.lua"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(data)
	}
	body, err := json.Marshal(map[string]any{"exercise": "lua-atomicity", "files": files})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func httpDo(t *testing.T, method, url, token string, body []byte) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode, m
}

// TestServeCommand: serve grades over HTTP with the token from the
// environment, and a cancel (Ctrl-C) stops it cleanly with exit 0.
func TestServeCommand(t *testing.T) {
	t.Setenv(tokenEnv, "tok3n")
	b := runInBackground(t, "serve", "--addr", "127.0.0.1:0", "--engine", "process", "-j", "1")
	url := b.url(t)
	status, rep := httpDo(t, http.MethodPost, url+"/v1/grade", "tok3n", exampleJSON(t, "two-commands"))
	if status != 200 || rep["score"] != 3.0 || rep["max_score"] != 4.0 {
		t.Errorf("grade: %d %v", status, rep)
	}
	if status, body := httpDo(t, http.MethodPost, url+"/v1/grade", "", exampleJSON(t, "correct")); status != 401 {
		t.Errorf("no token: %d %v", status, body)
	}
	if status, body := httpDo(t, http.MethodGet, url+"/healthz", "", nil); status != 200 || body["jobs"] != 1.0 {
		t.Errorf("healthz: %d %v", status, body)
	}
	if code := b.stop(t); code != 0 {
		t.Errorf("exit %d after a clean shutdown: %s", code, b.stderr.String())
	}
	for _, want := range []string{"process engine, 1 gradings at once", "POST /v1/grade 200", "POST /v1/grade 401", "shutting down", "redisgrade: stopped"} {
		if !strings.Contains(b.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, b.stderr.String())
		}
	}
}

// startQueueRedis starts a plain redis-server for the queue on a unix socket.
func startQueueRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("this test needs redis-server on PATH: %v", err)
	}
	dir, err := os.MkdirTemp("", "rgq")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "q.sock")
	cmd := exec.Command(path, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	})
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the queue's redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "unix://" + sock
}

// TestServeQueueAndWorker: serve --queue enqueues, a worker grades, the
// job's result is served; both stop cleanly.
func TestServeQueueAndWorker(t *testing.T) {
	queue := startQueueRedis(t)
	srv := runInBackground(t, "serve", "--addr", "127.0.0.1:0", "--queue", queue, "--stream", "cli:jobs")
	url := srv.url(t)
	status, body := httpDo(t, http.MethodPost, url+"/v1/grade", "", exampleJSON(t, "correct"))
	if status != http.StatusAccepted {
		t.Fatalf("enqueue: %d %v", status, body)
	}
	job := body["job"].(string)

	wk := runInBackground(t, "worker", "--queue", queue, "--stream", "cli:jobs", "--consumer", "cli", "-j", "1", "--engine", "process")
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body = httpDo(t, http.MethodGet, url+"/v1/jobs/"+job, "", nil)
		if status != http.StatusAccepted || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status != 200 || body["score"] != 4.0 {
		t.Errorf("job result: %d %v\nworker: %s", status, body, wk.stderr.String())
	}
	if code := wk.stop(t); code != 0 {
		t.Errorf("worker exit %d: %s", code, wk.stderr.String())
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exit %d: %s", code, srv.stderr.String())
	}
	for _, want := range []string{"worker on cli:jobs, group graders (process engine", "job " + job + " graded 4/4", "1 graded, 1 recorded"} {
		if !strings.Contains(wk.stderr.String(), want) {
			t.Errorf("worker stderr lacks %q:\n%s", want, wk.stderr.String())
		}
	}
}

func TestServeUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"serve", "-j", "0"}, 2, "-j must be at least 1"},
		{[]string{"serve", "--addr", "nonsense:http:1"}, 2, "--addr"},
		{[]string{"serve", "--engine", "process", "--token", "s3cret", "--addr", "nonsense:http:1"}, 2, "warning: --token shows the token to every user of this machine (ps): set REDISGRADE_TOKEN instead"},
		{[]string{"serve", "--engine", "vm"}, 2, "--engine"},
		{[]string{"serve", "--deadline", "0s"}, 2, "--deadline must be positive"},
		{[]string{"serve", "--upload-timeout", "0s"}, 2, "--upload-timeout must be positive"},
		{[]string{"serve", "extra"}, 2, "unknown command"},
		{[]string{"serve", "--queue", "http://127.0.0.1:1"}, 2, "--queue"},
		{[]string{"serve", "--queue", "redis://127.0.0.1:1/0"}, 3, "--queue redis://127.0.0.1:1/0"},
		{[]string{"worker"}, 2, "worker needs the queue's Redis: --queue redis://HOST:PORT/DB, or $REDISGRADE_QUEUE"},
		{[]string{"worker", "--queue", "redis://127.0.0.1:1/0", "--claim-idle", "10ms"}, 2, "--claim-idle"},
		{[]string{"worker", "--queue", "redis://127.0.0.1:1/0", "--engine", "process"}, 3, "--queue redis://127.0.0.1:1/0"},
		{[]string{"serve", "loadtest", "--url", "http://example.com:8080"}, 2, "loopback"},
		{[]string{"serve", "loadtest", "-n", "0"}, 2, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, want %d; stderr %q should contain %q", code, tt.code, stderr, tt.stderr)
			}
		})
	}
}

// TestQueuePasswordNeverPrinted: a queue URL's password is never printed,
// however the URL fails; given as a flag (where ps shows it to every user)
// it is warned about, and $REDISGRADE_QUEUE is the way to give it.
func TestQueuePasswordNeverPrinted(t *testing.T) {
	const warning = "shows its password to every user of this machine (ps): set REDISGRADE_QUEUE instead"
	tests := []struct {
		env  string
		args []string
		code int
		want []string
	}{
		{"", []string{"serve", "--queue", "redis://:hunter2@127.0.0.1:1/0"}, 3, []string{"--queue redis://:xxxxx@127.0.0.1:1/0", warning}},
		{"", []string{"worker", "--engine", "process", "--queue", "redis://grader:hunter2@127.0.0.1:1/0"}, 3, []string{"redis://grader:xxxxx@127.0.0.1:1/0", warning}},
		{"", []string{"serve", "--queue", "redis://grader:hunter2@127.0.0.1:port/0"}, 2, []string{"redis://xxxxx@127.0.0.1:port/0", warning}},
		{"", []string{"serve", "--queue", "unix:///tmp/nope.sock?db=0&password=hunter2"}, 2, []string{"password=xxxxx", warning}},
		{"redis://:hunter2@127.0.0.1:1/0", []string{"worker", "--engine", "process"}, 3, []string{"redis://:xxxxx@127.0.0.1:1/0"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Setenv("REDISGRADE_QUEUE", tt.env)
			code, out, stderr := runCLI(t, tt.args...)
			if code != tt.code || strings.Contains(stderr+out, "hunter2") {
				t.Errorf("exit %d, want %d, and no password:\n%s%s", code, tt.code, stderr, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tt.env != "" && strings.Contains(stderr, "warning") {
				t.Errorf("a URL from the environment is warned about:\n%s", stderr)
			}
		})
	}
}

// TestLoadtestCommand runs a small load test on a server it starts itself.
func TestLoadtestCommand(t *testing.T) {
	code, out, stderr := runCLI(t, "serve", "loadtest", "--engine", "process", "-j", "1", "-c", "2", "-n", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	for _, want := range []string{"4 requests, 2 concurrent", "gradings/s", "200 OK: 4", "p50", "p99"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "load test on a server at http://127.0.0.1:") {
		t.Errorf("stderr: %s", stderr)
	}
}
