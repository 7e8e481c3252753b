package grader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// A connection the server closed stays closed: the next command fails with
// errConnClosed instead of go-redis dialing a new connection, and the
// client is not kept for the next case.
func TestStudentConnectionIsNeverRedialed(t *testing.T) {
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			var dials atomic.Int64
			sess, err := NewSession(context.Background(), countDials(testEngine(t, kind), &dials))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			ctx := context.Background()
			conn := sess.students.acquire()
			if err := conn.Do(ctx, "QUIT").Err(); err != nil {
				t.Fatalf("QUIT: %v", err)
			}
			err = conn.Do(ctx, "SET", "sales", "0").Err()
			if !errors.Is(err, errConnClosed) {
				t.Errorf("a command after QUIT: %v, want errConnClosed", err)
			}
			if n := dials.Load(); n != 1 {
				t.Errorf("%d dials, want 1", n)
			}
			sess.students.put(conn)
			if n := len(sess.students.idle); n != 0 {
				t.Errorf("%d connections kept; a closed one must not be", n)
			}
			if n, _ := sess.admin.Exists(ctx, "sales").Result(); n != 0 {
				t.Error("the command after QUIT ran")
			}
		})
	}
}

// `1 QUIT` (a repeat count, so redis-cli sends it) in the middle of a file
// gives the same verdict on every run: the commands after it never run, and
// the step says so.
func TestQuitMidFileIsDeterministic(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	files := correctFiles(t)
	files["step1.redis"] = "SET stock 100\n1 QUIT\nSET sales 0\n"
	sub, err := submissions.Open(writeSubmission(t, files))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			sess, err := NewSession(context.Background(), testEngine(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			for run := range 5 {
				rep, err := sess.Grade(context.Background(), ex, sub, Options{})
				if err != nil {
					t.Fatal(err)
				}
				st := rep.Steps[0]
				if st.Passed || !rep.Steps[1].Passed {
					t.Fatalf("run %d: setup passed=%v, script passed=%v; want setup failed only\n%s", run, st.Passed, rep.Steps[1].Passed, failures(st))
				}
				want := "step1.redis:3 (SET) never ran: the server had closed the connection after step1.redis:2 (QUIT)"
				if !strings.Contains(failures(st), want) {
					t.Fatalf("run %d: the failure should say %q:\n%s", run, want, failures(st))
				}
			}
		})
	}
}

// replyScript returns n integers 1 from one script: 4 bytes each (":1\r\n").
func replyScript(n int) string {
	return "local t = {} for i = 1, " + strconv.Itoa(n) + " do t[i] = 1 end return t"
}

// A reply past the bounds fails its step "reply too large" on every
// engine, and the next case and submission grade as usual.
func TestReplyTooLargeFailsItsStep(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			sess, err := NewSession(context.Background(), testEngine(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			for _, tt := range []struct{ name, script string }{
				{"elements", replyScript(MaxReplyElements + 1)},
				{"bytes", "redis.call('DECR', 'stock') redis.call('INCR', 'sales') return string.rep('x', " + strconv.Itoa(MaxReplyBytes+1) + ")"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					files := correctFiles(t)
					files["step4.lua"] = tt.script
					sub, err := submissions.Open(writeSubmission(t, files))
					if err != nil {
						t.Fatal(err)
					}
					rep, err := sess.Grade(context.Background(), ex, sub, Options{Timeout: 10 * time.Second})
					if err != nil {
						t.Fatalf("the grader failed instead of the student: %v", err)
					}
					st := rep.Steps[3]
					if st.Passed || !rep.Steps[2].Passed {
						t.Fatalf("step 4 should fail and step 3 pass:\n%s", failures(st))
					}
					if !strings.Contains(failures(st), "step4.lua (EVAL of the script): reply too large") {
						t.Errorf("the failure should say the reply is too large:\n%s", failures(st))
					}
				})
			}
		})
	}
}

// One grading takes bounded memory whatever the student's reply: 3.9
// million integers in one 15.6 MB reply (under Redis's 16 MiB output limit)
// cost about 800 MB of grader heap when go-redis parsed it whole; the
// largest reply the bounds let through, in each of step 4's three cases,
// costs far less. Counted as all the bytes allocated while grading the
// submission, an upper bound on how much the heap can grow.
func TestHugeReplyCostsBoundedMemory(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	const bound = 64 << 20 // README: the most one grading allocates
	for _, tt := range []struct {
		name, script, message string
	}{
		{"3.9 million integers", replyScript(3900000), "reply too large"},
		{"the most elements allowed", replyScript(MaxReplyElements), "the reply was [1, 1, 1"},
		{"the most bytes allowed", "return string.rep('x', " + strconv.Itoa(MaxReplyBytes-16) + ")", "the reply was \"xxx"},
	} {
		files := correctFiles(t)
		files["step4.lua"] = tt.script
		sub, err := submissions.Open(writeSubmission(t, files))
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rep, err := sess.Grade(context.Background(), ex, sub, Options{Timeout: 20 * time.Second})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Steps[3].Passed || !strings.Contains(failures(rep.Steps[3]), tt.message) {
			t.Fatalf("%s: step 4 should fail saying %q:\n%s", tt.name, tt.message, clipFailures(rep.Steps[3]))
		}
		got := after.TotalAlloc - before.TotalAlloc
		if got > bound {
			t.Errorf("%s: grading allocated %d MB; want at most %d MB", tt.name, got>>20, bound>>20)
		}
		t.Logf("%s: grading allocated %.1f MB", tt.name, float64(got)/(1<<20))
	}
}

// clipFailures is failures cut for a test log.
func clipFailures(st report.Step) string {
	f := failures(st)
	if len(f) > 2000 {
		return f[:2000] + "…"
	}
	return f
}

