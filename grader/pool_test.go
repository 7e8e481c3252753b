package grader

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// poolEngineKinds are the engines the pool's tests run on: a real
// redis-server and the embedded emulator (which recovers from a runaway
// script differently: by replacing its server).
var poolEngineKinds = []string{engine.KindProcess, engine.KindEmbedded}

// trackedEngine wraps a real engine: it counts start attempts, can refuse
// them, lets a test act on every Reset (fail it, hold it), and knows which
// servers are still open.
type trackedEngine struct {
	engine.Engine
	attempts  atomic.Int64
	failStart atomic.Bool
	// onReset, if set, runs before each Reset of the n-th server started
	// (from 1); an error fails the Reset.
	onReset func(ctx context.Context, n int) error

	mu      sync.Mutex
	servers []*trackedServer
}

type trackedServer struct {
	engine.Server
	e      *trackedEngine
	n      int
	closed atomic.Bool
}

func (e *trackedEngine) Start(ctx context.Context) (engine.Server, error) {
	e.attempts.Add(1)
	if e.failStart.Load() {
		return nil, errors.New("no server today")
	}
	srv, err := e.Engine.Start(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &trackedServer{Server: srv, e: e, n: len(e.servers) + 1}
	e.servers = append(e.servers, s)
	return s, nil
}

func (s *trackedServer) Reset(ctx context.Context, given ...[]any) error {
	if s.e.onReset != nil {
		if err := s.e.onReset(ctx, s.n); err != nil {
			return err
		}
	}
	return s.Server.Reset(ctx, given...)
}

func (s *trackedServer) Close() error {
	s.closed.Store(true)
	return s.Server.Close()
}

// open is how many of the servers started are not closed.
func (e *trackedEngine) open() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, s := range e.servers {
		if !s.closed.Load() {
			n++
		}
	}
	return n
}

func trackEngine(t *testing.T, kind string) *trackedEngine {
	return &trackedEngine{Engine: testEngine(t, kind)}
}

// poolSubmission opens a lua-atomicity submission: the correct example
// with files replaced.
func poolSubmission(t *testing.T, replace map[string]string) (*exercises.Exercise, *submissions.Submission) {
	t.Helper()
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	files := correctFiles(t)
	for name, text := range replace {
		files[name] = text
	}
	sub, err := submissions.Open(writeSubmission(t, files))
	if err != nil {
		t.Fatal(err)
	}
	return ex, sub
}

// closePool closes p when the test ends; a lease a failed test left held
// would keep Close waiting: that is reported, not waited for.
func closePool(t *testing.T, p *Pool) {
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			p.Close()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("Close did not return within 30s: %+v", p.Stats())
		}
	})
}

func wantStats(t *testing.T, p *Pool, want PoolStats) {
	t.Helper()
	if got := p.Stats(); got != want {
		t.Errorf("pool stats %+v, want %+v", got, want)
	}
}

// waitFor polls cond until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receive takes a value from ch, failing if none comes within 30s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("not within 30s: %s", what)
		panic("unreachable")
	}
}

// One session per worker, kept warm: gradings one after another reuse it,
// on both engines.
func TestPoolKeepsSessionsWarm(t *testing.T) {
	for _, kind := range poolEngineKinds {
		t.Run(kind, func(t *testing.T) {
			eng := trackEngine(t, kind)
			p := NewPool(PoolConfig{Engine: eng, Jobs: 2})
			closePool(t, p)
			ex, good := poolSubmission(t, nil)
			_, wrong := poolSubmission(t, map[string]string{"step1.redis": "SET stock 99\nSET sales 0\n"})
			for i, sub := range []*submissions.Submission{good, wrong, good, wrong} {
				rep, err := p.Grade(context.Background(), ex, sub, Options{})
				if err != nil {
					t.Fatalf("grading %d: %v", i+1, err)
				}
				if want := 4.0 - float64(i%2); rep.Score != want {
					t.Errorf("grading %d scored %g, want %g", i+1, rep.Score, want)
				}
			}
			wantStats(t, p, PoolStats{Idle: 1, Started: 1})
			if n := eng.attempts.Load(); n != 1 {
				t.Errorf("%d servers started for 4 gradings in a row, want 1", n)
			}
		})
	}
}

