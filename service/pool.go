package service

import (
	"context"
	"errors"
	"sync"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// ErrPoolClosed is returned by Pool.Grade after Close.
var ErrPoolClosed = errors.New("the grader is shutting down")

// Pool runs at most size gradings at once, each on a warm grader.Session.
// Sessions are created when first needed and reused: every case starts from
// a proven reset, so one submission cannot see another's keys. A session
// whose grading failed (an infrastructure error, or a grading cut short) is
// closed, and a fresh one is started for the next submission.
type Pool struct {
	eng   engine.Engine
	slots chan struct{}

	mu       sync.Mutex
	idle     []*grader.Session
	closed   bool
	busy     int
	started  int
	replaced int
}

// PoolStats counts what a pool did.
type PoolStats struct {
	Busy     int // gradings running now
	Idle     int // warm sessions waiting
	Started  int // sessions started in all
	Replaced int // sessions closed after a failed grading
}

// NewPool returns a pool of at most size sessions on eng.
func NewPool(eng engine.Engine, size int) *Pool {
	return &Pool{eng: eng, slots: make(chan struct{}, max(size, 1))}
}

// Grade waits for a free session (or for ctx), then grades on it. hook, if
// not nil, runs once a session slot is held, before grading, with the
// grading's context.
func (p *Pool) Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts grader.Options, hook func(context.Context)) (*report.Report, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slots }()
	sess, err := p.take(ctx)
	if err != nil {
		return nil, err
	}
	if hook != nil {
		hook(ctx)
	}
	rep, err := sess.Grade(ctx, ex, sub, opts)
	p.put(sess, err != nil)
	return rep, err
}

// take returns an idle session or starts one.
func (p *Pool) take(ctx context.Context) (*grader.Session, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrPoolClosed
	}
	p.busy++
	if n := len(p.idle); n > 0 {
		sess := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return sess, nil
	}
	p.started++
	p.mu.Unlock()
	sess, err := grader.NewSession(ctx, p.eng)
	if err != nil {
		p.mu.Lock()
		p.busy--
		p.mu.Unlock()
		return nil, err
	}
	return sess, nil
}

// put returns a session, or closes it when broken or the pool is closed.
func (p *Pool) put(sess *grader.Session, broken bool) {
	p.mu.Lock()
	p.busy--
	if broken {
		p.replaced++
	}
	if broken || p.closed {
		p.mu.Unlock()
		sess.Close()
		return
	}
	p.idle = append(p.idle, sess)
	p.mu.Unlock()
}

// Stats reports the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Busy: p.busy, Idle: len(p.idle), Started: p.started, Replaced: p.replaced}
}

// Close closes the idle sessions; sessions in use are closed when their
// grading ends. Grade fails with ErrPoolClosed afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, s := range idle {
		s.Close()
	}
}
