package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/submissions"
)

func cmd(line int, args ...string) submissions.Command {
	return submissions.Command{Line: line, Args: args}
}

func ptr[T any](v T) *T { return &v }

func TestSentCheck(t *testing.T) {
	script := "return redis.call('DECR', 'stock')"
	tests := []struct {
		name  string
		check SentCheck
		sent  []submissions.Command
		pass  bool
		msg   string
	}{
		{"one eval", SentCheck{Sent: "EVAL", Times: ptr[int64](1), Args: []string{"*", "0"}},
			[]submissions.Command{cmd(1, "eval", script, "0")}, true, ""},
		{"eval twice", SentCheck{Sent: "EVAL", Times: ptr[int64](1)},
			[]submissions.Command{cmd(1, "EVAL", script, "0"), cmd(2, "EVAL", script, "0")}, false,
			"s.redis sends EVAL 2 times (line 1, 2), expected once"},
		{"wrong numkeys", SentCheck{Sent: "EVAL", Times: ptr[int64](1), Args: []string{"*", "0"}},
			[]submissions.Command{cmd(3, "EVAL", script, "1", "stock")}, false,
			`s.redis:3: argument 2 of EVAL is "1", expected "0"`},
		{"missing numkeys", SentCheck{Sent: "EVAL", Args: []string{"*", "0"}},
			[]submissions.Command{cmd(1, "EVAL", script)}, false,
			"s.redis:1: EVAL has 1 argument, expected at least 2"},
		{"an option word in any case", SentCheck{Sent: "SET", Args: []string{"lock", "*", "NX", "PX"}},
			[]submissions.Command{cmd(1, "set", "lock", "a", "nx", "Px", "30000")}, true, ""},
		{"a key in another case", SentCheck{Sent: "SET", Args: []string{"lock"}},
			[]submissions.Command{cmd(1, "SET", "LOCK", "a")}, false, `s.redis:1: argument 1 of SET is "LOCK", expected "lock"`},
		{"another option", SentCheck{Sent: "HEXPIRE", Args: []string{"*", "*", "NX"}},
			[]submissions.Command{cmd(1, "HEXPIRE", "h", "60", "lt", "FIELDS", "1", "f")}, false, `s.redis:1: argument 3 of HEXPIRE is "lt", expected "NX"`},
		{"no decr", SentCheck{Sent: "DECR", Times: ptr[int64](0)},
			[]submissions.Command{cmd(1, "GET", "stock")}, true, ""},
		{"decr sent", SentCheck{Sent: "decr", Times: ptr[int64](0)},
			[]submissions.Command{cmd(4, "decr", "stock")}, false,
			"s.redis sends DECR once (line 4), expected 0 times"},
		{"at least once, none", SentCheck{Sent: "EVAL"}, nil, false, "s.redis sends no EVAL command"},
		{"a read after the write", SentCheck{Sent: "GET", Times: ptr[int64](0), Before: "INCR"},
			[]submissions.Command{cmd(1, "INCR", "n"), cmd(2, "GET", "n")}, true, ""},
		{"a read before the write", SentCheck{Sent: "GET", Times: ptr[int64](0), Before: "incr"},
			[]submissions.Command{cmd(1, "GET", "n"), cmd(2, "INCR", "n"), cmd(3, "GET", "n")}, false,
			"s.redis sends GET once before INCR (line 1), expected 0 times"},
		{"before a command never sent: the whole file", SentCheck{Sent: "GET", Times: ptr[int64](0), Before: "INCR"},
			[]submissions.Command{cmd(1, "GET", "n"), cmd(2, "SET", "n", "2")}, false,
			"s.redis sends GET once before INCR (line 1), expected 0 times"},
		{"GET after WATCH", SentCheck{Sent: "GET", After: "WATCH"},
			[]submissions.Command{cmd(1, "WATCH", "seats"), cmd(2, "GET", "seats")}, true, ""},
		{"GET only before WATCH", SentCheck{Sent: "GET", After: "WATCH"},
			[]submissions.Command{cmd(1, "GET", "seats"), cmd(2, "WATCH", "seats")}, false,
			"s.redis sends no GET command after WATCH"},
		{"after a command never sent: nothing", SentCheck{Sent: "GET", After: "WATCH"},
			[]submissions.Command{cmd(1, "GET", "seats")}, false, "s.redis sends no GET command after WATCH"},
		{"between WATCH and MULTI", SentCheck{Sent: "GET", After: "WATCH", Before: "MULTI"},
			[]submissions.Command{cmd(1, "WATCH", "s"), cmd(2, "GET", "s"), cmd(3, "MULTI"), cmd(4, "GET", "s"), cmd(5, "EXEC")}, true, ""},
		{"only queued in the transaction", SentCheck{Sent: "GET", After: "WATCH", Before: "MULTI"},
			[]submissions.Command{cmd(1, "WATCH", "s"), cmd(2, "MULTI"), cmd(3, "GET", "s"), cmd(4, "EXEC")}, false,
			"s.redis sends no GET command after WATCH before MULTI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.check.Evaluate(context.Background(), &Env{File: "s.redis", Sent: tt.sent})
			if r.Passed != tt.pass || r.Message != tt.msg {
				t.Errorf("got %v %q, want %v %q", r.Passed, r.Message, tt.pass, tt.msg)
			}
		})
	}
	if got := (&SentCheck{Sent: "eval", Times: ptr[int64](1), Args: []string{"*", "0"}}).Name(); got != "sends EVAL once with arguments * 0" {
		t.Errorf("name = %q", got)
	}
}

