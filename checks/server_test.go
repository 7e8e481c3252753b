package checks

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/atomicity"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/submissions"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

// serverEnv starts a real server of the given kind and returns an Env wired
// to it, as the grader would build one.
func serverEnv(t *testing.T, kind string) *Env {
	t.Helper()
	eng, _, err := engine.New(t.Context(), kind, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := eng.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(srv.Options())
	t.Cleanup(func() { admin.Close(); srv.Close() })
	return &Env{
		File:    "step3.redis",
		Admin:   admin,
		Connect: atomicity.Dial(srv.Options()),
	}
}

func TestKeyCheck(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ctx := context.Background()
	if err := restoreKeys(ctx, env.Admin, strState("stock", "99")); err != nil {
		t.Fatal(err)
	}
	env.Admin.RPush(ctx, "list", "x")
	tests := []struct {
		check KeyCheck
		pass  bool
		msg   string
	}{
		{KeyCheck{Key: "stock", Equals: ptr("99")}, true, ""},
		{KeyCheck{Key: "stock", Equals: ptr("100")}, false, `key stock is "99"`},
		{KeyCheck{Key: "sales", Equals: ptr("1")}, false, "key sales does not exist"},
		{KeyCheck{Key: "sales", Absent: true}, true, ""},
		{KeyCheck{Key: "stock", Absent: true}, false, "key stock exists (a string)"},
		{KeyCheck{Key: "list", Equals: ptr("x")}, false, "key list holds a list, not a string"},
	}
	for _, tt := range tests {
		r := tt.check.Evaluate(ctx, env)
		if r.Passed != tt.pass || r.Message != tt.msg {
			t.Errorf("%s: got %v %q, want %v %q", tt.check.Name(), r.Passed, r.Message, tt.pass, tt.msg)
		}
	}
}

func TestChangeCheck(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ctx := context.Background()
	env.Given = strState("stock", "7", "sales", "3")
	c := &ChangeCheck{Change: Counts{{"stock", -1}, {"sales", 1}}}
	if got := c.Name(); got != "changes stock -1, sales +1" {
		t.Errorf("name = %q", got)
	}
	if err := restoreKeys(ctx, env.Admin, strState("stock", "6", "sales", "4")); err != nil {
		t.Fatal(err)
	}
	if r := c.Evaluate(ctx, env); !r.Passed {
		t.Errorf("6/4 from 7/3 should pass: %s", r.Message)
	}
	if err := restoreKeys(ctx, env.Admin, strState("stock", "99", "sales", "1")); err != nil {
		t.Fatal(err)
	}
	r := c.Evaluate(ctx, env)
	want := "from stock=7 sales=3: stock went from 7 to 99 (+92), expected 6 (-1); sales went from 3 to 1 (-2), expected 4 (+1)"
	if r.Passed || r.Message != want {
		t.Errorf("got %v %q\nwant %q", r.Passed, r.Message, want)
	}
	if err := restoreKeys(ctx, env.Admin, strState("stock", "lots")); err != nil {
		t.Fatal(err)
	}
	if r := c.Evaluate(ctx, env); r.Passed || !strings.Contains(r.Message, `key stock is "lots", not an integer`) {
		t.Errorf("non-integer: %q", r.Message)
	}
}

var atomicEval = submissions.Command{Line: 1, Args: []string{"EVAL", "redis.call('DECR','stock') redis.call('INCR','sales')", "0"}}

// The probe passes a script and catches the same update sent as two
// commands: a reader sees stock lowered before sales is raised.
// keepsConnection stands in for the grader's list of commands that change
// their connection: with it, a one-command update is pipelined.
func keepsConnection(c submissions.Command) bool {
	switch c.Name() {
	case "MULTI", "EXEC", "SELECT", "SUBSCRIBE", "CLIENT":
		return false
	}
	return true
}

// probeModes runs f with the probe sending a one-command update one run at
// a time (as on the emulator) and pipelined (as on a real server).
func probeModes(t *testing.T, f func(t *testing.T, kind string, env *Env)) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		for _, mode := range []string{"one-at-a-time", "pipelined"} {
			t.Run(kind+"/"+mode, func(t *testing.T) {
				env := serverEnv(t, kind)
				if mode == "pipelined" {
					env.KeepsConnection = keepsConnection
				}
				f(t, kind, env)
			})
		}
	}
}

