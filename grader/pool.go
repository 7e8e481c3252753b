package grader

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// The pool's policy, stated once for batch, serve, worker and watch:
//
//   - Workers: at most Jobs gradings run at once (DefaultJobs unless told),
//     each on its own session. Sessions are started when first needed and
//     kept warm: every case starts from a proven reset (Session.Grade), so
//     one submission cannot see another's keys.
//   - Discard: a session whose grading returned an error is closed, never
//     used again. Session.Grade reports the student's own failures (wrong
//     answers, timeouts, a server their code stopped) in the report, with
//     the server recovered, so an error is always the grader's: its server's
//     state is no longer known. A grading cut short by its context is
//     discarded the same way.
//   - Retry: a grading the grader failed on, or whose session would not
//     start, is tried poolRetries more times, each on a fresh session; not
//     when its context has ended.
const poolRetries = 1

// DefaultJobs is how many sessions grade at once unless told otherwise: one
// more than the cores. A session spends part of each round trip waiting for
// its server's reply; with as many sessions as cores, a core then sits idle,
// and one more keeps it busy (redisgrade bench: about 20% more submissions
// per second on 2 cores with -j 3 than with -j 2; -j 4 adds nothing).
func DefaultJobs() int { return runtime.NumCPU() + 1 }

// ErrPoolClosed is returned by Pool.Acquire and Pool.Grade after Close.
var ErrPoolClosed = errors.New("the grader is shutting down")

// StartError is a grading that got no server: the engine could not start
// one. It wraps the session's *InfraError, so IsInfra holds for it too; a
// batch stops on it, since no later submission would fare better.
type StartError struct{ Err error }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// PoolConfig configures a Pool. Engine is required.
type PoolConfig struct {
	Engine engine.Engine
	// Jobs bounds the gradings at once, each on its own session (0:
	// DefaultJobs()).
	Jobs int
	// Fresh grades every submission on a new session, closed after it,
	// instead of a warm one (as Grade does).
	Fresh bool
}

// Pool hands out warm sessions under the policy above.
type Pool struct {
	eng   engine.Engine
	fresh bool
	slots chan struct{} // a token per lease held

	mu       sync.Mutex
	idle     []*Session
	closed   bool
	waiting  int
	busy     int
	started  int
	replaced int
	leases   sync.WaitGroup // leases not yet released, for Close
}

// PoolStats counts what a pool did.
type PoolStats struct {
	Busy     int // leases held: gradings running or about to
	Waiting  int // callers waiting for a lease
	Idle     int // warm sessions waiting
	Started  int // sessions started in all
	Replaced int // sessions discarded after a failed grading
}

// NewPool returns a pool on cfg.Engine.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.Jobs <= 0 {
		cfg.Jobs = DefaultJobs()
	}
	return &Pool{eng: cfg.Engine, fresh: cfg.Fresh, slots: make(chan struct{}, cfg.Jobs)}
}

// Grade grades sub on a session of the pool, waiting for a free one (or for
// ctx). Its error is the grader's (a *StartError when no server started,
// ErrPoolClosed after Close) or ctx's, never the student's.
func (p *Pool) Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts Options) (*report.Report, error) {
	l, err := p.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	return l.Grade(ctx, ex, sub, opts)
}

// Acquire waits for one of the pool's Jobs slots (or for ctx) and returns
// it as a Lease, holding a warm session if one is idle. Release it when
// done. It fails with ErrPoolClosed after Close.
func (p *Pool) Acquire(ctx context.Context) (*Lease, error) {
	select {
	case p.slots <- struct{}{}:
	default:
		p.mu.Lock()
		p.waiting++
		p.mu.Unlock()
		var err error
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
		}
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		<-p.slots
		return nil, ErrPoolClosed
	}
	p.busy++
	p.leases.Add(1)
	l := &Lease{p: p}
	if n := len(p.idle); n > 0 {
		l.sess = p.idle[n-1]
		p.idle = p.idle[:n-1]
	}
	return l, nil
}

// Stats reports the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Busy: p.busy, Waiting: p.waiting, Idle: len(p.idle), Started: p.started, Replaced: p.replaced}
}

// Close refuses new leases, closes the idle sessions and waits for the
// leases held to be released (their sessions are closed then).
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, s := range idle {
		s.Close()
	}
	p.leases.Wait()
}

// A Lease is one of the pool's slots: it grades one submission at a time on
// the session it holds, keeping it between gradings. One goroutine uses it,
// until Release.
type Lease struct {
	p        *Pool
	sess     *Session // nil until started, and after a discard
	released bool
}

// Ready makes sure the lease holds a session, starting one if needed, so
// that a caller can take work only once it can grade. One try: its error is
// a *StartError.
func (l *Lease) Ready(ctx context.Context) error {
	if l.sess != nil {
		return nil
	}
	sess, err := NewSession(ctx, l.p.eng)
	if err != nil {
		return &StartError{Err: err}
	}
	l.p.mu.Lock()
	l.p.started++
	l.p.mu.Unlock()
	l.sess = sess
	return nil
}

// Grade grades sub on the lease's session, under the pool's policy: a
// session the grading failed on is discarded and the grading tried once
// more on a fresh one. Its error is the last try's.
func (l *Lease) Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts Options) (*report.Report, error) {
	var err error
	for try := 0; try <= poolRetries; try++ {
		if err = l.Ready(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			continue
		}
		var rep *report.Report
		rep, err = l.sess.Grade(ctx, ex, sub, opts)
		if err == nil {
			if l.p.fresh {
				l.drop()
			}
			return rep, nil
		}
		// A refusal is the spec's answer about this server, not a broken session: no retry helps.
		if refused := (*RefusedError)(nil); errors.As(err, &refused) {
			return nil, err
		}
		l.drop()
		l.p.mu.Lock()
		l.p.replaced++
		l.p.mu.Unlock()
		if ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, err
}

// drop closes the lease's session.
func (l *Lease) drop() {
	l.sess.Close()
	l.sess = nil
}

// Release gives the slot back, keeping its session warm for the next lease
// (or closing it, when the pool is closed). Idempotent.
func (l *Lease) Release() {
	if l.released {
		return
	}
	l.released = true
	p := l.p
	p.mu.Lock()
	p.busy--
	keep := l.sess != nil && !p.closed
	if keep {
		p.idle = append(p.idle, l.sess)
	}
	p.mu.Unlock()
	if !keep && l.sess != nil {
		l.sess.Close()
	}
	l.sess = nil
	<-p.slots
	p.leases.Done()
}
