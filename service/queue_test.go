package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
)

// testQueue starts a plain redis-server and returns a queue on it, with a
// stream name of the test's own.
func testQueue(t *testing.T, cfg QueueConfig) (*Queue, *redis.Client, string) {
	t.Helper()
	rdb, url := startRedis(t)
	q, err := OpenQueue(url, cfg)
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
func fastWorker(q *Queue, eng engine.Engine, consumer string, logs *syncBuffer) WorkerConfig {
	return WorkerConfig{
		Queue: q, Engine: eng, Consumer: consumer, Jobs: 1,
		ClaimIdle: time.Second, Heartbeat: 200 * time.Millisecond, Block: 200 * time.Millisecond,
		Log: log.New(logs, "", 0),
	}
}

func getJob(t *testing.T, ts *testServer, id string) response {
	t.Helper()
	return do(t, http.MethodGet, ts.URL+"/v1/jobs/"+id, token, "", nil)
}

// TestWorkersTakeOverADeadWorker enqueues 30 jobs through serve --queue,
// grades them with three workers, kills one in the middle of a grading, and
// checks that every job is graded and recorded exactly once: the dead
// worker's job is taken over with XAUTOCLAIM.
func TestWorkersTakeOverADeadWorker(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{Stream: "t1:jobs"})
	ctx := context.Background()
	ts := startServer(t, Config{Queue: q, Token: token})
	eng := processEngine(t)
	correct, wrong := exampleFiles(t, "correct"), exampleFiles(t, "two-commands")

	// Enqueue first, so that all three workers find work at once.
	const n = 30
	ids := make([]string, n)
	want := map[string]float64{}
	for i := range n {
		files, s := correct, 4.0
		if i%2 == 1 {
			files, s = wrong, 3.0
		}
		r := gradeJSON(t, ts, token, map[string]any{"exercise": "lua-atomicity", "name": fmt.Sprintf("s%02d", i), "files": files})
		if r.status != http.StatusAccepted {
			t.Fatalf("enqueue: %s", r)
		}
		m := r.json(t)
		ids[i] = m["job"].(string)
		want[ids[i]] = s
		if r.header.Get("Location") != "/v1/jobs/"+ids[i] || m["status"] != "queued" {
			t.Errorf("202: %v %s", r.header, r.body)
		}
	}
	if r := getJob(t, ts, ids[0]); r.status != http.StatusAccepted || r.json(t)["status"] != "queued" {
		t.Fatalf("before any worker: %s", r)
	}

	var logs syncBuffer
	const victim = "w2"
	var (
		mu       sync.Mutex
		killedID string
		seen     int
		killNow  = make(chan struct{})
		killed   = make(chan struct{})
	)
	// w2 dies in the middle of its second job: it has taken the job from
	// the stream and started on it (its heartbeat runs) when its context is
	// cancelled; the grading then stops at once.
	hook := func(consumer, jobID string) {
		if consumer != victim {
			return
		}
		mu.Lock()
		seen++
		second := seen == 2
		if second {
			killedID = jobID
		}
		mu.Unlock()
		if second {
			close(killNow)
			<-killed
		}
	}
	w1 := startWorker(t, fastWorker(q, eng, "w1", &logs), hook)
	w2 := startWorker(t, fastWorker(q, eng, victim, &logs), hook)
	w3 := startWorker(t, fastWorker(q, eng, "w3", &logs), hook)
	select {
	case <-killNow:
	case <-time.After(30 * time.Second):
		t.Fatalf("w2 never took a second job; log:\n%s", logs.String())
	}
	w2.cancel()
	close(killed)
	if err := w2.wait(t); !errors.Is(err, context.Canceled) {
		t.Errorf("killed worker: Run returned %v", err)
	}
	mu.Lock()
	orphan := killedID
	mu.Unlock()

	// Right after the kill the job is pending, unacknowledged, on w2.
	pend, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: q.Stream(), Group: q.Group(), Start: "-", End: "+", Count: 100, Consumer: victim}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(pend) != 1 {
		t.Fatalf("w2 has %d jobs pending, want its 1 unfinished job: %+v", len(pend), pend)
	}
	if res, _, _ := q.Result(ctx, orphan); res != nil {
		t.Fatalf("the killed worker's job %s was recorded by %s", orphan, res.Worker)
	}

	eventually(t, 90*time.Second, "all 30 jobs recorded", func() bool {
		n, err := rdb.XLen(ctx, q.ResultsStream()).Result()
		return err == nil && n >= 30
	})

	// Exactly once: 30 announcements, 30 distinct jobs, each result stored
	// once, by one worker; nothing pending, nothing left in the stream.
	entries, err := rdb.XRange(ctx, q.ResultsStream(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	announced := map[string]int{}
	for _, e := range entries {
		announced[e.Values["job"].(string)]++
	}
	if len(entries) != n || len(announced) != n {
		t.Errorf("%d announcements for %d distinct jobs, want %d and %d", len(entries), len(announced), n, n)
	}
	for _, id := range ids {
		if announced[id] != 1 {
			t.Errorf("job %s announced %d times", id, announced[id])
		}
		res, _, err := q.Result(ctx, id)
		if err != nil || res == nil {
			t.Fatalf("job %s: no result (%v)", id, err)
		}
		if res.Status != StatusGraded || res.Report == nil || res.Report.Score != want[id] || res.Report.MaxScore != 4 {
			t.Errorf("job %s: %s %+v, want graded %g/4", id, res.Status, res.Report, want[id])
		}
		if res.Worker == victim && id == orphan {
			t.Errorf("the orphan was recorded by the dead worker")
		}
	}
	orphanRes, _, _ := q.Result(ctx, orphan)
	if orphanRes.Attempt < 2 {
		t.Errorf("the orphan was recorded at attempt %d; a takeover is attempt 2 or more", orphanRes.Attempt)
	}
	summary, err := rdb.XPending(ctx, q.Stream(), q.Group()).Result()
	if err != nil || summary.Count != 0 {
		t.Errorf("pending after the run: %+v %v", summary, err)
	}
	if left, _ := rdb.XLen(ctx, q.Stream()).Result(); left != 0 {
		t.Errorf("%d entries left in the jobs stream", left)
	}
	if keys, _ := rdb.Keys(ctx, "t1:job:*").Result(); len(keys) != 0 {
		t.Errorf("queued markers left: %v", keys)
	}

	// Each worker counts a result just after storing it.
	var recorded, claimed int64
	count := func() bool {
		recorded, claimed = 0, 0
		for _, w := range []*runningWorker{w1, w2, w3} {
			st := w.Stats()
			recorded += st.Recorded
			claimed += st.Claimed
		}
		return recorded >= n
	}
	eventually(t, 10*time.Second, "the workers count 30 results", count)
	time.Sleep(100 * time.Millisecond)
	if count(); recorded != n {
		t.Errorf("workers recorded %d results, want %d", recorded, n)
	}
	if claimed < 1 || w1.Stats().Claimed+w3.Stats().Claimed < 1 {
		t.Errorf("no worker took over the orphan (claimed %d); log:\n%s", claimed, logs.String())
	}
	if w1.Stats().Recorded == 0 || w3.Stats().Recorded == 0 {
		t.Errorf("the work was not shared: w1 %+v w3 %+v", w1.Stats(), w3.Stats())
	}

	// The API serves the results, the orphan's included, in any format.
	r := getJob(t, ts, orphan)
	if got, _ := score(t, r); got != want[orphan] {
		t.Errorf("GET orphan: score %g", got)
	}
	if r.header.Get("X-Redisgrade-Worker") == victim {
		t.Errorf("orphan served as graded by %s", victim)
	}
	r = do(t, http.MethodGet, ts.URL+"/v1/jobs/"+ids[1]+"?format=text", token, "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "Score: 3/4") {
		t.Errorf("GET ?format=text: %s", r)
	}
}

// TestSlowWorkerRecordedOnce: a worker that stalls (no heartbeat) loses its
// job to another; both grade it, and the result is recorded once, by the
// first to finish.
func TestSlowWorkerRecordedOnce(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{})
	ctx := context.Background()
	eng := processEngine(t)
	job := &Job{ID: newJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{}}
	for n, c := range exampleFiles(t, "correct") {
		job.Files[n] = []byte(c)
	}
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	stalled := make(chan struct{})
	slowCfg := fastWorker(q, eng, "slow", &logs)
	slowCfg.Heartbeat = -1
	slow := startWorker(t, slowCfg, func(_, _ string) {
		close(stalled)
		// Stall until the other worker has recorded the job.
		deadline := time.Now().Add(30 * time.Second)
		for rdb.Exists(ctx, q.ResultKey(job.ID)).Val() == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	})
	<-stalled
	fastCfg := fastWorker(q, eng, "fast", &logs)
	fastCfg.ClaimIdle = 300 * time.Millisecond
	fast := startWorker(t, fastCfg, nil)

	eventually(t, 30*time.Second, "the slow worker finishes too", func() bool { return slow.Stats().Duplicates == 1 })
	eventually(t, 10*time.Second, "the fast worker counts its result", func() bool { return fast.Stats().Recorded == 1 })
	if st := fast.Stats(); st.Recorded != 1 || st.Claimed != 1 || st.Graded != 1 {
		t.Errorf("fast: %+v", st)
	}
	if st := slow.Stats(); st.Recorded != 0 || st.Graded != 1 {
		t.Errorf("slow: %+v", st)
	}
	if n := rdb.XLen(ctx, q.ResultsStream()).Val(); n != 1 {
		t.Errorf("%d announcements, want 1", n)
	}
	res, _, err := q.Result(ctx, job.ID)
	if err != nil || res == nil || res.Worker != "fast" || res.Report.Score != 4 {
		t.Errorf("result: %+v %v", res, err)
	}
	if p := rdb.XPending(ctx, q.Stream(), q.Group()).Val(); p.Count != 0 {
		t.Errorf("pending: %+v", p)
	}
}

