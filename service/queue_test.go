package service

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/redistest"
	"github.com/redisgrade/redisgrade/queue"
)

// testQueue starts a plain redis-server and returns a queue on it, with a
// stream name of the test's own.
func testQueue(t *testing.T, cfg queue.Config) (*queue.Queue, *redis.Client, string) {
	t.Helper()
	rdb, url := redistest.Start(t)
	q, err := queue.Open(url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, rdb, url
}

// startWorker runs a worker in a goroutine; stop aborts it (as a crash
// would) and returns Run's error.
type runningWorker struct {
	*queue.Worker
	cancel context.CancelFunc
	done   chan error
}

func startWorker(t *testing.T, cfg queue.WorkerConfig) *runningWorker {
	t.Helper()
	w, err := queue.NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
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

// fastWorker is a worker config for tests: short idle and block times.
func fastWorker(q *queue.Queue, eng engine.Engine, consumer string, logs *redistest.Buffer) queue.WorkerConfig {
	return queue.WorkerConfig{
		Queue: q, Engine: eng, Consumer: consumer, Jobs: 1,
		ClaimIdle: time.Second, Heartbeat: 200 * time.Millisecond, Block: 200 * time.Millisecond,
		Log: log.New(logs, "", 0),
	}
}

func getJob(t *testing.T, ts *testServer, id string) response {
	t.Helper()
	return do(t, http.MethodGet, ts.URL+"/v1/jobs/"+id, token, "", nil)
}

// TestUnusableJobs: jobs that cannot be graded are recorded with a reason
// (never retried forever), and junk entries are dropped.
func TestUnusableJobs(t *testing.T) {
	q, rdb, _ := testQueue(t, queue.Config{})
	ctx := context.Background()
	ts := startServer(t, Config{Queue: q, Token: token})
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	unknown := &queue.Job{ID: queue.NewJobID(), Exercise: "nope", Files: map[string][]byte{"a.redis": []byte("PING")}}
	traversal := &queue.Job{ID: queue.NewJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"../../x": []byte("PING")}}
	for _, j := range []*queue.Job{unknown, traversal} {
		if err := q.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	junkID := rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Stream(), Values: []any{"hello", "world"}}).Val()
	badJSON := queue.NewJobID()
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Stream(), Values: []any{"id", badJSON, "job", "{not json"}})

	// A job that killed its workers: delivered (claimed) 4 times already.
	poison := &queue.Job{ID: queue.NewJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"step1.redis": []byte("SET stock 100")}}
	if err := q.Enqueue(ctx, poison); err != nil {
		t.Fatal(err)
	}
	streams := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: q.Group(), Consumer: "dead", Streams: []string{q.Stream(), ">"}, Block: -1}).Val()
	var poisonEntry string
	for _, m := range streams[0].Messages {
		if m.Values["id"] == poison.ID {
			poisonEntry = m.ID
		}
	}
	for range 3 {
		rdb.XClaim(ctx, &redis.XClaimArgs{Stream: q.Stream(), Group: q.Group(), Consumer: "dead", Messages: []string{poisonEntry}})
	}
	// The others go back to "dead" too; they are claimed after ClaimIdle.

	var logs redistest.Buffer
	w := startWorker(t, fastWorker(q, redistest.ProcessEngine(t), "w", &logs))
	redistest.Eventually(t, 30*time.Second, "everything handled", func() bool {
		return rdb.XLen(ctx, q.Stream()).Val() == 0 && rdb.XPending(ctx, q.Stream(), q.Group()).Val().Count == 0
	})
	check := func(id, status, msg string, kind queue.ErrorKind) {
		t.Helper()
		res, _, err := q.Result(ctx, id)
		if err != nil || res == nil {
			t.Fatalf("job %s: no result (%v)", id, err)
		}
		if res.Status != status || !strings.Contains(res.Error, msg) || res.Kind != kind {
			t.Errorf("job %s: %+v, want %s %s %q", id, res, status, kind, msg)
		}
		r := getJob(t, ts, id)
		wantHTTP := http.StatusUnprocessableEntity
		if status == queue.StatusFailed {
			wantHTTP = http.StatusInternalServerError
		}
		if r.status != wantHTTP || r.json(t)["status"] != status {
			t.Errorf("GET job %s: %s", id, r)
		}
	}
	check(unknown.ID, queue.StatusRejected, `no exercise named "nope"`, queue.UnknownExercise)
	check(traversal.ID, queue.StatusRejected, "not a plain file name", queue.BadJob)
	check(badJSON, queue.StatusRejected, "not a valid redisgrade job", queue.BadJob)
	check(poison.ID, queue.StatusFailed, "none finished it", 0)
	if len(rdb.XRange(ctx, q.Stream(), junkID, junkID).Val()) != 0 {
		t.Error("the junk entry was not dropped")
	}
	if st := w.Stats(); st.Rejected != 3 || st.Failed != 1 || st.Graded != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestQueueMode: serve --queue validates before it enqueues, answers 202,
