package grader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// adminTimeout bounds each call the grader makes for itself.
const adminTimeout = 5 * time.Second

// Session owns one server and grades submissions on it, one at a time. A
// batch worker or a watching student keeps one warm across many
// submissions: every case starts from a reset, proven to look like a fresh
// server, and a server a student's code left stuck or dead is replaced.
type Session struct {
	eng      engine.Engine
	srv      engine.Server
	admin    *redis.Client
	students *studentConns // the student's connections to srv, kept between cases
}

// NewSession starts a server on eng. Its error is an *InfraError.
func NewSession(ctx context.Context, eng engine.Engine) (*Session, error) {
	s := &Session{eng: eng}
	if err := s.start(ctx); err != nil {
		return nil, &InfraError{Err: err}
	}
	return s, nil
}

// Info describes the server the session grades on.
func (s *Session) Info() engine.Info { return s.srv.Info() }

func (s *Session) start(ctx context.Context) error {
	srv, err := s.eng.Start(ctx)
	if err != nil {
		return fmt.Errorf("start %s engine: %w", s.eng.Kind(), err)
	}
	opts := srv.Options()
	opts.PoolSize = 4
	opts.MaxRetries = -1   // a retried command could run twice
	opts.DialerRetries = 1 // a server that refuses a dial is dead: no backoff
	admin := redis.NewClient(opts)
	students, err := newStudentConns(ctx, srv, admin)
	if err != nil {
		admin.Close()
		srv.Close()
		return fmt.Errorf("start %s engine: %w", s.eng.Kind(), err)
	}
	s.srv, s.admin, s.students = srv, admin, students
	return nil
}

// replace throws the server away and starts a fresh one. The student's
// deadline does not bound it (it is the grader's own work, bounded by the
// engine's start timeout), so that a submission that ran out of time still
// leaves a working server behind.
func (s *Session) replace(ctx context.Context) error {
	s.Close()
	return s.start(context.WithoutCancel(ctx))
}

// Close stops the server. The session cannot grade afterwards.
func (s *Session) Close() {
	if s.students != nil {
		s.students.close()
	}
	if s.admin != nil {
		s.admin.Close()
	}
	if s.srv != nil {
		s.srv.Close()
	}
	s.srv, s.admin, s.students = nil, nil, nil
}

// Grade grades one submission on the session's server. A failing step
// that fails the way exactly one of the spec's mutants fails it (the same
// fingerprint) is named as that known mistake.
func (sess *Session) Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts Options) (*report.Report, error) {
	g, err := sess.grade(ctx, ex, sub, opts)
	if err != nil {
		return nil, err
	}
	if g.rep.Failed() == 0 || len(ex.Mutants) == 0 || len(ex.Reference) == 0 {
		return g.rep, nil
	}
	// Naming is on top of the verdict, never in its place: when the known
	// mistakes cannot be had (the deadline came first, a mutant would not
	// open, the server failed under them), the student keeps the verdict,
	// unnamed, and the next grading tries them again (a failure is not
	// cached). The next case's reset recovers a server left broken.
	if known, err := KnownMistakes(ctx, sess, ex); err == nil {
		known.name(g)
	}
	return g.rep, nil
}

// student gives a connection as the student (see studentConns); release
// hands it back.
func (s *Session) student() (conn *redis.Client, release func()) { return s.students.get() }

// prepare gives a case a clean server holding just its starting state, with
// command statistics zeroed after the state was written: one round trip.
func (s *Session) prepare(ctx context.Context, given checks.State) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	if err := s.srv.Reset(ctx, given.Commands()...); err != nil {
		return fmt.Errorf("reset the server: %w", err)
	}
	return nil
}

// snapshot reads what the checks read (the command statistics since prepare,
// the keys they name) in one round trip.
func (s *Session) snapshot(ctx context.Context, r checks.ReadPlan) (*checks.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	return r.Read(ctx, s.admin)
}

// healthy reports whether the server answers at once.
func (s *Session) healthy(ctx context.Context) bool {
	// A live server answers PING in well under a millisecond; a busy
	// script or a dead server does not answer at all.
	if s.admin == nil {
		return false // an earlier replacement failed
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	return s.admin.Ping(ctx).Err() == nil
}

// recovery says what it took to get a usable server back.
type recovery int

const (
	wasHealthy recovery = iota
	killedScript
	replacedServer
)

// recover makes the server usable again after a timeout or a lost
// connection: a running script is killed where Redis allows it, and a server
// that still does not answer (a script that already wrote, a command stuck
// in C, a server that exited) is replaced.
func (s *Session) recover(ctx context.Context) (recovery, error) {
	if s.healthy(ctx) {
		return wasHealthy, nil
	}
	if s.srv == nil || s.srv.Info().Emulator {
		// miniredis cannot interrupt a script: only a new server helps.
		if err := s.replace(ctx); err != nil {
			return replacedServer, err
		}
		return replacedServer, nil
	}
	kctx, cancel := context.WithTimeout(ctx, time.Second)
	err := s.admin.ScriptKill(kctx).Err()
	if redis.HasErrorPrefix(err, "NOTBUSY") {
		// Not a script: perhaps a function (FCALL).
		err = s.admin.Do(kctx, "FUNCTION", "KILL").Err()
	}
	cancel()
	// UNKILLABLE (the script already wrote) and a server that does not
	// answer at all both end in a replacement below.
	if err == nil {
		// SCRIPT KILL returns before the script has unwound; give it a moment.
		for i := 0; i < 10; i++ {
			if s.healthy(ctx) {
				return killedScript, nil
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := s.replace(ctx); err != nil {
		return replacedServer, err
	}
	return replacedServer, nil
}

// isConnLost tells a broken connection from a timeout, and from a
// connection the grader itself ended (a reply past its bounds, a file that
// went on after the server closed it): those are the student's, whatever the
// server does next. A server still busy writing the reply the grader cut
// may be slow to answer a PING on a loaded machine; it was not lost.
func isConnLost(err error) bool {
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, errReplyTooLarge) || errors.Is(err, errRepliesTooLarge) || errors.Is(err, errConnClosed) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true
}