// TestHeartbeatKeepsASlowJob: with a heartbeat, a grading longer than the
// claim idle time is not taken over.
func TestHeartbeatKeepsASlowJob(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{})
	ctx := context.Background()
	eng := processEngine(t)
	job := &Job{ID: newJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"step1.redis": []byte("SET stock 100")}}
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	started := make(chan struct{})
	cfg := fastWorker(q, eng, "steady", &logs)
	cfg.ClaimIdle, cfg.Heartbeat = 400*time.Millisecond, 100*time.Millisecond
	steady := startWorker(t, cfg, func(_, _ string) {
		close(started)
		time.Sleep(1500 * time.Millisecond) // several claim-idle times
	})
	<-started
	otherCfg := fastWorker(q, eng, "other", &logs)
	otherCfg.ClaimIdle = 400 * time.Millisecond
	other := startWorker(t, otherCfg, nil)
	// The counter goes up just after the result is stored: wait for it.
	eventually(t, 30*time.Second, "the steady worker records the job", func() bool { return steady.Stats().Recorded == 1 })
	if rdb.Exists(ctx, q.ResultKey(job.ID)).Val() != 1 {
		t.Error("no result stored")
	}
	if st := other.Stats(); st.Claimed != 0 || st.Graded != 0 {
		t.Errorf("the other worker took the job over: %+v\n%s", st, logs.String())
	}
}