func TestCallsCheck(t *testing.T) {
	c := &CallsCheck{Calls: Counts{{"decr", 1}, {"incr", 1}}}
	if got := c.Name(); got != "the server runs DECR once, INCR once" {
		t.Errorf("name = %q", got)
	}
	r := c.Evaluate(context.Background(), &Env{Stats: map[string]int64{"decr": 1, "incr": 1, "eval": 1}})
	if !r.Passed {
		t.Errorf("exact counts should pass: %s", r.Message)
	}
	r = c.Evaluate(context.Background(), &Env{Stats: map[string]int64{"set": 2, "eval": 1}})
	if r.Passed || r.Message != "DECR ran 0 times, expected once; INCR ran 0 times, expected once (counted by the server, calls from Lua included)" {
		t.Errorf("got %v %q", r.Passed, r.Message)
	}
	r = c.Evaluate(context.Background(), &Env{Stats: map[string]int64{"decr": 2, "incr": 2}})
	if r.Passed || !strings.HasPrefix(r.Message, "DECR ran 2 times, expected once") {
		t.Errorf("twice: got %v %q", r.Passed, r.Message)
	}
}

// With at_least, a count is a lower bound: a walk that pages with COUNT 1
// makes many SCAN calls, one that ignores the COUNT it is given few.
func TestCallsCheckAtLeast(t *testing.T) {
	c := &CallsCheck{Calls: Counts{{"scan", 6}}, AtLeast: true}
	if got := c.Name(); got != "the server runs SCAN at least 6 times" {
		t.Errorf("name = %q", got)
	}
	for got, pass := range map[int64]bool{6: true, 17: true, 5: false, 1: false} {
		env := &Env{Sent: sent([]string{"EVAL", "...", "0"}), Stats: map[string]int64{"eval": 1, "scan": got}}
		r := c.Evaluate(context.Background(), env)
		if r.Passed != pass {
			t.Errorf("SCAN %d times: passed %v, want %v (%s)", got, r.Passed, pass, r.Message)
		}
		if !pass && r.Message != sprintf("SCAN ran %s, expected at least 6 times (counted by the server, calls from Lua included)", times(got)) {
			t.Errorf("message %q", r.Message)
		}
		// How far below the bound varies with the server process: the
		// shape says only that it is below.
		if shape := c.shape(env); !pass && shape != "SCAN<" {
			t.Errorf("SCAN %d times: shape %q, want %q", got, shape, "SCAN<")
		}
	}
}