// What a student's code does (a wrong answer, a runaway script, SHUTDOWN,
// a client kill) is graded as their failure: the session is kept, no
// grading is tried again, and the next submission is graded right on it.
func TestPoolKeepsSessionOnStudentFailures(t *testing.T) {
	students := map[string]map[string]string{
		"wrong answer":   {"step1.redis": "SET stock 99\n"},
		"runaway script": {"step2.lua": "while true do end"},
		"shutdown":       {"step1.redis": "SET stock 100\nSET sales 0\nSHUTDOWN NOSAVE\n"},
		"client kill":    {"step3.redis": "CLIENT KILL TYPE normal\n"},
		"syntax error":   {"step2.lua": "return (("},
	}
	for _, kind := range poolEngineKinds {
		t.Run(kind, func(t *testing.T) {
			eng := trackEngine(t, kind)
			p := NewPool(PoolConfig{Engine: eng, Jobs: 1})
			closePool(t, p)
			ex, good := poolSubmission(t, nil)
			for name, files := range students {
				_, sub := poolSubmission(t, files)
				rep, err := p.Grade(context.Background(), ex, sub, Options{Timeout: 300 * time.Millisecond})
				if err != nil {
					t.Fatalf("%s: a student's failure came back as the grader's: %v", name, err)
				}
				if rep.Passed() {
					t.Errorf("%s: passed", name)
				}
			}
			rep, err := p.Grade(context.Background(), ex, good, Options{})
			if err != nil || rep.Score != 4 {
				t.Fatalf("the correct submission after them: %v, %+v", err, rep)
			}
			wantStats(t, p, PoolStats{Idle: 1, Started: 1})
		})
	}
}

// A session the grader fails on is discarded, and the submission graded
// once more on a fresh one: the student never sees the failure.
func TestPoolRetriesOnceOnAFreshSession(t *testing.T) {
	for _, kind := range poolEngineKinds {
		t.Run(kind, func(t *testing.T) {
			eng := trackEngine(t, kind)
			eng.onReset = func(_ context.Context, n int) error {
				if n == 1 {
					return errors.New("reset refused")
				}
				return nil
			}
			p := NewPool(PoolConfig{Engine: eng, Jobs: 1})
			closePool(t, p)
			ex, sub := poolSubmission(t, nil)
			rep, err := p.Grade(context.Background(), ex, sub, Options{})
			if err != nil || rep.Score != 4 {
				t.Fatalf("graded %+v, %v: want 4 points from the second session", rep, err)
			}
			wantStats(t, p, PoolStats{Idle: 1, Started: 2, Replaced: 1})
			if !eng.servers[0].closed.Load() || eng.open() != 1 {
				t.Errorf("the failed server is still open (open: %d)", eng.open())
			}
		})
	}
}

// A grader that keeps failing is tried exactly twice, and the error is the
// grader's, saying why; no session it failed on is kept.
func TestPoolRetriesOnlyOnce(t *testing.T) {
	eng := trackEngine(t, engine.KindProcess)
	eng.onReset = func(context.Context, int) error { return errors.New("reset refused") }
	p := NewPool(PoolConfig{Engine: eng, Jobs: 1})
	closePool(t, p)
	ex, sub := poolSubmission(t, nil)
	_, err := p.Grade(context.Background(), ex, sub, Options{})
	if !IsInfra(err) || !strings.Contains(err.Error(), "reset refused") {
		t.Fatalf("error %v: want the grader's, saying why", err)
	}
	if n := eng.attempts.Load(); n != 2 {
		t.Errorf("%d servers started, want 2 (one try and one retry)", n)
	}
	wantStats(t, p, PoolStats{Started: 2, Replaced: 2})
	if n := eng.open(); n != 0 {
		t.Errorf("%d failed servers still open", n)
	}
}