func TestAtomicProbe(t *testing.T) {
	probeModes(t, func(t *testing.T, kind string, env *Env) {
		{
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := &AtomicCheck{Keys: []string{"stock", "sales"}, Clients: 8, Runs: 200, From: strState("stock", "1000", "sales", "0")}

			env.Sent = []submissions.Command{atomicEval}
			r := c.Evaluate(ctx, env)
			if !r.Passed {
				t.Fatalf("the script should pass: %s", r.Message)
			}
			for _, want := range []string{"200 runs of EVAL from 8 clients", "MGET samples", "stock=800 sales=200"} {
				if !strings.Contains(r.Message, want) {
					t.Errorf("a pass should say what it saw (%q): %s", want, r.Message)
				}
			}
			samples, inconsistent := sampleCounts(t, r)
			if inconsistent != 0 {
				t.Errorf("a script: %d inconsistent samples, want 0", inconsistent)
			}
			// Pipelined, every run is followed by an MGET on its own
			// connection, besides the watcher's.
			if env.KeepsConnection != nil && samples < int64(c.Runs) {
				t.Errorf("pipelined: %d samples for %d runs; want one after each run at least", samples, c.Runs)
			}

			env.Sent = []submissions.Command{
				{Line: 1, Args: []string{"DECR", "stock"}},
				{Line: 2, Args: []string{"INCR", "sales"}},
			}
			r = c.Evaluate(ctx, env)
			if r.Passed || !strings.Contains(r.Message, "≠ 1000") || !strings.Contains(r.Message, "not atomic") {
				t.Errorf("two commands should be caught half-way: %v %s", r.Passed, r.Message)
			}
			samples, inconsistent = sampleCounts(t, r)
			if inconsistent > samples || !strings.Contains(r.Message, words.Thousands(inconsistent)+" of them saw it too") {
				t.Errorf("two commands: %d inconsistent of %d samples, and the message must agree: %s", inconsistent, samples, r.Message)
			}

			// A script that only raises sales breaks the sum from the first
			// run on: pipelined, each run's own sample sees it.
			env.Sent = []submissions.Command{{Line: 1, Args: []string{"EVAL", "redis.call('INCR','sales')", "0"}}}
			r = c.Evaluate(ctx, env)
			samples, inconsistent = sampleCounts(t, r)
			if r.Passed || inconsistent > samples || !strings.Contains(r.Message, words.Thousands(inconsistent)+" of them saw stock + sales ≠ 1000") {
				t.Errorf("INCR alone: %d inconsistent of %d samples, and the message must agree: %v %s", inconsistent, samples, r.Passed, r.Message)
			}
			if env.KeepsConnection != nil && inconsistent < int64(c.Runs) {
				t.Errorf("INCR alone, pipelined: %d inconsistent samples for %d runs; each run's own sample is", inconsistent, c.Runs)
			}

			// A script that sets stock to a fixed value is atomic per run but
			// does not add up: the sum drifts and the final values are wrong.
			env.Sent = []submissions.Command{{Line: 1, Args: []string{"EVAL", "redis.call('SET','stock',999) redis.call('INCR','sales')", "0"}}}
			if r = c.Evaluate(ctx, env); r.Passed {
				t.Errorf("a hard-coded SET should fail: %s", r.Message)
			}
		}
	})
}

// sampleCounts reads the MGET samples a probe took, and how many of them
// were inconsistent, from its message and its actual.
func sampleCounts(t *testing.T, r Result) (samples, inconsistent int64) {
	t.Helper()
	m := regexp.MustCompile(`with ([0-9,]+) MGET samples? taken`).FindStringSubmatch(r.Message)
	if m == nil {
		t.Fatalf("the message should count the samples: %s", r.Message)
	}
	samples, err := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscanf(r.Actual, "%d inconsistent samples", &inconsistent); err != nil {
		t.Fatalf("actual %q: %v", r.Actual, err)
	}
	return samples, inconsistent
}