func TestRecordOnce(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{ResultTTL: time.Hour})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	id := newJobID()
	if err := q.Enqueue(ctx, &Job{ID: id, Exercise: "lua-atomicity", Files: map[string][]byte{"a.redis": []byte("PING")}}); err != nil {
		t.Fatal(err)
	}
	streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: q.Group(), Consumer: "c", Streams: []string{q.Stream(), ">"}, Count: 1, Block: -1}).Result()
	if err != nil {
		t.Fatal(err)
	}
	entry := streams[0].Messages[0].ID
	first, err := q.record(ctx, entry, &Result{Job: id, Status: StatusRejected, Worker: "a", Error: "first"})
	if err != nil || !first {
		t.Fatalf("first record: %v %v", first, err)
	}
	second, err := q.record(ctx, entry, &Result{Job: id, Status: StatusRejected, Worker: "b", Error: "second"})
	if err != nil || second {
		t.Fatalf("second record: %v %v", second, err)
	}
	res, _, err := q.Result(ctx, id)
	if err != nil || res.Worker != "a" || res.Error != "first" {
		t.Errorf("result %+v %v", res, err)
	}
	if n := rdb.XLen(ctx, q.ResultsStream()).Val(); n != 1 {
		t.Errorf("%d announcements", n)
	}
	if ttl := rdb.TTL(ctx, q.ResultKey(id)).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("result TTL %s", ttl)
	}
	if n := rdb.XLen(ctx, q.Stream()).Val(); n != 0 {
		t.Errorf("the job entry was not deleted")
	}
	if rdb.Exists(ctx, "redisgrade:job:"+id).Val() != 0 {
		t.Error("the queued marker was not deleted")
	}
}