// A server that will not start is tried twice, then reported as a
// *StartError (the grader's failure, naming the engine's reason).
func TestPoolStartFailure(t *testing.T) {
	eng := trackEngine(t, engine.KindProcess)
	eng.failStart.Store(true)
	p := NewPool(PoolConfig{Engine: eng, Jobs: 1})
	closePool(t, p)
	ex, sub := poolSubmission(t, nil)
	_, err := p.Grade(context.Background(), ex, sub, Options{})
	var start *StartError
	if !errors.As(err, &start) || !IsInfra(err) || !strings.Contains(err.Error(), "no server today") {
		t.Fatalf("error %v (%T): want a *StartError that is the grader's, saying why", err, err)
	}
	if n := eng.attempts.Load(); n != 2 {
		t.Errorf("%d start attempts, want 2", n)
	}
	wantStats(t, p, PoolStats{})

	// Ready tries once and says the same; once the engine works, it starts.
	l, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(context.Background()); !errors.As(err, &start) {
		t.Errorf("Ready: %v, want a *StartError", err)
	}
	eng.failStart.Store(false)
	if err := l.Ready(context.Background()); err != nil {
		t.Errorf("Ready with a working engine: %v", err)
	}
	if n := eng.attempts.Load(); n != 4 {
		t.Errorf("%d start attempts, want 4 (2, then one per Ready)", n)
	}
	l.Release()
	wantStats(t, p, PoolStats{Idle: 1, Started: 1})
}

// No more than Jobs leases are held at once: the next caller waits, and
// gets the first slot given back.
func TestPoolBoundsConcurrency(t *testing.T) {
	eng := trackEngine(t, engine.KindEmbedded)
	p := NewPool(PoolConfig{Engine: eng, Jobs: 2})
	closePool(t, p)
	ctx := context.Background()
	held := make([]*Lease, 2)
	for i := range held {
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held[i] = l
	}
	third := make(chan *Lease, 1)
	go func() {
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		third <- l
	}()
	waitFor(t, 30*time.Second, "a third caller waits or gets a lease", func() bool {
		st := p.Stats()
		return st.Waiting == 1 || st.Busy > 2
	})
	wantStats(t, p, PoolStats{Busy: 2, Waiting: 1})
	held[0].Release()
	l := receive(t, third, "the waiting caller gets the slot given back")
	wantStats(t, p, PoolStats{Busy: 2})
	l.Release()
	held[1].Release()
	wantStats(t, p, PoolStats{})
}

// Many gradings at once on Jobs sessions: never more than Jobs servers,
// never more than Jobs gradings resetting a server at the same time.
func TestPoolConcurrentGradings(t *testing.T) {
	const jobs, gradings = 2, 6
	eng := trackEngine(t, engine.KindProcess)
	var inReset, most atomic.Int64
	eng.onReset = func(context.Context, int) error {
		n := inReset.Add(1)
		defer inReset.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return nil
	}
	p := NewPool(PoolConfig{Engine: eng, Jobs: jobs})
	closePool(t, p)
	ex, sub := poolSubmission(t, nil)
	reports := make(chan *report.Report, gradings)
	var wg sync.WaitGroup
	for range gradings {
		wg.Go(func() {
			rep, err := p.Grade(context.Background(), ex, sub, Options{})
			if err != nil {
				t.Error(err)
			}
			reports <- rep
		})
	}
	wg.Wait()
	close(reports)
	for rep := range reports {
		if rep != nil && rep.Score != 4 {
			t.Errorf("scored %g, want 4", rep.Score)
		}
	}
	if st := p.Stats(); st.Started > jobs || st.Busy != 0 || st.Replaced != 0 {
		t.Errorf("pool stats %+v: want at most %d sessions", st, jobs)
	}
	if n := eng.attempts.Load(); n > jobs {
		t.Errorf("%d servers started, want at most %d", n, jobs)
	}
	if m := most.Load(); m > jobs {
		t.Errorf("%d gradings at once, want at most %d", m, jobs)
	}
}

// gate holds the Reset of one server until released.
type gate struct {
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 1), open: make(chan struct{})} }