func TestAtomicProbeReplaysOnlyNamedCommands(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ctx := context.Background()
	c := &AtomicCheck{Keys: []string{"stock", "sales"}, Clients: 4, Runs: 40, Replay: []string{"EVAL"}, From: strState("stock", "100", "sales", "0")}
	env.Sent = []submissions.Command{{Line: 1, Args: []string{"SET", "stock", "100"}}, atomicEval}
	if r := c.Evaluate(ctx, env); !r.Passed {
		t.Errorf("a SET before the EVAL must not be replayed: %s", r.Message)
	}
	env.Sent = []submissions.Command{{Line: 1, Args: []string{"DECR", "stock"}}}
	if r := c.Evaluate(ctx, env); r.Passed || r.Message != "step3.redis sends no EVAL command to replay" {
		t.Errorf("nothing to replay: %q", r.Message)
	}
}

func TestKeyShapes(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ctx := context.Background()
	if err := restoreKeys(ctx, env.Admin, nil); err != nil {
		t.Fatal(err)
	}
	env.Admin.RPush(ctx, "queue", "a", "b")
	env.Admin.SAdd(ctx, "tags", "x", "y")
	env.Admin.ZAdd(ctx, "board", redis.Z{Member: "alice", Score: 30}, redis.Z{Member: "bob", Score: 20})
	env.Admin.HSet(ctx, "user", "name", "ann", "age", "7")
	tests := []struct {
		check KeyCheck
		pass  bool
		msg   string
	}{
		{KeyCheck{Key: "queue", List: []string{"a", "b"}}, true, ""},
		{KeyCheck{Key: "queue", List: []string{"b", "a"}}, false, `key queue is ["a", "b"]`},
		{KeyCheck{Key: "tags", Set: []string{"y", "x"}}, true, ""},
		{KeyCheck{Key: "tags", Set: []string{"x"}}, false, `key tags is {"x", "y"}`},
		{KeyCheck{Key: "board", Zset: Scores{{"alice", 30}, {"bob", 20}}}, true, ""},
		{KeyCheck{Key: "board", Zset: Scores{{"alice", 20}, {"bob", 30}}}, false, `key board is {"bob": 20, "alice": 30}`},
		{KeyCheck{Key: "user", Hash: map[string]string{"age": "7", "name": "ann"}}, true, ""},
		{KeyCheck{Key: "user", Type: "hash"}, true, ""},
		{KeyCheck{Key: "user", Type: "zset"}, false, "key user holds a hash, not a zset"},
		{KeyCheck{Key: "tags", List: []string{"x"}}, false, "key tags holds a set, not a list"},
	}
	for _, tt := range tests {
		r := tt.check.Evaluate(ctx, env)
		if r.Passed != tt.pass || r.Message != tt.msg {
			t.Errorf("%s: got %v %q, want %v %q", tt.check.Name(), r.Passed, r.Message, tt.pass, tt.msg)
		}
	}
}

func TestTTLAndKeysChecks(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ctx := context.Background()
	if err := restoreKeys(ctx, env.Admin, strState("persistent", "1")); err != nil {
		t.Fatal(err)
	}
	env.Admin.Set(ctx, "limited", "1", 45*time.Second)
	i := func(n int64) *int64 { return &n }
	ttls := []struct {
		check TTLCheck
		pass  bool
	}{
		{TTLCheck{Key: "limited", Min: i(1), Max: i(60)}, true},
		{TTLCheck{Key: "limited", Max: i(10)}, false},
		{TTLCheck{Key: "limited", None: true}, false},
		{TTLCheck{Key: "persistent", None: true}, true},
		{TTLCheck{Key: "persistent", Min: i(1)}, false},
		{TTLCheck{Key: "missing", Min: i(1)}, false},
	}
	for _, tt := range ttls {
		if r := tt.check.Evaluate(ctx, env); r.Passed != tt.pass {
			t.Errorf("%s: got %v (%s), want %v", tt.check.Name(), r.Passed, r.Message, tt.pass)
		}
	}
	if r := (&KeysCheck{Keys: []string{"limited", "persistent"}}).Evaluate(ctx, env); !r.Passed {
		t.Errorf("exact keys: %s", r.Message)
	}
	r := (&KeysCheck{Keys: []string{"limited", "other"}}).Evaluate(ctx, env)
	if r.Passed || r.Message != `unexpected keys "persistent"; missing keys "other"` {
		t.Errorf("got %v %q", r.Passed, r.Message)
	}
}

