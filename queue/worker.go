package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/submissions"
)

// Defaults for WorkerConfig.
const (
	DefaultClaimIdle     = 30 * time.Second
	DefaultBlock         = 2 * time.Second
	DefaultMaxDeliveries = 3
)

// WorkerConfig configures a Worker. Queue and Engine are required.
type WorkerConfig struct {
	Queue  *Queue
	Engine engine.Engine
	// Consumer names this worker in the consumer group (default
	// hostname-pid). With Jobs > 1 each grader is Consumer-1, Consumer-2...
	Consumer string
	// Jobs is how many gradings run at once, each on its own session
	// (default 1).
	Jobs int
	// Grade is passed to every grading.
	Grade grader.Options
	// ClaimIdle is how long a job may sit unacknowledged, with no
	// heartbeat, before another worker takes it over (default 30s).
	ClaimIdle time.Duration
	// Heartbeat is how often a worker tells the group it is still grading
	// a job (default ClaimIdle/3; negative: never).
	Heartbeat time.Duration
	// Block is how long one XREADGROUP waits for a job (default 2s); Stop
	// takes effect within it.
	Block time.Duration
	// MaxDeliveries is how many times a job is tried before it is recorded
	// as failed (default 3).
	MaxDeliveries int64
	// MaxFiles bounds the loose files of a job (default 64).
	MaxFiles int
	// Log gets a line per job and the errors; nil = none.
	Log *log.Logger
}

// Worker grades jobs from a Queue: XREADGROUP for new ones, XAUTOCLAIM for
// those a dead worker left pending, and a script that records each result
// once and acknowledges the job in one step.
type Worker struct {
	cfg      WorkerConfig
	shipped  []string
	stopping atomic.Bool

	graded, recorded, duplicates, claimed, rejected, failed, infraErrors atomic.Int64

	// hookGrading runs when a job is about to be graded.
	hookGrading func(consumer, jobID string)
}

// WorkerStats counts what a worker did.
type WorkerStats struct {
	Graded      int64 // gradings completed (a job graded twice counts twice)
	Recorded    int64 // results this worker stored
	Duplicates  int64 // results not stored because the job already had one
	Claimed     int64 // jobs taken over from another consumer (XAUTOCLAIM)
	Rejected    int64 // jobs recorded as unusable
	Failed      int64 // jobs recorded as failed after MaxDeliveries attempts
	InfraErrors int64 // gradings that failed on the grader's side
}

// NewWorker returns a worker for cfg.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Queue == nil || cfg.Engine == nil {
		return nil, errors.New("worker: a queue and an engine are needed")
	}
	if cfg.Consumer == "" {
		host, _ := os.Hostname()
		cfg.Consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = 1
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = DefaultClaimIdle
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = cfg.ClaimIdle / 3
	}
	if cfg.Block <= 0 {
		cfg.Block = DefaultBlock
	}
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = DefaultMaxDeliveries
	}
	if cfg.MaxFiles <= 0 {
		cfg.MaxFiles = DefaultMaxFiles
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	return &Worker{cfg: cfg, shipped: exercises.Shipped()}, nil
}

// Stats reports the worker's counters.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{
		Graded: w.graded.Load(), Recorded: w.recorded.Load(), Duplicates: w.duplicates.Load(),
		Claimed: w.claimed.Load(), Rejected: w.rejected.Load(), Failed: w.failed.Load(),
		InfraErrors: w.infraErrors.Load(),
	}
}

// Stop asks Run to finish the jobs in hand, record them, and return; no
// new job is taken.
func (w *Worker) Stop() { w.stopping.Store(true) }

// Run grades jobs until Stop (it then returns nil once the jobs in hand are
// recorded) or until ctx is done: that is an abort, and it returns
// ctx.Err() at once, leaving the jobs in hand pending for other workers.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.cfg.Queue.EnsureGroup(ctx); err != nil {
		return err
	}
	pool := grader.NewPool(grader.PoolConfig{Engine: w.cfg.Engine, Jobs: w.cfg.Jobs})
	defer pool.Close()
	var wg sync.WaitGroup
	for i := range w.cfg.Jobs {
		consumer := w.cfg.Consumer
		if w.cfg.Jobs > 1 {
			consumer = fmt.Sprintf("%s-%d", consumer, i+1)
		}
		wg.Go(func() { w.loop(ctx, pool, consumer) })
	}
	wg.Wait()
	return ctx.Err()
}

