package grader

import (
	"context"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

// A step that expects an error reply (multi-exec-transfer's queued-error:
// INCRBY missing its amount, refused while queuing) excuses that error, of
// that command, and no other: a DECRBY refused the same way fails the step,
// though its error starts with the same words.
func TestExpectedErrorExcusesOnlyItself(t *testing.T) {
	ex, err := exercises.Load("multi-exec-transfer")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for _, tt := range []struct {
		name, step3, msg string // msg "": the step passes
	}{
		{"the reference", ex.Reference["step3.redis"], ""},
		{"DECRBY refused too", "MULTI\nDECRBY balance:alice\nINCRBY balance:bob\nEXEC\n",
			"step3.redis:2: DECRBY returned (error) ERR wrong number of arguments for 'decrby' command"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			for name, text := range ex.Reference {
				files[name] = []byte(text)
			}
			files["step3.redis"] = []byte(tt.step3)
			sub, err := submissions.OpenFiles("s", files)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := sess.Grade(context.Background(), ex, sub, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range rep.Steps {
				if st.ID != "queued-error" {
					continue
				}
				if st.Passed != (tt.msg == "") || !strings.Contains(failures(st), tt.msg) {
					t.Errorf("step %s passed %v, want %v, saying %q:\n%s", st.ID, st.Passed, tt.msg == "", tt.msg, failures(st))
				}
				return
			}
			t.Fatal("no step queued-error")
		})
	}
}
