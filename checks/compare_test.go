package checks

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/cmdstats"
	"github.com/redisgrade/redisgrade/submissions"
)

// runAs sends cmds on a connection as the student's and returns the replies.
func runAs(t *testing.T, env *Env, cmds []submissions.Command) []Value {
	t.Helper()
	conn, release := env.Connect()
	defer release()
	var out []Value
	for _, c := range cmds {
		v, ok := FromReply(conn.Do(context.Background(), c.Any()...).Result())
		if !ok {
			t.Fatalf("%v: no reply", c.Args)
		}
		out = append(out, v)
	}
	return out
}

func lines(text string) []submissions.Command {
	cmds, err := submissions.ParseCommands("step1.redis", text)
	if err != nil {
		panic(err)
	}
	return cmds
}

// compareOn runs the student's text from given, then a compare check with the
// reference's text, on env's server.
func compareOn(t *testing.T, env *Env, c *CompareCheck, given State, student, reference string) Result {
	t.Helper()
	ctx := context.Background()
	reset := func(ctx context.Context) error {
		if err := env.Admin.FlushAll(ctx).Err(); err != nil {
			return err
		}
		if err := restoreKeys(ctx, env.Admin, given); err != nil {
			return err
		}
		return env.Admin.ConfigResetStat(ctx).Err()
	}
	if err := reset(ctx); err != nil {
		t.Fatal(err)
	}
	env.File = "step1.redis"
	env.Sent = lines(student)
	env.Replies = runAs(t, env, env.Sent)
	info, err := env.Admin.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	env.Stats = cmdstats.Parse(info)
	env.Reference = &ReferenceRun{File: "step1.redis", Commands: lines(reference), Reset: reset}
	return c.Evaluate(ctx, env)
}

func strict() *CompareCheck {
	return &CompareCheck{Compare: "reference", Replies: ReplyScope{Mode: RepliesAll}, TTLTolerance: time.Second}
}

func TestCompareWithReference(t *testing.T) {
	ref := "HSET user:1 name Ada city London\nRPUSH q a b c\nSADD tags x y\nZADD board 10 ann 20 bob\nSET session s1 EX 60\nHGETALL user:1\n"
	tests := []struct {
		name    string
		check   *CompareCheck
		student string
		want    []string // substrings of the message; none: passes
	}{
		{"the reference itself", strict(), ref, nil},
		{"the same in another order", strict(),
			"HSET user:1 city London name Ada\nRPUSH q a b c\nSADD tags y x\nZADD board 20 bob 10 ann\nSET session s1 EX 60\nHGETALL user:1\n", nil},
		{"a missing field", strict(),
			"HSET user:1 name Ada\nRPUSH q a b c\nSADD tags x y\nZADD board 10 ann 20 bob\nSET session s1 EX 60\nHGETALL user:1\n",
			[]string{"user:1 has no field city; the reference leaves city = London",
				"your HGETALL (step1.redis:6) returned 2 elements, the reference's 4",
				"your HSET (step1.redis:1) returned 1; the reference's returned 2"}},
		{"list, set, sorted set, expiry", strict(),
			"HSET user:1 name Ada city London\nRPUSH q a c b\nSADD tags x z\nZADD board 10 ann 25 bob\nSET session s1\nHGETALL user:1\n",
			[]string{`element 2 of list q is "c"; the reference's is "b"`,
				`set tags has no member "y"; the reference's has`,
				`set tags has member "z", which the reference's does not`,
				`in sorted set board, "bob" has score 25; the reference's has 20`,
				"session has no expiry; the reference's expires in 1m0s"}},
		{"a key too many, a key missing, another type", strict(),
			"HSET user:1 name Ada city London\nSET q abc\nSADD tags x y\nZADD board 10 ann 20 bob\nSET session s1 EX 60\nSET extra 1\n",
			[]string{`q is a string "abc"; the reference leaves a list of 3 elements`,
				`you left extra (a string "1"), which the reference does not`,
				`your commands send no HGETALL`}},
		{"replies: none and keys narrow it", &CompareCheck{Compare: "reference", Replies: ReplyScope{Mode: RepliesNone}, Keys: []string{"user:1"}, TTLTolerance: time.Second},
			"HSET user:1 name Ada city London\n", nil},
		{"replies: last", &CompareCheck{Compare: "reference", Replies: ReplyScope{Mode: RepliesLast}, Keys: []string{"user:1"}, TTLTolerance: time.Second},
			"HSET user:1 name Ada\nHSET user:1 city London\nHGETALL user:1\n", nil},
		{"a TTL out of the tolerance", strict(),
			"HSET user:1 name Ada city London\nRPUSH q a b c\nSADD tags x y\nZADD board 10 ann 20 bob\nSET session s1 EX 30\nHGETALL user:1\n",
			[]string{"session expires in 30s; the reference's in 1m0s (more than 1s shorter)"}},
		{"a TTL longer than the reference's", strict(),
			"HSET user:1 name Ada city London\nRPUSH q a b c\nSADD tags x y\nZADD board 10 ann 20 bob\nSET session s1 EX 61\nHGETALL user:1\n",
			[]string{"session expires in 1m1s; the reference's in 1m0s: longer than the task asks"}},
	}
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		env := serverEnv(t, kind)
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				r := compareOn(t, env, tt.check, nil, tt.student, ref)
				if len(tt.want) == 0 {
					if !r.Passed {
						t.Fatalf("failed: %s", r.Message)
					}
					return
				}
				if r.Passed {
					t.Fatalf("passed; want a failure saying %q", tt.want)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.Message, w) {
						t.Errorf("message %q\nlacks %q", r.Message, w)
					}
				}
			})
		}
	}
}

