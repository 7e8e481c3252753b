package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redis/go-redis/v9"
)

// TestWorkersTakeOverADeadWorker enqueues 30 jobs,
// grades them with three workers, kills one in the middle of a grading, and
// checks that every job is graded and recorded exactly once: the dead
// worker's job is taken over with XAUTOCLAIM.
func TestWorkersTakeOverADeadWorker(t *testing.T) {
	q, rdb, _ := testQueue(t, Config{Stream: "t1:jobs"})
	ctx := context.Background()
	eng := redistest.ProcessEngine(t)
	correct, wrong := jobFiles(t, "correct"), jobFiles(t, "two-commands")

	// Enqueue first, so that all three workers find work at once.
	const n = 30
	ids := make([]string, n)
	want := map[string]float64{}
	for i := range n {
		files, s := correct, 4.0
		if i%2 == 1 {
			files, s = wrong, 3.0
		}
		job := &Job{ID: NewJobID(), Exercise: "lua-atomicity", Name: fmt.Sprintf("s%02d", i), Files: files}
		if err := q.Enqueue(ctx, job); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		ids[i] = job.ID
		want[ids[i]] = s
	}
	if res, queued, err := q.Result(ctx, ids[0]); res != nil || !queued || err != nil {
		t.Fatalf("before any worker: %+v, queued %v, %v", res, queued, err)
	}

	var logs redistest.Buffer
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

	redistest.Eventually(t, 90*time.Second, "all 30 jobs recorded", func() bool {
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
	redistest.Eventually(t, 10*time.Second, "the workers count 30 results", count)
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

}

// TestSlowWorkerRecordedOnce: a worker that stalls (no heartbeat) loses its
// job to another; both grade it, and the result is recorded once, by the
// first to finish.
func TestSlowWorkerRecordedOnce(t *testing.T) {
	q, rdb, _ := testQueue(t, Config{})
	ctx := context.Background()
	eng := redistest.ProcessEngine(t)
	job := &Job{ID: NewJobID(), Exercise: "lua-atomicity", Files: jobFiles(t, "correct")}
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}

	var logs redistest.Buffer
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

	redistest.Eventually(t, 30*time.Second, "the slow worker finishes too", func() bool { return slow.Stats().Duplicates == 1 })
	redistest.Eventually(t, 10*time.Second, "the fast worker counts its result", func() bool { return fast.Stats().Recorded == 1 })
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
	q, rdb, _ := testQueue(t, Config{})
	ctx := context.Background()
	eng := redistest.ProcessEngine(t)
	job := &Job{ID: NewJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"step1.redis": []byte("SET stock 100")}}
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	var logs redistest.Buffer
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
	redistest.Eventually(t, 30*time.Second, "the steady worker records the job", func() bool { return steady.Stats().Recorded == 1 })
	if rdb.Exists(ctx, q.ResultKey(job.ID)).Val() != 1 {
		t.Error("no result stored")
	}
	if st := other.Stats(); st.Claimed != 0 || st.Graded != 0 {
		t.Errorf("the other worker took the job over: %+v\n%s", st, logs.String())
	}
}

func TestRecordOnce(t *testing.T) {
	q, rdb, _ := testQueue(t, Config{ResultTTL: time.Hour})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	id := NewJobID()
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

// TestWorkerStop: Stop finishes and records the job in hand, then Run
// returns nil. A worker whose engine cannot start takes no job.
func TestWorkerStop(t *testing.T) {
	q, rdb, _ := testQueue(t, Config{})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	job := &Job{ID: NewJobID(), Exercise: "lua-atomicity", Files: jobFiles(t, "two-commands")}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}

	var logs redistest.Buffer
	broken := &flakyEngine{Engine: redistest.ProcessEngine(t)}
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
	w = startWorker(t, fastWorker(q, redistest.ProcessEngine(t), "good", &logs), func(_, _ string) {
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
	q, rdb, _ := testQueue(t, Config{})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	job := &Job{ID: NewJobID(), Exercise: "lua-atomicity", Files: map[string][]byte{"step1.redis": []byte("SET stock 100")}}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	eng := &flakyEngine{Engine: redistest.ProcessEngine(t)}
	var logs redistest.Buffer
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
	redistest.Eventually(t, 30*time.Second, "the first attempt fails", func() bool { return w.Stats().InfraErrors == 1 })
	if res, queued, _ := q.Result(ctx, job.ID); res != nil || !queued {
		t.Fatalf("after one failed attempt: result %+v, queued %v", res, queued)
	}
	if p := rdb.XPending(ctx, q.Stream(), q.Group()).Val(); p.Count != 1 {
		t.Fatalf("the job is not pending: %+v", p)
	}
	eng.fail.Store(false) // the worker can start a server again, and takes the job back
	redistest.Eventually(t, 30*time.Second, "the job is recorded", func() bool { return rdb.Exists(ctx, q.ResultKey(job.ID)).Val() == 1 })
	res, _, err := q.Result(ctx, job.ID)
	if err != nil || res.Status != StatusFailed || res.Attempt != 2 || !strings.Contains(res.Error, "not the student's fault") || !strings.Contains(res.Error, "flaky engine") {
		t.Errorf("result: %+v %v", res, err)
	}
	redistest.Eventually(t, 10*time.Second, "counted", func() bool { return w.Stats().Failed == 1 })
	if st := w.Stats(); st.InfraErrors != 2 || st.Graded != 0 || st.Recorded != 1 {
		t.Errorf("stats: %+v", st)
	}
	if p := rdb.XPending(ctx, q.Stream(), q.Group()).Val(); p.Count != 0 {
		t.Errorf("still pending: %+v", p)
	}
}

// A job for an exercise the worker's server is outside the requires of is
// rejected at once as refused, not retried as a grader failure.
func TestRefusedJobIsRejected(t *testing.T) {
	eng := redistest.ProcessEngine(t)
	srv, err := eng.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	info := srv.Info()
	srv.Close()
	if info.Server != "redis" || !strings.HasPrefix(info.Version, "7.0.") {
		t.Skipf("the machine's redis-server is %s %s, which hash-field-expiry admits", info.Server, info.Version)
	}
	q, _, _ := testQueue(t, Config{})
	ctx := context.Background()
	if err := q.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	job := &Job{ID: NewJobID(), Exercise: "hash-field-expiry", Files: map[string][]byte{"step1.redis": []byte("HSET s token t")}}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	var logs redistest.Buffer
	w := startWorker(t, fastWorker(q, eng, "w", &logs), nil)
	redistest.Eventually(t, 30*time.Second, "the job is recorded", func() bool {
		res, _, _ := q.Result(ctx, job.ID)
		return res != nil
	})
	res, _, err := q.Result(ctx, job.ID)
	if err != nil || res.Status != StatusRejected || res.Kind != Refused || res.Attempt != 1 || !strings.Contains(res.Error, "needs Redis >=7.4") {
		t.Errorf("result: %+v %v", res, err)
	}
	if st := w.Stats(); st.InfraErrors != 0 {
		t.Errorf("a refusal counted as a grader failure: %+v", st)
	}
}