// graderLoop is one grading loop: a consumer with its own lease of the
// worker's pool (and so its own session).
type graderLoop struct {
	w        *Worker
	consumer string
	lease    *grader.Lease
	backoff  time.Duration
}

func (w *Worker) loop(ctx context.Context, pool *grader.Pool, consumer string) {
	// As many leases as loops: none waits, but for an abort.
	lease, err := pool.Acquire(ctx)
	if err != nil {
		return
	}
	defer lease.Release()
	g := &graderLoop{w: w, consumer: consumer, lease: lease}
	q := w.cfg.Queue
	rdb := q.Client()

	// A worker restarted under the same name finds its own pending jobs
	// first, without waiting for them to go idle.
	ownDone := false
	cursor := "0-0"
	for !w.stopping.Load() && ctx.Err() == nil {
		// A session first: a worker that cannot grade takes no job.
		if err := g.lease.Ready(ctx); err != nil {
			w.cfg.Log.Printf("%s: %v", consumer, err)
			g.sleep(ctx)
			continue
		}

		if !ownDone {
			streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: q.Group(), Consumer: consumer, Streams: []string{q.Stream(), "0"}, Count: 10, Block: -1,
			}).Result()
			if g.queueError(ctx, err) {
				continue
			}
			msgs := messages(streams)
			if len(msgs) == 0 {
				ownDone = true
				continue
			}
			for _, m := range msgs {
				g.handle(ctx, m, g.deliveries(ctx, m.ID))
			}
			continue
		}

		msgs, next, err := rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: q.Stream(), Group: q.Group(), Consumer: consumer,
			MinIdle: w.cfg.ClaimIdle, Start: cursor, Count: 1,
		}).Result()
		if g.queueError(ctx, err) {
			continue
		}
		cursor = next
		if len(msgs) > 0 {
			for _, m := range msgs {
				w.claimed.Add(1)
				g.handle(ctx, m, g.deliveries(ctx, m.ID))
			}
			continue
		}

		streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: q.Group(), Consumer: consumer, Streams: []string{q.Stream(), ">"}, Count: 1, Block: w.cfg.Block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if g.queueError(ctx, err) {
			continue
		}
		for _, m := range messages(streams) {
			g.handle(ctx, m, 1)
		}
	}
}

func messages(streams []redis.XStream) []redis.XMessage {
	var out []redis.XMessage
	for _, s := range streams {
		out = append(out, s.Messages...)
	}
	return out
}

// queueError logs a Redis error and backs off; it reports whether there
// was one. A missing group (the stream was deleted) is created again.
func (g *graderLoop) queueError(ctx context.Context, err error) bool {
	if err == nil {
		g.backoff = 0
		return false
	}
	if ctx.Err() != nil {
		return true
	}
	g.w.cfg.Log.Printf("%s: queue: %v", g.consumer, err)
	if redis.HasErrorPrefix(err, "NOGROUP") {
		_ = g.w.cfg.Queue.EnsureGroup(ctx)
	}
	g.sleep(ctx)
	return true
}

// sleep waits a growing time, up to 30s, or until ctx is done.
func (g *graderLoop) sleep(ctx context.Context) {
	g.backoff = min(max(2*g.backoff, 100*time.Millisecond), 30*time.Second)
	t := time.NewTimer(g.backoff)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// deliveries is how many times the entry was delivered, this one included.
func (g *graderLoop) deliveries(ctx context.Context, entryID string) int64 {
	q := g.w.cfg.Queue
	p, err := q.Client().XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: q.Stream(), Group: q.Group(), Start: entryID, End: entryID, Count: 1,
	}).Result()
	if err != nil || len(p) == 0 {
		return 1
	}
	return p[0].RetryCount
}