// Each difference is told, up to a few, then counted.
func TestCompareLimitsDifferences(t *testing.T) {
	env := serverEnv(t, engine.KindEmbedded)
	r := compareOn(t, env, strict(), nil, "MSET a 1 b 1 c 1 d 1 e 1 f 1 g 1\n", "MSET a 2 b 2 c 2 d 2 e 2 f 2 g 2\n")
	if r.Passed || !strings.Contains(r.Message, `a is "1"; the reference leaves "2"`) || !strings.HasSuffix(r.Message, "and 2 more differences") {
		t.Fatalf("got %v %q", r.Passed, r.Message)
	}
}

// The reference runs from the case's starting state, not from what the
// student left.
func TestCompareResetsToTheGivenState(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	given := strState("stock", "100")
	if r := compareOn(t, env, reads(), given, "DECR stock\n", "DECRBY stock 1\n"); !r.Passed {
		t.Fatalf("DECR from 100 vs DECRBY 1 from 100: %s", r.Message)
	}
	r := compareOn(t, env, strict(), given, "DECR stock\nDECR stock\n", "DECR stock\n")
	if r.Passed || !strings.Contains(r.Message, `stock is "98"; the reference leaves "99"`) {
		t.Fatalf("got %v %q", r.Passed, r.Message)
	}
}

func TestCompareCommands(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		env := serverEnv(t, kind)
		c := &CompareCheck{Compare: "reference", Replies: ReplyScope{Mode: RepliesNone}, Commands: true, TTLTolerance: time.Second}
		if r := compareOn(t, env, c, strState("n", "1"), "INCR n\n", "INCR n\n"); !r.Passed {
			t.Fatalf("%s: the same commands: %s", kind, r.Message)
		}
		if r := compareOn(t, env, c, strState("n", "1"), "GET n\nINCR n\nGET n\nTTL n\n", "INCR n\n"); !r.Passed {
			t.Fatalf("%s: reads added around the same commands: %s", kind, r.Message)
		}
		r := compareOn(t, env, c, strState("n", "1"), "SET n 2\n", "INCR n\n")
		for _, w := range []string{"the reference runs INCR once; your commands do not run it", "your commands run SET once; the reference does not run it"} {
			if r.Passed || !strings.Contains(r.Message, w) {
				t.Errorf("%s: got %v %q, want %q", kind, r.Passed, r.Message, w)
			}
		}
	}
}