// TestUnusableJobs: jobs that cannot be graded are recorded with a reason
// (never retried forever), and junk entries are dropped.
func TestUnusableJobs(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{})
	ctx := context.Background()
	ts := startServer(t, Config{Queue: q, Token: token})
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	unknown := &Job{ID: newJobID(), Exercise: "nope", Files: map[string][]byte{"a.redis": []byte("PING")}}
	traversal := &Job{ID: newJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"../../x": []byte("PING")}}
	for _, j := range []*Job{unknown, traversal} {
		if err := q.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	junkID := rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Stream(), Values: []any{"hello", "world"}}).Val()
	badJSON := newJobID()
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Stream(), Values: []any{"id", badJSON, "job", "{not json"}})

	// A job that killed its workers: delivered (claimed) 4 times already.
	poison := &Job{ID: newJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"step1.redis": []byte("SET stock 100")}}
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

	var logs syncBuffer
	w := startWorker(t, fastWorker(q, processEngine(t), "w", &logs), nil)
	eventually(t, 30*time.Second, "everything handled", func() bool {
		return rdb.XLen(ctx, q.Stream()).Val() == 0 && rdb.XPending(ctx, q.Stream(), q.Group()).Val().Count == 0
	})
	check := func(id, status, msg string, code int) {
		t.Helper()
		res, _, err := q.Result(ctx, id)
		if err != nil || res == nil {
			t.Fatalf("job %s: no result (%v)", id, err)
		}
		if res.Status != status || !strings.Contains(res.Error, msg) || res.Code != code {
			t.Errorf("job %s: %+v, want %s %d %q", id, res, status, code, msg)
		}
		r := getJob(t, ts, id)
		wantHTTP := http.StatusUnprocessableEntity
		if status == StatusFailed {
			wantHTTP = http.StatusInternalServerError
		}
		if r.status != wantHTTP || r.json(t)["status"] != status {
			t.Errorf("GET job %s: %s", id, r)
		}
	}
	check(unknown.ID, StatusRejected, `no exercise named "nope"`, 404)
	check(traversal.ID, StatusRejected, "not a plain file name", 400)
	check(badJSON, StatusRejected, "not a valid redisgrade job", 400)
	check(poison.ID, StatusFailed, "none finished it", 0)
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
	q, rdb, _ := testQueue(t, QueueConfig{MaxBacklog: 2})
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
	var job Job
	if err := json.Unmarshal([]byte(msgs[0].Values["job"].(string)), &job); err != nil {
		t.Fatal(err)
	}
	if job.ID != ids[0] || job.Format != "text" || len(job.Files) != 4 || job.Enqueued.IsZero() {
		t.Errorf("payload: %+v", job)
	}
	if r := getJob(t, ts, ids[0]); r.status != http.StatusAccepted || r.header.Get("Retry-After") != "1" {
		t.Errorf("queued job: %s", r)
	}
	for _, id := range []string{newJobID(), "nope", "../../etc"} {
		if r := getJob(t, ts, id); r.status != http.StatusNotFound {
			t.Errorf("GET job %q: %s", id, r)
		}
	}
	if r := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil); r.status != 200 || r.json(t)["queue"] != q.Stream() {
		t.Errorf("healthz: %s", r)
	}

	// A worker grades them; the job keeps the format asked for.
	var logs syncBuffer
	startWorker(t, fastWorker(q, processEngine(t), "w", &logs), nil)
	eventually(t, 30*time.Second, "graded", func() bool { return getJob(t, ts, ids[1]).status == 200 })
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
	q, err := OpenQueue("redis://127.0.0.1:1/0", QueueConfig{})
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