// handle grades one entry and records its result. When ctx ends (an
// abort) or the grader fails and tries remain, nothing is recorded: the
// entry stays pending, and XAUTOCLAIM gives it to another worker.
func (g *graderLoop) handle(ctx context.Context, m redis.XMessage, deliveries int64) {
	w, q := g.w, g.w.cfg.Queue
	id, _ := m.Values["id"].(string)
	payload, _ := m.Values["job"].(string)
	if !ValidJobID(id) {
		// Deleted while pending (Values is nil), or not one of ours.
		if err := q.drop(ctx, m.ID); err != nil && ctx.Err() == nil {
			w.cfg.Log.Printf("%s: drop entry %s: %v", g.consumer, m.ID, err)
		}
		return
	}
	res := &Result{Job: id, Worker: g.consumer, Attempt: deliveries}
	reject := func(e *JobError) {
		res.Status, res.Kind, res.Error = StatusRejected, e.Kind, e.Msg
		w.rejected.Add(1)
	}
	var job Job
	if err := json.Unmarshal([]byte(payload), &job); err != nil || job.ID != id {
		reject(&JobError{Kind: BadJob, Msg: "the job is not a valid redisgrade job"})
	} else {
		res.Format = job.Format
		g.grade(ctx, m.ID, &job, res, deliveries, reject)
	}
	if ctx.Err() != nil || res.Status == "" {
		return // left pending
	}
	res.Finished = time.Now().UTC()
	stored, err := q.record(ctx, m.ID, res)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.cfg.Log.Printf("%s: %v", g.consumer, err)
		}
	case stored:
		w.recorded.Add(1)
		w.cfg.Log.Printf("%s: job %s %s%s (attempt %d)", g.consumer, id, res.Status, scoreText(res), deliveries)
	default:
		w.duplicates.Add(1)
		w.cfg.Log.Printf("%s: job %s was already recorded by another worker", g.consumer, id)
	}
}

func scoreText(res *Result) string {
	if res.Report == nil {
		return ": " + res.Error
	}
	return fmt.Sprintf(" %g/%g", res.Report.Score, res.Report.MaxScore)
}

// grade fills res, or leaves its Status empty to keep the job pending.
func (g *graderLoop) grade(ctx context.Context, entryID string, job *Job, res *Result, deliveries int64, reject func(*JobError)) {
	w := g.w
	if deliveries > w.cfg.MaxDeliveries {
		res.Status, res.Error = StatusFailed, fmt.Sprintf("not graded: %d workers took this job and none finished it", deliveries-1)
		w.failed.Add(1)
		return
	}
	ex, herr := LoadExercise(w.shipped, job.Exercise)
	var sub *submissions.Submission
	if herr == nil {
		sub, herr = job.Open(w.cfg.MaxFiles)
	}
	switch {
	case herr != nil && herr.Kind == GraderSide:
		g.infraFailure(ctx, res, deliveries, herr)
		return
	case herr != nil:
		reject(herr)
		return
	}
	if err := g.lease.Ready(ctx); err != nil {
		g.infraFailure(ctx, res, deliveries, err)
		return
	}
	stopBeat := g.heartbeat(ctx, entryID, res.Job)
	if w.hookGrading != nil {
		w.hookGrading(g.consumer, job.ID)
	}
	rep, err := g.lease.Grade(ctx, ex, sub, w.cfg.Grade)
	stopBeat()
	var refused *grader.RefusedError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return
	case errors.As(err, &refused):
		reject(&JobError{Kind: Refused, Msg: refused.Error()})
		return
	default:
		g.infraFailure(ctx, res, deliveries, err)
		return
	}
	w.graded.Add(1)
	res.Status, res.Report = StatusGraded, rep
}

// infraFailure records the job as failed on its last try; otherwise it
// stays pending, for this worker or another, after ClaimIdle.
func (g *graderLoop) infraFailure(ctx context.Context, res *Result, deliveries int64, err error) {
	w := g.w
	w.infraErrors.Add(1)
	w.cfg.Log.Printf("%s: job %s: the grader failed (attempt %d of %d): %v", g.consumer, res.Job, deliveries, w.cfg.MaxDeliveries, err)
	if deliveries >= w.cfg.MaxDeliveries {
		res.Status, res.Error = StatusFailed, fmt.Sprintf("the grader could not grade this submission (not the student's fault): %v", err)
		w.failed.Add(1)
		return
	}
	g.sleep(ctx)
}

// heartbeat keeps claiming the entry for this consumer while it is graded
// (XCLAIM with min-idle 0 and JUSTID resets its idle time and leaves its
// delivery count alone), so that a slow grading is not taken over.
func (g *graderLoop) heartbeat(ctx context.Context, entry, jobID string) (stop func()) {
	every := g.w.cfg.Heartbeat
	if every < 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		q := g.w.cfg.Queue
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				err := q.Client().XClaimJustID(ctx, &redis.XClaimArgs{
					Stream: q.Stream(), Group: q.Group(), Consumer: g.consumer, MinIdle: 0, Messages: []string{entry},
				}).Err()
				if err != nil && ctx.Err() == nil {
					g.w.cfg.Log.Printf("%s: heartbeat for job %s: %v", g.consumer, jobID, err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