// A value far larger than a step needs is refused before it is read.
func TestCompareRefusesHugeValues(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	big := strings.Repeat("x", compareMaxBytes+1)
	r := compareOn(t, env, strict(), nil, "SET k "+big+"\n", "SET k 1\n")
	if r.Passed || !strings.Contains(r.Message, "your commands left k holding 1,048,577 bytes: more than a compare reads") {
		t.Fatalf("got %v %.200q", r.Passed, r.Message)
	}
	r = compareOn(t, env, strict(), nil, "EVAL \"for i=1,20000 do redis.call('RPUSH','l',i) end\" 0\n", "SET k 1\n")
	if r.Passed || !strings.Contains(r.Message, "your commands left l holding 20,000 elements") {
		t.Fatalf("got %v %.200q", r.Passed, r.Message)
	}
}

// A reference that cannot run is the exercise's fault, and says so.
func TestCompareWithoutReference(t *testing.T) {
	env := serverEnv(t, engine.KindEmbedded)
	env.Reference = &ReferenceRun{Problem: "the reference has no step1.redis"}
	r := strict().Evaluate(context.Background(), env)
	if r.Passed || r.Message != "cannot compare with the reference: the reference has no step1.redis (an error in the exercise, not your answer)" {
		t.Fatalf("got %v %q", r.Passed, r.Message)
	}
}

func TestExplainReply(t *testing.T) {
	tests := []struct {
		label     string
		mine, ref Value
		want      string
	}{
		{"HGETALL (s:1)", Arr(Str("a"), Str("1"), Str("b"), Str("2")), Arr(Str("b"), Str("2"), Str("a"), Str("1")), ""},
		{"LRANGE (s:1)", Arr(Str("a"), Str("b")), Arr(Str("b"), Str("a")), `your LRANGE (s:1) returned ["a", "b"]; the reference's returned ["b", "a"] (element 1 differs)`},
		{"GET (s:1)", Str("5"), Int(5), `your GET (s:1) returned a string ("5"); the reference's returned an integer (5)`},
		{"script", Value{Type: Error, Str: "ERR user_script:1: oops"}, Value{Type: Error, Str: "ERR user_script:3: other"}, ""},
		{"script", Value{Type: Error, Str: "WRONGTYPE x"}, Value{Type: Error, Str: "ERR y"}, `your script returned (error) WRONGTYPE x; the reference's returned (error) ERR y`},
	}
	for _, tt := range tests {
		name, _, _ := strings.Cut(tt.label, " ")
		mine, ref := inOrder(name, tt.mine, tt.ref)
		got := ""
		if d := explainReply(mine, ref); d != "" {
			got = "your " + tt.label + " " + d
		}
		if got != tt.want {
			t.Errorf("%s %s vs %s:\n got %q\nwant %q", tt.label, tt.mine, tt.ref, got, tt.want)
		}
	}
}

// reads is a compare as a spec writes it by default.
func reads() *CompareCheck {
	return &CompareCheck{Compare: "reference", Replies: ReplyScope{Mode: RepliesReads}, TTLTolerance: defaultTTLTolerance}
}

