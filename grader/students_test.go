package grader

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

// countDials counts the student connections eng's servers open.
func countDials(eng engine.Engine, dials *atomic.Int64) engine.Engine {
	return &studentOptsEngine{Engine: eng, edit: func(_ engine.Server, opts *redis.Options) {
		var d net.Dialer
		opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		}
	}}
}

// A warm session opens the student's connections once: never more than the
// most a grading uses at the same time (the probe's 8 clients and its
// watcher), however many gradings it runs; without reuse, each grading
// opened 19.
func TestStudentConnectionsAreReused(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := submissions.Open(writeSubmission(t, correctFiles(t)))
	if err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int64
	sess, err := NewSession(context.Background(), countDials(testEngine(t, engine.KindProcess), &dials))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	const gradings = 6
	for i := range gradings {
		rep, err := sess.Grade(context.Background(), ex, sub, Options{})
		if err != nil || !rep.Passed() {
			t.Fatalf("grading %d: %v", i+1, err)
		}
	}
	if n := dials.Load(); n > 9 {
		t.Errorf("%d gradings opened %d student connections; want at most 9", gradings, n)
	}
}

// A student who changes their connection (a database, a name, an open
// transaction, a subscription) leaves nothing to the next case or student:
// every connection the session keeps looks like a new one, and the next
// submission grades as on a fresh server.
func TestReusedConnectionsLookNew(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	hostile := correctFiles(t)
	hostile["step1.redis"] = "SELECT 3\nCLIENT SETNAME mallory\nSET stock 100\nMULTI\nSET sales 0\n"
	hostile["step3.redis"] = "SUBSCRIBE news\n"
	bad, err := submissions.Open(writeSubmission(t, hostile))
	if err != nil {
		t.Fatal(err)
	}
	good, err := submissions.Open(writeSubmission(t, correctFiles(t)))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	ctx := context.Background()
	rep, err := sess.Grade(ctx, ex, bad, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps[0].Passed || rep.Steps[2].Passed {
		t.Errorf("the hostile steps 1 and 3 should fail")
	}

	// Take every kept connection at once, and look at each.
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for range maxIdleStudents {
		conn, release := sess.student()
		releases = append(releases, release)
		name, err := conn.ClientGetName(ctx).Result()
		if err != redis.Nil {
			t.Errorf("a kept connection is named %q (%v); want no name", name, err)
		}
		info, err := conn.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if info.DB != 0 || info.Multi != -1 || info.Sub != 0 || info.PSub != 0 || info.User != engine.StudentUser {
			t.Errorf("a kept connection is not as new: db %d, multi %d, sub %d, psub %d, user %s", info.DB, info.Multi, info.Sub, info.PSub, info.User)
		}
	}
	for _, r := range releases {
		r()
	}
	releases = nil

	rep, err = sess.Grade(ctx, ex, good, Options{})
	if err != nil || !rep.Passed() {
		t.Errorf("the next submission on the same session should pass: %v", err)
		for _, s := range rep.Steps {
			t.Log(failures(s))
		}
	}
}

// A kept connection takes the limit of what runs next without a new dial:
// the case's own limit, then the larger budget of an atomicity probe,
// whose clients wait on each other (under load, a correct step's probe
// timed out at the case's limit).
func TestKeptConnectionsTakeTheNextLimit(t *testing.T) {
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	use := func(limit time.Duration, cmd ...any) (*redis.Client, time.Duration, error) {
		sess.students.setLimit(limit)
		conn, release := sess.student()
		defer release()
		began := time.Now()
		err := conn.Do(context.Background(), cmd...).Err()
		return conn, time.Since(began), err
	}
	first, _, err := use(100*time.Millisecond, "EXISTS", "nothing")
	if err != nil {
		t.Fatal(err)
	}
	// The same connection, now allowed 5s: a 300ms block is within it.
	conn, _, err := use(5*time.Second, "BLPOP", "nothing", "0.3")
	if conn != first {
		t.Fatal("the connection was not kept")
	}
	if err != redis.Nil {
		t.Fatalf("BLPOP 0.3 under a 5s limit: %v, want a nil reply", err)
	}
	// And back to 100ms: the block is cut there, not at BLPOP's 2s.
	conn, took, err := use(100*time.Millisecond, "BLPOP", "nothing", "2")
	if conn != first {
		t.Fatal("the connection was not kept")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("BLPOP 2 under a 100ms limit: %v, want a timeout", err)
	}
	if took >= 2*time.Second {
		t.Errorf("BLPOP 2 under a 100ms limit ended after %s: the limit was not applied", took)
	}
}