// hold is an onReset that blocks the n-th server's first Reset until the
// gate opens or ctx ends.
func (g *gate) hold(server int) func(ctx context.Context, n int) error {
	var once sync.Once
	return func(ctx context.Context, n int) error {
		if n != server {
			return nil
		}
		wait := false
		once.Do(func() { wait = true })
		if !wait {
			return nil
		}
		g.entered <- struct{}{}
		select {
		case <-g.open:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close refuses new leases at once, waits for the grading in flight to
// finish (it is graded, not cut short), and closes every server.
func TestPoolCloseWaitsForInFlight(t *testing.T) {
	eng := trackEngine(t, engine.KindProcess)
	g := newGate()
	eng.onReset = g.hold(1)
	p := NewPool(PoolConfig{Engine: eng, Jobs: 2})
	ex, sub := poolSubmission(t, nil)

	// A warm idle session, and a grading in flight on another.
	idle, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	busy, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var finished atomic.Bool // set before the lease is released
	graded := make(chan error, 1)
	go func() {
		rep, err := busy.Grade(context.Background(), ex, sub, Options{})
		if err == nil && rep.Score != 4 {
			err = errors.New("not 4 points")
		}
		finished.Store(true)
		busy.Release()
		graded <- err
	}()
	receive(t, g.entered, "the grading reaches its first reset")
	if err := idle.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	idle.Release()

	closed := make(chan bool, 1)
	go func() {
		p.Close()
		closed <- finished.Load()
	}()
	waitFor(t, 30*time.Second, "Close refuses new leases", func() bool {
		l, err := p.Acquire(context.Background())
		if err == nil {
			l.Release()
		}
		return errors.Is(err, ErrPoolClosed)
	})
	close(g.open)
	if err := receive(t, graded, "the grading in flight ends"); err != nil {
		t.Errorf("the grading in flight: %v", err)
	}
	if !receive(t, closed, "Close returns") {
		t.Error("Close returned before the grading in flight finished")
	}
	if n := eng.open(); n != 0 {
		t.Errorf("%d servers still open after Close", n)
	}
	if _, err := p.Grade(context.Background(), ex, sub, Options{}); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("Grade after Close: %v", err)
	}
}

// A caller waiting for a lease stops when its context ends; a grading cut
// short by its context is not tried again, and its session is discarded.
func TestPoolContextCancel(t *testing.T) {
	t.Run("waiting", func(t *testing.T) {
		p := NewPool(PoolConfig{Engine: trackEngine(t, engine.KindEmbedded), Jobs: 1})
		closePool(t, p)
		held, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := p.Acquire(ctx)
			got <- err
		}()
		waitFor(t, 30*time.Second, "the second caller waits", func() bool { return p.Stats().Waiting == 1 })
		cancel()
		if err := receive(t, got, "Acquire returns"); !errors.Is(err, context.Canceled) {
			t.Errorf("Acquire: %v, want context.Canceled", err)
		}
		wantStats(t, p, PoolStats{Busy: 1})
		held.Release()
	})
	t.Run("grading", func(t *testing.T) {
		eng := trackEngine(t, engine.KindProcess)
		g := newGate()
		eng.onReset = g.hold(1)
		p := NewPool(PoolConfig{Engine: eng, Jobs: 1})
		closePool(t, p)
		ex, sub := poolSubmission(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := p.Grade(ctx, ex, sub, Options{})
			got <- err
		}()
		receive(t, g.entered, "the grading reaches its first reset")
		cancel()
		if err := receive(t, got, "Grade returns"); !errors.Is(err, context.Canceled) {
			t.Errorf("Grade: %v, want context.Canceled", err)
		}
		if n := eng.attempts.Load(); n != 1 {
			t.Errorf("%d servers started, want 1: a cancelled grading is not tried again", n)
		}
		wantStats(t, p, PoolStats{Started: 1, Replaced: 1})
		if n := eng.open(); n != 0 {
			t.Errorf("the cut-short session's server is still open")
		}
	})
}

// Fresh: every grading on a new session, closed after it.
func TestPoolFresh(t *testing.T) {
	eng := trackEngine(t, engine.KindProcess)
	p := NewPool(PoolConfig{Engine: eng, Jobs: 1, Fresh: true})
	closePool(t, p)
	ex, sub := poolSubmission(t, nil)
	for i := range 3 {
		rep, err := p.Grade(context.Background(), ex, sub, Options{})
		if err != nil || rep.Score != 4 {
			t.Fatalf("grading %d: %v, %+v", i+1, err, rep)
		}
		if n := eng.open(); n != 0 {
			t.Fatalf("after grading %d, %d servers still open", i+1, n)
		}
	}
	wantStats(t, p, PoolStats{Started: 3})
}

// Jobs defaults to DefaultJobs.
func TestPoolDefaultJobs(t *testing.T) {
	p := NewPool(PoolConfig{Engine: trackEngine(t, engine.KindEmbedded)})
	defer p.Close()
	if n := cap(p.slots); n != DefaultJobs() {
		t.Errorf("%d gradings at once, want DefaultJobs() = %d", n, DefaultJobs())
	}
}