// The step-through makes the verdict certain: with a race far too small to
// catch anything by chance, two commands and fixed writes are still caught,
// every time, on every engine.
func TestAtomicProbeIsDeterministic(t *testing.T) {
	probeModes(t, func(t *testing.T, kind string, env *Env) {
		{
			ctx := context.Background()
			c := &AtomicCheck{Keys: []string{"stock", "sales"}, Clients: 2, Runs: 2, From: strState("stock", "1000", "sales", "0")}
			for i := 0; i < 20; i++ {
				env.Sent = []submissions.Command{{Line: 1, Args: []string{"DECR", "stock"}}, {Line: 2, Args: []string{"INCR", "sales"}}}
				r := c.Evaluate(ctx, env)
				if r.Passed || !strings.Contains(r.Message, "right after DECR (step3.redis:1), another client read stock=999 sales=0") {
					t.Fatalf("run %d: two commands: %v %s", i, r.Passed, r.Message)
				}
				env.Sent = []submissions.Command{{Line: 1, Args: []string{"EVAL", "redis.call('SET','stock',999) redis.call('SET','sales',1)", "0"}}}
				r = c.Evaluate(ctx, env)
				if r.Passed || !strings.Contains(r.Message, "a second run, alone, left stock=999, not 998") {
					t.Fatalf("run %d: fixed writes: %v %s", i, r.Passed, r.Message)
				}
			}
			env.Sent = []submissions.Command{{Line: 1, Args: []string{"MULTI"}}, {Line: 2, Args: []string{"DECR", "stock"}},
				{Line: 3, Args: []string{"INCR", "sales"}}, {Line: 4, Args: []string{"EXEC"}}}
			if r := c.Evaluate(ctx, env); !r.Passed {
				t.Errorf("MULTI/EXEC is atomic too: %s", r.Message)
			}
		}
	})
}

// Checks read the snapshot the grader takes after the run exactly as they
// would read the server, for every shape of key, passing and failing; and
// the snapshot's own reads are not in its statistics.
func TestSnapshotAgreesWithServer(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			env := serverEnv(t, kind)
			ctx := context.Background()
			if err := restoreKeys(ctx, env.Admin, strState("stock", "99", "word", "lots")); err != nil {
				t.Fatal(err)
			}
			env.Given = strState("stock", "100", "sales", "0")
			env.Admin.Set(ctx, "limited", "1", 45*time.Second)
			env.Admin.RPush(ctx, "queue", "a", "b")
			env.Admin.SAdd(ctx, "tags", "x", "y")
			env.Admin.ZAdd(ctx, "board", redis.Z{Member: "alice", Score: 30})
			env.Admin.HSet(ctx, "user", "name", "ann")
			if err := env.Admin.ConfigResetStat(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			env.Admin.Incr(ctx, "n")
			i := func(n int64) *int64 { return &n }
			list := List{
				&KeyCheck{Key: "stock", Equals: ptr("99")},
				&KeyCheck{Key: "stock", Equals: ptr("100")},
				&KeyCheck{Key: "missing", Equals: ptr("1")},
				&KeyCheck{Key: "missing", Absent: true},
				&KeyCheck{Key: "queue", Equals: ptr("x")},
				&KeyCheck{Key: "queue", List: []string{"a", "b"}},
				&KeyCheck{Key: "tags", Set: []string{"x"}},
				&KeyCheck{Key: "board", Zset: Scores{{"alice", 30}}},
				&KeyCheck{Key: "user", Hash: map[string]string{"name": "bob"}},
				&KeyCheck{Key: "user", Type: "hash"},
				&ChangeCheck{Change: Counts{{"stock", -1}, {"sales", 1}}},
				&ChangeCheck{Change: Counts{{"word", 1}}},
				&ChangeCheck{Change: Counts{{"queue", 1}}},
				&TTLCheck{Key: "limited", Min: i(1), Max: i(60)},
				&TTLCheck{Key: "limited", None: true},
				&TTLCheck{Key: "stock", None: true},
				&TTLCheck{Key: "missing", Min: i(1)},
			}
			list = append(list, &CallsCheck{Calls: Counts{{"incr", 1}}})
			reads := PlanReads(list, nil)
			if !reads.stats {
				t.Error("a calls check should ask for the statistics")
			}
			snap, err := reads.Read(ctx, env.Admin)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Stats["incr"] != 1 || snap.Stats["type"] != 0 || snap.Stats["strlen"] != 0 || snap.Stats["getrange"] != 0 || snap.Stats["ttl"] != 0 {
				t.Errorf("snapshot statistics = %v; want incr 1 and none of the snapshot's own reads", snap.Stats)
			}
			for _, c := range list {
				live := c.Evaluate(ctx, env)
				withSnap := *env
				withSnap.Snapshot = snap
				if got := c.Evaluate(ctx, &withSnap); got != live {
					t.Errorf("%s:\nfrom the snapshot %+v\nfrom the server   %+v", c.Name(), got, live)
				}
			}
		})
	}
}