// What the student adds to look at their work, or splits into several
// commands, changes no effect: it passes. What the task is about still
// fails when it differs.
func TestCompareLooksAtEffects(t *testing.T) {
	ref := "HSET user:1 name Ada city London\nLPUSH jobs a b c\nHDEL user:1 city\nHGETALL user:1\n"
	tests := []struct {
		name    string
		check   *CompareCheck
		student string
		want    string // a substring of the message; "": passes
	}{
		{"reads added after each command", reads(),
			"HSET user:1 name Ada city London\nHGETALL user:1\nLPUSH jobs a b c\nLRANGE jobs 0 -1\nHDEL user:1 city\nHGETALL user:1\nTTL user:1\nEXISTS jobs\n", ""},
		{"a command split in three", reads(),
			"HSET user:1 name Ada\nHSET user:1 city London\nLPUSH jobs a\nLPUSH jobs b\nLPUSH jobs c\nHDEL user:1 city\nHGETALL user:1\n", ""},
		{"the read the task asks for, missing", reads(),
			"HSET user:1 name Ada city London\nLPUSH jobs a b c\nHDEL user:1 city\n",
			`the reference's HGETALL replies ["name", "Ada"]; your commands send no HGETALL`},
		{"the read in the wrong place", reads(),
			"HSET user:1 name Ada city London\nLPUSH jobs a b c\nHGETALL user:1\nHDEL user:1 city\n",
			`your HGETALL (step1.redis:3) returned 4 elements, the reference's 2`},
		{"a forged read", reads(),
			"HSET user:1 name Ada city London\nLPUSH jobs a b c\nHDEL user:1 city\nEVAL \"return {'name','Ada'}\" 0\n",
			"your commands send no HGETALL"},
		{"a write's reply named", &CompareCheck{Compare: "reference", Replies: ReplyScope{Mode: "commands", Commands: []string{"HSET"}}, TTLTolerance: time.Second},
			"HSET user:1 name Ada\nHSET user:1 city London\nLPUSH jobs a b c\nHDEL user:1 city\n",
			`your HSET (step1.redis:2) (the last of 2) returned 1; the reference's returned 2`},
	}
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		env := serverEnv(t, kind)
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				r := compareOn(t, env, tt.check, nil, tt.student, ref)
				switch {
				case tt.want == "" && !r.Passed:
					t.Fatalf("failed: %s", r.Message)
				case tt.want != "" && (r.Passed || !strings.Contains(r.Message, tt.want)):
					t.Fatalf("got %v %q, want a failure saying %q", r.Passed, r.Message, tt.want)
				}
			})
		}
	}
}

// A stream compares whole: its ids, its groups, their last-delivered ids
// and pending entries with their consumers. Ids the clock made compare by
// their place.
func TestCompareStreamsWhole(t *testing.T) {
	ref := "XADD orders 1-1 item book\nXADD orders 1-2 item pen\nXGROUP CREATE orders billing 0\nXREADGROUP GROUP billing w1 COUNT 1 STREAMS orders >\n"
	tests := []struct {
		name, student, want string
	}{
		{"the same, with reads", ref + "XPENDING orders billing\nXINFO GROUPS orders\nXLEN orders\n", ""},
		{"another group name", strings.Replace(ref, "billing", "bills", 2),
			"stream orders has no consumer group billing; the reference's has it (last delivered 1-1, 1 pending entry)"},
		{"another start id", strings.Replace(ref, "billing 0", "billing $", 1),
			"group billing of stream orders last delivered 1-2; the reference's 1-1"},
		{"read with NOACK", strings.Replace(ref, "COUNT 1", "COUNT 1 NOACK", 1),
			"group billing of stream orders has pending nothing; the reference's has 1-1 (w1)"},
		{"another consumer", strings.Replace(ref, "w1", "w2", 1),
			"has pending 1-1 (w2); the reference's has 1-1 (w1)"},
		{"other ids", strings.Replace(ref, "1-2", "1-3", 1),
			"entry 2 of stream orders has id 1-3; the reference's has 1-2"},
	}
	env := serverEnv(t, engine.KindProcess)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compareOn(t, env, reads(), nil, tt.student, ref)
			switch {
			case tt.want == "" && !r.Passed:
				t.Fatalf("failed: %s", r.Message)
			case tt.want != "" && (r.Passed || !strings.Contains(r.Message, tt.want)):
				t.Fatalf("got %v %q, want a failure saying %q", r.Passed, r.Message, tt.want)
			}
		})
	}
	clock := "XADD log * event login\nXADD log * event logout\nXGROUP CREATE log audit 0\nXREADGROUP GROUP audit a COUNT 1 STREAMS log >\n"
	if r := compareOn(t, env, reads(), nil, clock, clock); !r.Passed {
		t.Errorf("ids made by the clock differ between runs, and compare by their place: %s", r.Message)
	}
	r := compareOn(t, env, reads(), nil, strings.Replace(clock, "COUNT 1", "COUNT 2", 1), clock)
	if r.Passed || !strings.Contains(r.Message, "group audit of stream log last delivered entry 2; the reference's entry 1") {
		t.Errorf("one entry read too many: %v %q", r.Passed, r.Message)
	}
}