func TestReplyCheck(t *testing.T) {
	env := &Env{
		File:    "s.redis",
		Sent:    []submissions.Command{cmd(1, "SET", "a", "1"), cmd(2, "EVAL", "x", "0"), cmd(3, "GET", "a")},
		Replies: []Value{Str("OK"), Arr(Int(1), Int(99)), Str("1")},
	}
	last := &ReplyCheck{Reply: Str("1")}
	if r := last.Evaluate(context.Background(), env); !r.Passed {
		t.Errorf("last reply: %s", r.Message)
	}
	eval := &ReplyCheck{Reply: Arr(Int(99), Int(1)), Command: "eval"}
	r := eval.Evaluate(context.Background(), env)
	if r.Passed || r.Message != "the reply was [1, 99], expected [99, 1]: the values are right but in the wrong order" {
		t.Errorf("got %v %q", r.Passed, r.Message)
	}
	if r := (&ReplyCheck{Reply: Int(1), Command: "HGET"}).Evaluate(context.Background(), env); r.Passed || r.Message != "s.redis sends no HGET command" {
		t.Errorf("missing command: %q", r.Message)
	}
}

// A named command's reply is read wherever the command is: a read added
// after it, or another of the same name on another key, does not disturb
// it; a forged reply (an EVAL instead of the command) does not pass it.
func TestReplyCheckReadsTheNamedCommand(t *testing.T) {
	ctx := context.Background()
	env := &Env{
		File: "s.redis",
		Sent: []submissions.Command{cmd(1, "SETBIT", "d", "3", "1"), cmd(2, "BITCOUNT", "d"),
			cmd(3, "GET", "other"), cmd(4, "BITCOUNT", "other")},
		Replies: []Value{Int(0), Int(3), {Type: Nil}, Int(0)},
	}
	if r := (&ReplyCheck{Reply: Int(3), Command: "bitcount"}).Evaluate(ctx, env); !r.Passed {
		t.Errorf("BITCOUNT d replied 3, then a read of another key: %s", r.Message)
	}
	if r := (&ReplyCheck{Reply: Int(3)}).Evaluate(ctx, env); r.Passed {
		t.Error("without a command the check reads the last reply, 0: it must fail")
	}
	narrowed := &ReplyCheck{Reply: Int(3), Command: "BITCOUNT", Args: []string{"other"}}
	if r := narrowed.Evaluate(ctx, env); r.Passed || !strings.Contains(r.Message, "the reply was 0, expected 3") {
		t.Errorf("args narrow to BITCOUNT other, which replied 0: %v %q", r.Passed, r.Message)
	}
	if r := (&ReplyCheck{Reply: Int(5), Command: "BITCOUNT"}).Evaluate(ctx, env); r.Passed ||
		r.Message != "none of your 2 BITCOUNT commands replied 5; the last, s.redis:4, replied 0" {
		t.Errorf("two BITCOUNTs, neither 5: %q", r.Message)
	}
	older := &Env{File: "s.redis", Sent: []submissions.Command{cmd(1, "RPOPLPUSH", "jobs", "work")}, Replies: []Value{Str("j1")}}
	if r := (&ReplyCheck{Reply: Str("j1"), Command: "LMOVE"}).Evaluate(ctx, older); !r.Passed {
		t.Errorf("RPOPLPUSH is an older form of LMOVE: its reply is read: %s", r.Message)
	}
	forged := &Env{File: "s.redis", Sent: []submissions.Command{cmd(1, "EVAL", "return 3", "0")}, Replies: []Value{Int(3)}}
	if r := (&ReplyCheck{Reply: Int(3), Command: "BITCOUNT"}).Evaluate(ctx, forged); r.Passed {
		t.Error("EVAL \"return 3\" 0 sends no BITCOUNT: a forged reply must fail")
	}
}

