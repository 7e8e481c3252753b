package checks

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/interleave"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"go.yaml.in/yaml/v3"
)

// serializableOn runs a serializable check of the student's file from a
// starting state on env's server.
func serializableOn(t *testing.T, env *Env, check string, given State, student string) Result {
	t.Helper()
	c := decodeSerializable(t, check)
	env.Restart = func(ctx context.Context) error {
		if err := restoreKeys(ctx, env.Admin, given); err != nil {
			return err
		}
		return env.Admin.ConfigResetStat(ctx).Err()
	}
	env.Sent = lines(student)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Evaluate(ctx, env)
}

func decodeSerializable(t *testing.T, text string) *SerializableCheck {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatal(err)
	}
	d := &yamlstrict.Decoder{File: "spec.yaml"}
	var l List
	d.Decode(n.Content[0], &l)
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	return l[0].(*SerializableCheck)
}

const twoClients = "- serializable: {clients: 2}\n"

// Two INCRs sent as two commands are not serializable: the timeline shows
// the other client between them. In MULTI/EXEC, or in one EVAL, they are.
func TestSerializable(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			env := serverEnv(t, kind)
			r := serializableOn(t, env, twoClients, nil, "INCR a\nINCR b\n")
			want := "client A: INCR a                 -> 1\n" +
				"client B: INCR a                 -> 2\n" +
				"client B: INCR b                 -> 1\n" +
				"client A: INCR b                 -> 2\n" +
				"every order of client A and client B one after the other leaves these keys, but none gives these replies: one client saw what another was half way through"
			if r.Passed || r.Message != want {
				t.Fatalf("INCR a, INCR b: passed %v, message:\n%s\nwant:\n%s", r.Passed, r.Message, want)
			}
			if r.Shape != "not serializable (replies): A1 B1 B2 A2" {
				t.Errorf("shape %q", r.Shape)
			}
			if !strings.Contains(r.Expected, "client A then client B: ") || !strings.Contains(r.Expected, "client A got 1, 1; client B got 2, 2") {
				t.Errorf("expected (the serial outcomes) %q", r.Expected)
			}
			for _, ok := range []string{"MULTI\nINCR a\nINCR b\nEXEC\n", `EVAL "redis.call('INCR', 'a') return redis.call('INCR', 'b')" 0` + "\n", "GET a\nGET b\n"} {
				if r := serializableOn(t, env, twoClients, nil, ok); !r.Passed {
					t.Errorf("%q is serializable: %s", ok, r.Message)
				}
			}
			if r := serializableOn(t, env, "- serializable: {clients: 3}\n", nil, "MULTI\nINCR a\nINCR b\nEXEC\n"); !r.Passed {
				t.Errorf("three clients of a transaction: %s", r.Message)
			}
		})
	}
}

// A WATCH that refuses a transaction makes it not run: the interleaving is
// a serial order of the files without it. A read before the write without
// WATCH is not serializable.
func TestSerializableWatch(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	seats := strState("seats", "3")
	other := "- serializable: {with: \"DECR seats\\n\"}\n"
	book := "WATCH seats\nGET seats\nMULTI\nDECR seats\nSADD booked ann\nEXEC\n"
	if r := serializableOn(t, env, other, seats, book); !r.Passed {
		t.Fatalf("WATCH, GET, MULTI ... EXEC beside another buyer: %s", r.Message)
	}
	if r := serializableOn(t, env, twoClients, seats, book); !r.Passed {
		t.Fatalf("two buyers with WATCH: %s", r.Message)
	}
	r := serializableOn(t, env, other, seats, "GET seats\nMULTI\nDECR seats\nSADD booked ann\nEXEC\n")
	if r.Passed || !strings.HasPrefix(r.Message, "you: GET seats") || !strings.Contains(r.Message, "the other client: DECR seats") {
		t.Fatalf("no WATCH: passed %v:\n%s", r.Passed, r.Message)
	}
}