// A value the student made huge (a 40 MB string, a list of 20,000, two
// fields of 2 MB) is never read whole: every check that reads it, from the
// snapshot or from the server, fails saying how large it is. Read whole,
// the 40 MB string passes Redis's 16 MiB output limit and the server drops
// the grader's connection.
func TestHugeValuesAreNotReadWhole(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			env := serverEnv(t, kind)
			ctx := context.Background()
			if err := restoreKeys(ctx, env.Admin, strState("stock", "100")); err != nil {
				t.Fatal(err)
			}
			if err := env.Admin.SetRange(ctx, "stock", 40000000, "x").Err(); err != nil {
				t.Fatal(err)
			}
			long := make([]any, 20000)
			for i := range long {
				long[i] = i
			}
			env.Admin.RPush(ctx, "queue", long...)
			big := strings.Repeat("y", 2<<20)
			env.Admin.HSet(ctx, "user", "name", big, "age", big)
			env.Given = strState("stock", "100")
			tests := []struct {
				check Check
				msg   string
			}{
				{&KeyCheck{Key: "stock", Equals: ptr("100")}, `key stock holds 40,000,001 bytes: too large to be "100"`},
				{&KeyCheck{Key: "stock", Equals: ptr(strings.Repeat("z", 100000))}, "key stock holds 40,000,001 bytes: too large to be"},
				{&ChangeCheck{Change: Counts{{"stock", -1}}}, "key stock holds 40,000,001 bytes, not an integer"},
				{&KeyCheck{Key: "queue", List: []string{"a"}}, `key queue holds 20,000 elements: too large to be ["a"]`},
				{&KeyCheck{Key: "user", Hash: map[string]string{"name": "ann", "age": "7"}}, "key user holds 2 fields taking "},
			}
			reads := PlanReads(List{tests[0].check, tests[2].check, tests[3].check, tests[4].check}, nil)
			snap, err := reads.Read(ctx, env.Admin)
			if err != nil {
				t.Fatalf("the snapshot's reads must be bounded: %v", err)
			}
			for _, tt := range tests {
				for _, withSnap := range []bool{false, true} {
					e := *env
					if withSnap {
						e.Snapshot = snap
					}
					r := tt.check.Evaluate(ctx, &e)
					if r.Passed || !strings.Contains(r.Message, tt.msg) {
						t.Errorf("%q (snapshot %v): got %v %q, want a failure saying %q", clip.Text(tt.check.Name(), 60), withSnap, r.Passed, clip.Text(r.Message, 300), tt.msg)
					}
					if len(r.Message)+len(r.Actual) > 4096 {
						t.Errorf("%q: %d bytes of message and actual", clip.Text(tt.check.Name(), 60), len(r.Message)+len(r.Actual))
					}
				}
			}
			// Type checks and small values still read as before.
			if r := (&KeyCheck{Key: "stock", Type: "string"}).Evaluate(ctx, env); !r.Passed {
				t.Errorf("type check: %s", r.Message)
			}
		})
	}
}

// A key whose name alone passes Redis's 16 MiB output limit is listed by
// its length and a prefix: SCAN would send the whole name.
func TestHugeKeyNamesAreNotReadWhole(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			env := serverEnv(t, kind)
			ctx := context.Background()
			if err := restoreKeys(ctx, env.Admin, strState("stock", "1")); err != nil {
				t.Fatal(err)
			}
			if err := env.Admin.Set(ctx, strings.Repeat("k", 17000000), "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			r := (&KeysCheck{Keys: []string{"stock"}}).Evaluate(ctx, env)
			if r.Passed || !strings.Contains(r.Message, `unexpected keys "kkkk`) || !strings.Contains(r.Message, "(a 17,000,000-byte name)") {
				t.Errorf("got %v %q", r.Passed, clip.Text(r.Message, 400))
			}
			if len(r.Message)+len(r.Actual) > 4096 {
				t.Errorf("%d bytes of message and actual", len(r.Message)+len(r.Actual))
			}
		})
	}
}