func TestNoErrors(t *testing.T) {
	env := &Env{
		File:    "s.redis",
		Sent:    []submissions.Command{cmd(1, "SET", "a", "1"), cmd(2, "DECRR", "a")},
		Replies: []Value{Str("OK"), {Type: Error, Str: "ERR unknown command 'DECRR'"}},
	}
	r := NoErrors(nil).Evaluate(context.Background(), env)
	if r.Passed || r.Message != "s.redis:2: DECRR returned (error) ERR unknown command 'DECRR'" {
		t.Errorf("got %v %q", r.Passed, r.Message)
	}
	expected := List{&ReplyCheck{Reply: Value{Type: Error, Str: "ERR unknown command"}}}
	if r := NoErrors(expected).Evaluate(context.Background(), env); !r.Passed {
		t.Errorf("an expected error must not fail the step: %q", r.Message)
	}
	script := &Env{File: "s.lua", Sent: []submissions.Command{cmd(0, "EVAL", "x", "0")}, Replies: []Value{{Type: Error, Str: "ERR boom"}}}
	if r := NoErrors(nil).Evaluate(context.Background(), script); r.Message != "s.lua: EVAL returned (error) ERR boom" {
		t.Errorf("script: %q", r.Message)
	}
}

// An expected error excuses only itself: the command the check reads, with
// that error; never an unrelated error reply in the same file.
func TestExpectedErrorExcusesOnlyItself(t *testing.T) {
	ctx := context.Background()
	wrongtype := Value{Type: Error, Str: "WRONGTYPE Operation against a key holding the wrong kind of value"}
	env := &Env{
		File:    "s.redis",
		Sent:    []submissions.Command{cmd(1, "LPUSH", "s", "x"), cmd(2, "INCR", "s"), cmd(3, "GET", "n")},
		Replies: []Value{wrongtype, wrongtype, Str("1")},
	}
	incr := &ReplyCheck{Reply: Value{Type: Error, Str: "WRONGTYPE"}, Command: "INCR"}
	r := NoErrors(List{incr}).Evaluate(ctx, env)
	if r.Passed || !strings.Contains(r.Message, "s.redis:1: LPUSH returned") || strings.Contains(r.Message, "INCR") {
		t.Errorf("INCR's WRONGTYPE is expected, LPUSH's is not: %v %q", r.Passed, r.Message)
	}
	last := &ReplyCheck{Reply: Value{Type: Error, Str: "WRONGTYPE"}} // reads the last reply, "1"
	if r := NoErrors(List{last}).Evaluate(ctx, env); r.Passed {
		t.Error("a check of the last reply excuses no other command's error")
	}
	other := &ReplyCheck{Reply: Value{Type: Error, Str: "ERR"}, Command: "INCR"}
	if r := NoErrors(List{other}).Evaluate(ctx, env); r.Passed {
		t.Error("an expected ERR does not excuse a WRONGTYPE of the same command")
	}
}