// The verdict and the counterexample are the same on every run.
func TestSerializableIsDeterministic(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	first := serializableOn(t, env, twoClients, strState("seats", "1"), "GET seats\nDECR seats\n")
	for range 5 {
		r := serializableOn(t, env, twoClients, strState("seats", "1"), "GET seats\nDECR seats\n")
		if r.Passed || r.Message != first.Message || r.Shape != first.Shape {
			t.Fatalf("another run:\n%s\nfirst:\n%s", r.Message, first.Message)
		}
	}
}

// A read after the client's last write (a look at the work) decides
// nothing: what it sees depends on the other client's timing, and it does
// not fail the check. A read the write depends on still counts, and the
// other client's reads (the spec's observer) always do.
func TestSerializableTrailingReads(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	seats := strState("seats", "3")
	other := "- serializable: {with: \"DECR seats\\n\"}\n"
	book := "WATCH seats\nGET seats\nMULTI\nDECR seats\nSADD booked ann\nEXEC\nGET seats\nSMEMBERS booked\n"
	if r := serializableOn(t, env, other, seats, book); !r.Passed {
		t.Fatalf("a booking that looks at the seats afterwards: %s", r.Message)
	}
	if r := serializableOn(t, env, twoClients, nil, "INCR a\nINCR b\nGET a\nGET b\n"); r.Passed {
		t.Fatal("reads at the end do not make INCR a, INCR b serializable")
	}
	observer := "- serializable: {with: \"MGET a b\\n\"}\n"
	if r := serializableOn(t, env, observer, strState("a", "0", "b", "0"), "INCR a\nINCR b\n"); r.Passed {
		t.Fatal("an observer that reads both between the two INCRs sees them torn")
	}
	// A look before a script that checks for itself decides nothing; before a
	// plain write, it stands for what the client decided on.
	lock := strState("lock", "token-a")
	taker := "- serializable: {with: \"SET lock token-b\\n\"}\n"
	release := `EVAL "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0" 1 lock token-a` + "\n"
	if r := serializableOn(t, env, taker, lock, "GET lock\n"+release); !r.Passed {
		t.Fatalf("a look at the lock before its atomic release: %s", r.Message)
	}
	if r := serializableOn(t, env, taker, lock, "GET lock\nDEL lock\n"); r.Passed {
		t.Fatal("GET then DEL deletes a lock taken in between, and passes")
	}
}

// A transaction WATCH refused is left out of the comparison, and so are the
// reads since its WATCH, which decided only it.
func TestSerializableDropsWhatARefusalDecided(t *testing.T) {
	cmds := lines("WATCH seats\nGET seats\nMULTI\nDECR seats\nEXEC\nGET seats\n")
	units := []unit{
		{cmds: cmds[0:1], info: interleave.Unit{Keys: []string{"seats"}, ReadOnly: true}},
		{cmds: cmds[1:2], info: interleave.Unit{Keys: []string{"seats"}, ReadOnly: true}},
		{cmds: cmds[2:5], info: interleave.Unit{Keys: []string{"seats"}}},
		{cmds: cmds[5:6], info: interleave.Unit{Keys: []string{"seats"}, ReadOnly: true}},
	}
	r := &runner{clients: [][]unit{units}, observer: []bool{false}}
	o := outcome{replies: [][][]Value{{{Str("OK")}, {Str("2")}, {Str("OK"), Str("QUEUED"), {Type: Nil}}, {Str("1")}}}}
	drop := r.dropped(o)
	if want := []bool{false, true, true, false}; !slices.Equal(drop[0], want) {
		t.Errorf("dropped %v, want the read since the WATCH and the refused transaction: %v", drop[0], want)
	}
	o.replies[0][2][2] = Arr(Int(1)) // EXEC ran
	if drop := r.dropped(o); slices.Contains(drop[0], true) {
		t.Errorf("a transaction that ran drops nothing: %v", drop[0])
	}
}