// A HyperLogLog compares by its registers, not its bytes: PFCOUNT, a read
// to the student, rewrites the count cached in them. Nor by its count
// alone: other members often count alike.
func TestCompareHyperLogLogByRegisters(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ref := "PFADD visitors ann bob cid\n"
	if r := compareOn(t, env, reads(), nil, "PFADD visitors ann bob\nPFCOUNT visitors\nPFADD visitors cid ann\nPFCOUNT visitors\n", ref); !r.Passed {
		t.Fatalf("the same visitors, counted along the way: %s", r.Message)
	}
	r := compareOn(t, env, reads(), nil, "PFADD visitors ann bob\n", ref)
	if r.Passed || !strings.Contains(r.Message, "HyperLogLog visitors counts 2 (PFCOUNT); the reference's counts 3") {
		t.Fatalf("got %v %q", r.Passed, r.Message)
	}
	r = compareOn(t, env, reads(), nil, "SET visitors 3\n", ref)
	if r.Passed || !strings.Contains(r.Message, `visitors is a string "3"; the reference leaves a HyperLogLog counting 3`) {
		t.Fatalf("got %v %q", r.Passed, r.Message)
	}
	r = compareOn(t, env, reads(), nil, "PFADD visitors ann bob dan\n", ref)
	if r.Passed || !strings.Contains(r.Message, "HyperLogLog visitors holds other members than the reference's, though both count 3") {
		t.Fatalf("another visitor, the same count: %v %q", r.Passed, r.Message)
	}
	// Sparse (1,000 visitors) and dense (5,000): visitors 0 to n-1 for 1 to n.
	for _, n := range []int{1000, 5000} {
		loop := func(from int) string {
			return fmt.Sprintf("EVAL \"for i = %d, %d do redis.call('PFADD', KEYS[1], 'visitor:' .. i) end\" 1 visitors\n", from, from+n-1)
		}
		if r := compareOn(t, env, reads(), nil, loop(1)+"PFCOUNT visitors\n", loop(1)); !r.Passed {
			t.Errorf("%d visitors, the same: %s", n, r.Message)
		}
		if r := compareOn(t, env, reads(), nil, loop(0), loop(1)); r.Passed {
			t.Errorf("%d visitors from 0 pass for visitors from 1", n)
		}
	}
}

// A TTL may be shorter than the reference's by the tolerance (the two are
// read a moment apart), never longer.
func TestCompareTTLOnlyShorter(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ref := "SET s v PX 60000\n"
	for _, tc := range []struct {
		student string
		pass    bool
	}{
		{"SET s v PX 60000\n", true},
		{"SET s v PX 59700\n", true}, // within the default 500ms
		{"SET s v PX 59000\n", false},
		{"SET s v PX 60400\n", false}, // longer, however little past the slack
		{"SET s v EX 61\n", false},
		{"SET s v\nEXPIRE s 60\nTTL s\n", true},
	} {
		if r := compareOn(t, env, reads(), nil, tc.student, ref); r.Passed != tc.pass {
			t.Errorf("%q: passed %v, want %v: %s", tc.student, r.Passed, tc.pass, r.Message)
		}
	}
}