// An error a reply check expects excuses the reply that check reads (the
// last command's, or the last of the command it names), and nothing else: a
// like error of another command, or of an earlier one of the same name,
// still fails the step.
func TestNoErrorsExcusesOnlyTheExpectedReply(t *testing.T) {
	wrongArgs := Value{Type: Error, Str: "ERR wrong number of arguments for 'incrby' command"}
	expectIncrby := &ReplyCheck{Reply: Value{Type: Error, Str: "ERR wrong number of arguments"}, Command: "INCRBY"}
	expectIncrbyB := &ReplyCheck{Reply: Value{Type: Error, Str: "ERR wrong number of arguments"}, Command: "INCRBY", Args: []string{"b"}}
	expectLast := &ReplyCheck{Reply: Value{Type: Error, Str: "EXECABORT"}}
	tests := []struct {
		name    string
		checks  List
		sent    []submissions.Command
		replies []Value
		msg     string // "" for a pass
	}{
		{"the expected error", List{expectIncrby},
			[]submissions.Command{cmd(1, "MULTI"), cmd(2, "INCRBY", "b")},
			[]Value{Str("OK"), wrongArgs}, ""},
		{"a like error of another command", List{expectIncrby},
			[]submissions.Command{cmd(1, "DECRBY", "a"), cmd(2, "INCRBY", "b")},
			[]Value{{Type: Error, Str: "ERR wrong number of arguments for 'decrby' command"}, wrongArgs},
			"s.redis:1: DECRBY returned (error) ERR wrong number of arguments for 'decrby' command"},
		{"an error of the same command on another key", List{expectIncrbyB},
			[]submissions.Command{cmd(1, "INCRBY", "a"), cmd(2, "INCRBY", "b")},
			[]Value{wrongArgs, wrongArgs},
			"s.redis:1: INCRBY returned (error) ERR wrong number of arguments for 'incrby' command"},
		{"the last command's error, expected without a command", List{expectLast},
			[]submissions.Command{cmd(1, "MULTI"), cmd(2, "EXEC")},
			[]Value{Str("OK"), {Type: Error, Str: "EXECABORT Transaction discarded"}}, ""},
		{"an earlier error, the last command's expected", List{expectLast},
			[]submissions.Command{cmd(1, "EXEC"), cmd(2, "EXEC")},
			[]Value{{Type: Error, Str: "EXECABORT Transaction discarded"}, {Type: Error, Str: "EXECABORT Transaction discarded"}},
			"s.redis:1: EXEC returned (error) EXECABORT Transaction discarded"},
		{"another error where the expected one was", List{expectIncrby},
			[]submissions.Command{cmd(1, "INCRBY", "b", "x")},
			[]Value{{Type: Error, Str: "ERR value is not an integer or out of range"}},
			"s.redis:1: INCRBY returned (error) ERR value is not an integer or out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{File: "s.redis", Sent: tt.sent, Replies: tt.replies}
			r := NoErrors(tt.checks).Evaluate(context.Background(), env)
			if r.Passed != (tt.msg == "") || r.Message != tt.msg {
				t.Errorf("got %v %q, want %q", r.Passed, r.Message, tt.msg)
			}
		})
	}
}

// Every kind in the registry has its type listed, and the type's first
// field is the one that names the kind.
func TestKindTypesMatchRegistry(t *testing.T) {
	for _, kind := range Kinds() {
		typ, ok := KindType(kind)
		if !ok {
			t.Errorf("kind %s has no type", kind)
			continue
		}
		if tag := typ.Field(0).Tag.Get("yaml"); tag != kind {
			t.Errorf("kind %s: first field is tagged %q", kind, tag)
		}
	}
	if len(kindTypes) != len(registry) {
		t.Errorf("%d types for %d kinds", len(kindTypes), len(registry))
	}
}

func TestNoErrorsExplainsLuaErrors(t *testing.T) {
	env := &Env{File: "s.lua", Sent: []submissions.Command{cmd(0, "EVAL", "x", "0")},
		Replies: []Value{{Type: Error, Str: "ERR user_script:3: Script attempted to access nonexistent global variable 'stock' script: 1a2b"}}}
	r := NoErrors(nil).Evaluate(context.Background(), env)
	if r.Passed || !strings.Contains(r.Message, "set it first, with local x = redis.call(...)") {
		t.Errorf("got %q", r.Message)
	}
}

func TestSentCheckRepeatCountsOnce(t *testing.T) {
	c := SentCheck{Sent: "EVAL", Times: ptr[int64](1)}
	r := c.Evaluate(context.Background(), &Env{File: "s.redis", Sent: []submissions.Command{cmd(1, "EVAL", "x", "0"), cmd(1, "EVAL", "x", "0")}})
	if r.Passed || r.Message != "s.redis sends EVAL 2 times (line 1), expected once" {
		t.Errorf("got %v %q", r.Passed, r.Message)
	}
}