// The case's time limit ends a student's command, not go-redis's own read
// timeout: a runaway script and a command blocked forever both end within a
// bound the limit sets, on every engine.
func TestCaseTimeLimitEndsCommands(t *testing.T) {
	const limit = 300 * time.Millisecond
	// Generous for a loaded machine, and still well under go-redis's own 3s
	// read timeout, and under forever.
	const bound = 3*limit + time.Second
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			sess, err := NewSession(context.Background(), testEngine(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			for _, tt := range []struct{ name, cmd string }{
				{"runaway script", `EVAL "while true do end" 0`},
				{"blocked forever", "BLPOP nothing 0"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					cmds, err := submissions.ParseCommands("step.redis", tt.cmd)
					if err != nil {
						t.Fatal(err)
					}
					g := &grading{sess: sess}
					sess.students.setLimit(limit)
					// Without a limit of its own, the test stops it after 10s.
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					began := time.Now()
					_, _, err = g.send(ctx, cmds, limit, checks.ReadPlan{})
					took := time.Since(began)
					if err == nil || isConnLost(err) {
						t.Fatalf("%s: %v, want a timeout", tt.cmd, err)
					}
					if took < limit-50*time.Millisecond || took > bound {
						t.Errorf("%s ended after %s; the limit is %s (want %s to %s)", tt.cmd, took.Round(time.Millisecond), limit, limit, bound)
					}
					if _, err := sess.recover(context.Background()); err != nil {
						t.Fatal(err)
					}
				})
			}
		})
	}
}

// Replies within the bound for one reply still add up: a case keeps at most
// MaxKeptReplies of them, and a file past that fails, saying so.
func TestKeptRepliesAreBounded(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	files := correctFiles(t)
	// 12 replies of 1 MB: each under MaxReplyBytes, 12 MB in all.
	files["step1.redis"] = "SET stock 100\nSET sales 0\nSET big " + strings.Repeat("x", 1000000) + "\n12 GET big\n"
	sub, err := submissions.Open(writeSubmission(t, files))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Grade(context.Background(), ex, sub, testEngine(t, engine.KindProcess), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "step1.redis:4 (GET): replies too large: the grader keeps at most 8,388,608 bytes of one case's replies"
	if rep.Steps[0].Passed || !strings.Contains(failures(rep.Steps[0]), want) {
		t.Errorf("step 1 should fail saying %q:\n%s", want, clipFailures(rep.Steps[0]))
	}
}

// redis-cli's own commands are never sent, and the step's feedback says
// what redis-cli does with them.
func TestRedisCliLocalCommands(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		step1, note, message string
		pass                 bool
	}{
		{"SET stock 100\nquit\nSET sales 0\n", "quit on line 2: redis-cli stops there, so line 3 never ran", "key sales does not exist", false},
		{"SET stock 100\nSET sales 0\nEXIT\n# end\nGET stock\nGET sales\n", "EXIT on line 3: redis-cli stops there, so lines 4-6 never ran", "", true},
		{"help\nSET stock 100\n? SET\nSET sales 0\n", "help on line 1 is redis-cli's own help: it is never sent to Redis; ? on line 3 is redis-cli's own help: it is never sent to Redis", "", true},
		{"quit\nSET stock 100\nSET sales 0\n", "", "step1.redis sends no command to Redis: quit on line 1: redis-cli stops there, so lines 2-3 never ran", false},
	} {
		files := correctFiles(t)
		files["step1.redis"] = tt.step1
		sub, err := submissions.Open(writeSubmission(t, files))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Grade(context.Background(), ex, sub, testEngine(t, engine.KindProcess), Options{})
		if err != nil {
			t.Fatal(err)
		}
		st := rep.Steps[0]
		if st.Passed != tt.pass || st.Note != tt.note || (tt.message != "" && !strings.Contains(failures(st), tt.message)) {
			t.Errorf("%q: passed %v, note %q\n%s\nwant passed %v, note %q, failure %q", tt.step1, st.Passed, st.Note, failures(st), tt.pass, tt.note, tt.message)
		}
	}
}

// The keys shown in feedback are read with bounds: a 20 MB value by its
// size and beginning, a 17 MB key name by its length (each past Redis's
// 16 MiB output limit).
func TestKeyspaceIsBounded(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			sess, err := NewSession(context.Background(), testEngine(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			ctx := context.Background()
			if err := sess.admin.SetRange(ctx, "stock", 20000000, "x").Err(); err != nil {
				t.Fatal(err)
			}
			if err := sess.admin.Set(ctx, strings.Repeat("k", 17000000), "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			got := keyspace(ctx, sess.admin)
			for _, want := range []string{`stock (string) "\x00\x00`, "(20,000,001 bytes)", `"kkkk`, "(a 17,000,000-byte name)"} {
				if !strings.Contains(got, want) {
					t.Errorf("the keys shown should include %q:\n%s", want, clip.Text(got, 2000))
				}
			}
		})
	}
}

// The connections the grader ends itself are never taken for a server that
// went away: on a loaded machine the server may still be writing the reply
// the grader cut, and a slow PING then made "reply too large" read as "the
// server stopped twice".
func TestBoundsAreNotLostConnections(t *testing.T) {
	for _, err := range []error{errReplyTooLarge, errRepliesTooLarge, errConnClosed} {
		if isConnLost(fmt.Errorf("read: %w", err)) {
			t.Errorf("isConnLost(%v) = true; the grader ended that connection", err)
		}
	}
	if !isConnLost(io.EOF) {
		t.Error("isConnLost(EOF) = false; a server that closed the connection lost it")
	}
}