// 404 for unknown jobs, and 429 when the backlog is full.
func TestQueueMode(t *testing.T) {
	q, rdb, _ := testQueue(t, queue.Config{MaxBacklog: 2})
	ctx := context.Background()
	ts := startServer(t, Config{Queue: q, Token: token})
	good := map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")}

	if r := gradeJSON(t, ts, token, map[string]any{"exercise": "nope", "files": exampleFiles(t, "correct")}); r.status != 404 {
		t.Errorf("unknown exercise: %s", r)
	}
	if r := gradeMultipart(t, ts, token, "", part{field: "exercise", data: []byte("lua-atomicity")}, part{field: "submission", filename: "x.zip", data: []byte("PK\x03\x04junk")}); r.status != 400 {
		t.Errorf("malformed zip: %s", r)
	}
	if r := gradeJSON(t, ts, "", good); r.status != 401 {
		t.Errorf("no token: %s", r)
	}
	if n := rdb.XLen(ctx, q.Stream()).Val(); n != 0 {
		t.Fatalf("bad requests were enqueued: %d", n)
	}
	var ids []string
	for range 2 {
		r := do(t, http.MethodPost, ts.URL+"/v1/grade?format=text", token, "application/json", jsonBody(t, good))
		if r.status != http.StatusAccepted {
			t.Fatalf("enqueue: %s", r)
		}
		ids = append(ids, r.json(t)["job"].(string))
	}
	r := gradeJSON(t, ts, token, good)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("backlog full: %s %v", r, r.header)
	}
	// The payload carries the submission and the format asked for.
	msgs := rdb.XRange(ctx, q.Stream(), "-", "+").Val()
	var job queue.Job
	if err := json.Unmarshal([]byte(msgs[0].Values["job"].(string)), &job); err != nil {
		t.Fatal(err)
	}
	if job.ID != ids[0] || job.Format != "text" || len(job.Files) != 4 || job.Enqueued.IsZero() {
		t.Errorf("payload: %+v", job)
	}
	if r := getJob(t, ts, ids[0]); r.status != http.StatusAccepted || r.header.Get("Retry-After") != "1" {
		t.Errorf("queued job: %s", r)
	}
	for _, id := range []string{queue.NewJobID(), "nope", "../../etc"} {
		if r := getJob(t, ts, id); r.status != http.StatusNotFound {
			t.Errorf("GET job %q: %s", id, r)
		}
	}
	if r := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil); r.status != 200 || len(r.json(t)) != 1 {
		t.Errorf("healthz: %s", r)
	}

	// A worker grades them; the job keeps the format asked for.
	var logs redistest.Buffer
	startWorker(t, fastWorker(q, redistest.ProcessEngine(t), "w", &logs))
	redistest.Eventually(t, 30*time.Second, "graded", func() bool { return getJob(t, ts, ids[1]).status == 200 })
	r = getJob(t, ts, ids[0])
	if !strings.Contains(string(r.body), "Score: 4/4") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("text result: %s", r)
	}
	if got, _ := score(t, do(t, http.MethodGet, ts.URL+"/v1/jobs/"+ids[0]+"?format=json", token, "", nil)); got != 4 {
		t.Errorf("json result: %g", got)
	}
}

// A queue whose Redis is gone: serve answers 503, healthz says so.
func TestQueueDown(t *testing.T) {
	q, err := queue.Open("redis://127.0.0.1:1/0", queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ts := startServer(t, Config{Queue: q})
	r := gradeJSON(t, ts, "", map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")})
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("grade: %s", r)
	}
	if r := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("healthz: %s", r)
	}
}

// TestHealthRevealsNoAddress: /healthz needs no token, so when the queue's
// Redis does not answer it says so and no more: not the queue's address,
// which the log gets.
func TestHealthRevealsNoAddress(t *testing.T) {
	q, err := queue.Open("redis://:hunter2@127.0.0.1:1/0", queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var logs redistest.Buffer
	ts := startServer(t, Config{Queue: q, Log: log.New(&logs, "", 0)})
	r := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil)
	if r.status != http.StatusServiceUnavailable || r.json(t)["status"] != "queue unreachable" {
		t.Fatalf("healthz with no queue: %s", r)
	}
	for _, secret := range []string{"127.0.0.1", ":1", "hunter2", "redisgrade:jobs"} {
		if strings.Contains(string(r.body), secret) {
			t.Errorf("healthz tells the world %q: %s", secret, r.body)
		}
	}
	if !strings.Contains(logs.String(), "127.0.0.1:1") {
		t.Errorf("the log does not get the queue's error: %q", logs.String())
	}
}