func TestReplyCheckOnAnError(t *testing.T) {
	env := &Env{File: "s.lua", Sent: []submissions.Command{cmd(0, "EVAL", "x", "0")},
		Replies: []Value{{Type: Error, Str: "ERR user_script:1: Attempt to modify a readonly table"}}}
	r := (&ReplyCheck{Reply: Arr(Int(99), Int(1))}).Evaluate(context.Background(), env)
	if r.Passed || r.Message != "an error came back instead of [99, 1] (the error is shown above)" {
		t.Errorf("got %v %q", r.Passed, r.Message)
	}
}

// TestNoErrorsSuggestsTheCommandMeant: an unknown command is answered with
// the server's command nearest to it, and only when one is clearly nearest.
func TestNoErrorsSuggestsTheCommandMeant(t *testing.T) {
	commands := []string{"DECR", "DECRBY", "EVAL", "GET", "INCR", "SET"}
	for _, tc := range []struct {
		name, reply, want string
	}{
		{"STE", "ERR unknown command 'STE', with args beginning with: 'stock' '100' ", "(did you mean SET?)"},
		{"evla", "ERR unknown command 'evla', with args beginning with: ", "(did you mean EVAL?)"},
		{"DECRR", "ERR unknown command 'DECRR'", "(did you mean DECR?)"},   // miniredis's text
		{"ET", "ERR unknown command 'ET', with args beginning with: ", ""}, // GET and SET: no guess
		{"FROBNICATE", "ERR unknown command 'FROBNICATE', with args beginning with: ", ""},
	} {
		env := &Env{
			File: "s.redis", Commands: commands,
			Sent:    []submissions.Command{cmd(1, tc.name, "stock", "100")},
			Replies: []Value{{Type: Error, Str: tc.reply}},
		}
		r := NoErrors(nil).Evaluate(context.Background(), env)
		if tc.want == "" {
			if strings.Contains(r.Message, "did you mean") {
				t.Errorf("%s: %q should suggest nothing", tc.name, r.Message)
			}
			continue
		}
		if !strings.HasSuffix(r.Message, tc.want) {
			t.Errorf("%s: %q, want it to end %q", tc.name, r.Message, tc.want)
		}
	}
}

// strState is a starting state of string keys: key, value, key, value...
func strState(kv ...string) State {
	var s State
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		s = append(s, Entry{Key: kv[i], Data: Data{String: &v}})
	}
	return s
}