// TestWorkerStop: Stop finishes and records the job in hand, then Run
// returns nil. A worker whose engine cannot start takes no job.
func TestWorkerStop(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	job := &Job{ID: newJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{}}
	for n, c := range exampleFiles(t, "two-commands") {
		job.Files[n] = []byte(c)
	}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	broken := &flakyEngine{Engine: processEngine(t)}
	broken.fail.Store(true)
	idle := startWorker(t, fastWorker(q, broken, "broken", &logs), nil)
	time.Sleep(500 * time.Millisecond)
	if p := rdb.XPending(ctx, q.Stream(), q.Group()).Val(); p.Count != 0 {
		t.Errorf("a worker with no engine took a job: %+v", p)
	}
	if !strings.Contains(logs.String(), "no server today") {
		t.Errorf("the engine failure was not logged: %s", logs.String())
	}
	idle.cancel()

	var w *runningWorker
	ready := make(chan struct{})
	w = startWorker(t, fastWorker(q, processEngine(t), "good", &logs), func(_, _ string) {
		<-ready
		w.Stop()
	})
	close(ready)
	if err := w.wait(t); err != nil {
		t.Errorf("Run after Stop: %v", err)
	}
	res, _, err := q.Result(ctx, job.ID)
	if err != nil || res == nil || res.Report.Score != 3 {
		t.Errorf("the job in hand was not recorded: %+v %v", res, err)
	}
}

// TestInfraFailuresEndInFailed: a job whose grading fails on the grader's
// side is not recorded but retried (the job stays pending, then is claimed
// again); after MaxDeliveries attempts it is recorded as failed, not the
// student's fault.
func TestInfraFailuresEndInFailed(t *testing.T) {
	q, rdb, _ := testQueue(t, QueueConfig{})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	job := &Job{ID: newJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"step1.redis": []byte("SET stock 100")}}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	eng := &flakyEngine{Engine: processEngine(t)}
	var logs syncBuffer
	cfg := fastWorker(q, eng, "w", &logs)
	cfg.MaxDeliveries = 2
	var w *runningWorker
	ready := make(chan struct{})
	w = startWorker(t, cfg, func(_, _ string) {
		<-ready
		// The server dies under the grading and cannot be replaced.
		eng.killLast()
		eng.fail.Store(true)
	})
	close(ready)
	eventually(t, 30*time.Second, "the first attempt fails", func() bool { return w.Stats().InfraErrors == 1 })
	if res, queued, _ := q.Result(ctx, job.ID); res != nil || !queued {
		t.Fatalf("after one failed attempt: result %+v, queued %v", res, queued)
	}
	if p := rdb.XPending(ctx, q.Stream(), q.Group()).Val(); p.Count != 1 {
		t.Fatalf("the job is not pending: %+v", p)
	}
	eng.fail.Store(false) // the worker can start a server again, and takes the job back
	eventually(t, 30*time.Second, "the job is recorded", func() bool { return rdb.Exists(ctx, q.ResultKey(job.ID)).Val() == 1 })
	res, _, err := q.Result(ctx, job.ID)
	if err != nil || res.Status != StatusFailed || res.Attempt != 2 || !strings.Contains(res.Error, "not the student's fault") || !strings.Contains(res.Error, "flaky engine") {
		t.Errorf("result: %+v %v", res, err)
	}
	eventually(t, 10*time.Second, "counted", func() bool { return w.Stats().Failed == 1 })
	if st := w.Stats(); st.InfraErrors != 2 || st.Graded != 0 || st.Recorded != 1 {
		t.Errorf("stats: %+v", st)
	}
	if p := rdb.XPending(ctx, q.Stream(), q.Group()).Val(); p.Count != 0 {
		t.Errorf("still pending: %+v", p)
	}
}