func TestUsesCheck(t *testing.T) {
	ctx := context.Background()
	env := &Env{Stats: map[string]int64{"incr": 1, "expire": 2, "xgroup|create": 1, "get": 3}}
	for _, tc := range []struct {
		check UsesCheck
		pass  bool
		msg   string
	}{
		{UsesCheck{Uses: Names{"incr"}}, true, ""},
		{UsesCheck{Uses: Names{"INCR", "EXPIRE"}}, true, ""},
		{UsesCheck{Uses: Names{"xgroup  create"}}, true, ""},
		{UsesCheck{Uses: Names{"INCR"}, Once: true}, true, ""},
		{UsesCheck{Uses: Names{"EXPIRE"}, Once: true}, false,
			"EXPIRE ran 2 times: the task asks for one EXPIRE command (counted by the server, calls from Lua included)"},
		{UsesCheck{Uses: Names{"PTTL", "INCR"}}, false,
			"PTTL never ran: the task asks you to use it (counted by the server, calls from Lua included)"},
	} {
		r := tc.check.Evaluate(ctx, env)
		if r.Passed != tc.pass || r.Message != tc.msg {
			t.Errorf("%s: got %v %q, want %v %q", tc.check.Name(), r.Passed, r.Message, tc.pass, tc.msg)
		}
	}
	for check, want := range map[*UsesCheck]string{
		{Uses: Names{"hset"}, Once: true}:        "uses HSET once, in one command",
		{Uses: Names{"incr", "expire"}}:          "uses INCR and EXPIRE",
		{Uses: Names{"a", "b", "c"}, Once: true}: "uses A, B and C, each once",
	} {
		if got := check.Name(); got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
}

// uses counts the command the task names, not an older form Redis keeps of
// it: a task "with SET" is not answered by GETSET or SETEX, nor one "with
// GEOSEARCH" by GEORADIUS.
func TestUsesCountsOnlyTheCommandNamed(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		uses  string
		stats map[string]int64
		pass  bool
	}{
		{"SET", map[string]int64{"set": 1}, true},
		{"SET", map[string]int64{"setex": 1}, false},
		{"SET", map[string]int64{"getset": 1}, false},
		{"GEOSEARCH", map[string]int64{"georadius": 1}, false},
		{"LMOVE", map[string]int64{"rpoplpush": 1, "lmove": 1}, true},
		{"SETEX", map[string]int64{"set": 1}, false},
		{"XGROUP CREATE", map[string]int64{"xgroup|create": 1}, true},
	} {
		r := (&UsesCheck{Uses: Names{tt.uses}, Once: true}).Evaluate(ctx, &Env{Stats: tt.stats})
		if r.Passed != tt.pass {
			t.Errorf("uses %s once, after %v: passed %v, want %v (%s)", tt.uses, tt.stats, r.Passed, tt.pass, r.Message)
		}
	}
}

// A reply whose order means nothing (SMEMBERS, HGETALL...) is compared, and
// shown, in one order whatever order the server gave.
func TestReplyCheckUnordered(t *testing.T) {
	env := &Env{File: "s.redis", Sent: []submissions.Command{cmd(1, "SMEMBERS", "tags")}, Replies: []Value{Arr(Str("b"), Str("a"))}}
	if r := (&ReplyCheck{Reply: Arr(Str("a"), Str("b")), Command: "smembers"}).Evaluate(context.Background(), env); !r.Passed {
		t.Errorf("SMEMBERS in another order: %s", r.Message)
	}
	r := (&ReplyCheck{Reply: Arr(Str("a"), Str("c")), Command: "SMEMBERS"}).Evaluate(context.Background(), env)
	if r.Passed || r.Actual != `["a", "b"]` {
		t.Errorf("a wrong member: passed %v, actual %s (want it sorted)", r.Passed, r.Actual)
	}
	lrange := &Env{File: "s.redis", Sent: []submissions.Command{cmd(1, "LRANGE", "q", "0", "-1")}, Replies: []Value{Arr(Str("b"), Str("a"))}}
	if r := (&ReplyCheck{Reply: Arr(Str("a"), Str("b")), Command: "LRANGE"}).Evaluate(context.Background(), lrange); r.Passed {
		t.Error("a list's order means something")
	}
}

// A command's reply is explained in Lua's terms only when a script gave it:
// an EXEC's short array is no Lua table stopping at a nil.
func TestReplyMismatchSpeaksLuaOnlyForScripts(t *testing.T) {
	exec := &Env{File: "s.redis", Sent: []submissions.Command{cmd(1, "EXEC")}, Replies: []Value{Arr(Int(1))}}
	r := (&ReplyCheck{Reply: Arr(Int(1), Int(2)), Command: "EXEC"}).Evaluate(context.Background(), exec)
	if r.Passed || strings.Contains(r.Message, "Lua") {
		t.Errorf("EXEC: %q", r.Message)
	}
	script := &Env{File: "s.lua", Sent: []submissions.Command{cmd(0, "EVAL", "return {1}", "0")}, Replies: []Value{Arr(Int(1))}}
	if r := (&ReplyCheck{Reply: Arr(Int(1), Int(2))}).Evaluate(context.Background(), script); !strings.Contains(r.Message, "Lua table") {
		t.Errorf("a script: %q", r.Message)
	}
}
