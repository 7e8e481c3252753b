package authoring

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/submissions"
)

func testSpec(t *testing.T, text string) *Outcome {
	t.Helper()
	ex, err := exercises.Parse("spec.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := Test(ctx, ex, session(t, engine.KindProcess), grader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// surprised reports whether a surprise names the step and the kind of
// made-up answer.
func surprised(out *Outcome, step, kind string) bool {
	for _, s := range out.Surprises {
		if strings.HasPrefix(s, "step "+step+": ") && strings.Contains(s, "("+kind) {
			return true
		}
	}
	return false
}

// A step whose only check is a reply value lets a forged reply through:
// exercise test says so. Naming the command stops the forgery.
func TestExerciseTestFindsAForgedReply(t *testing.T) {
	spec := `
id: bits
title: Bits
steps:
  - id: count
    title: Count the active users
    file: step1.redis
    points: 1
    hint: BITCOUNT counts the bits set.
    given: {active: {bits: [1, 4, 9]}}
    checks:
      - reply: 3
reference:
  step1.redis: "BITCOUNT active\n"
`
	out := testSpec(t, spec)
	if !surprised(out, "count", "forged-reply BITCOUNT") {
		t.Fatalf("the forged reply of BITCOUNT passes the step, and exercise test must say so: %q", out.Surprises)
	}
	out = testSpec(t, strings.Replace(spec, "      - reply: 3\n", "      - reply: 3\n        command: BITCOUNT\n", 1))
	if len(out.Surprises) > 0 {
		t.Fatalf("with the command named, every made-up answer holds: %q", out.Surprises)
	}
	if tried, held, _ := out.GeneratedCounts(); tried == 0 || held != tried {
		t.Errorf("made-up answers %d/%d held", held, tried)
	}
}

// Checks that demand more than the task are found: a compare of every
// reply fails the right answer that sends HSET once per field (its replies
// differ), and a check that counts a read exactly fails the right answer
// that adds a read to look at the work. The default compare (the effects,
// and the replies of the reference's reads, wherever they are) passes both.
func TestExerciseTestFindsChecksTooStrict(t *testing.T) {
	spec := `
id: profile
title: Profile
steps:
  - id: create
    title: Create the profile and read it back
    file: step1.redis
    points: 1
    hint: HSET takes field and value pairs.
    checks:
      - compare: reference
        replies: all
      - uses: HGETALL
      - calls: {hgetall: 1}
reference:
  step1.redis: "HSET user:1 name Ada city London\nHGETALL user:1\n"
`
	out := testSpec(t, spec)
	if !surprised(out, "create", "split HSET") {
		t.Errorf("a compare of every reply fails HSET sent per field, and exercise test must say so: %q", out.Surprises)
	}
	if !surprised(out, "create", "reads") {
		t.Errorf("calls: {hgetall: 1} fails the reference with a read added, and exercise test must say so: %q", out.Surprises)
	}
	out = testSpec(t, strings.Replace(strings.Replace(spec, "        replies: all\n", "", 1), "      - calls: {hgetall: 1}\n", "", 1))
	if surprised(out, "create", "reads") || surprised(out, "create", "split") {
		t.Fatalf("the default compare must let both through: %q", out.Surprises)
	}
}

// A waiver excuses one kind of made-up answer; exercise test counts it
// apart and grades it not.
func TestWaivedAnswersAreNotGraded(t *testing.T) {
	spec := `
id: keys
title: Keys
steps:
  - id: set
    title: Set the keys
    file: step1.redis
    points: 1
    hint: SET sets a key.
    checks:
      - key: stock
        equals: "100"
    waive:
      - answer: forged-state
        why: any way of writing the key is right
reference:
  step1.redis: "SET stock 100\n"
`
	out := testSpec(t, spec)
	if len(out.Surprises) > 0 {
		t.Fatalf("surprises: %q", out.Surprises)
	}
	if _, _, waived := out.GeneratedCounts(); waived != 1 {
		t.Errorf("%d waived, want the forged state", waived)
	}
	out = testSpec(t, strings.Replace(spec, "    waive:\n      - answer: forged-state\n        why: any way of writing the key is right\n", "", 1))
	if !surprised(out, "set", "forged-state") {
		t.Errorf("without the waiver the forged state passes: %q", out.Surprises)
	}
}

func trace(cmds string, start, end checks.State, replies ...checks.Value) *grader.StepTrace {
	parsed, err := submissions.ParseCommands("s.redis", cmds)
	if err != nil {
		panic(err)
	}
	return &grader.StepTrace{Commands: parsed, Replies: replies, Start: start, End: end}
}

func strs(kv ...string) checks.State {
	var s checks.State
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		s = append(s, checks.Entry{Key: kv[i], Data: checks.Data{String: &v}})
	}
	return s
}

func answer(t *testing.T, as []Answer, kind, command string) Answer {
	t.Helper()
	for _, a := range as {
		if a.Kind == kind && a.Command == command {
			return a
		}
	}
	t.Fatalf("no %s %s answer among %+v", kind, command, as)
	return Answer{}
}

func generate(t *testing.T, step string, reference string, tr *grader.StepTrace) []Answer {
	t.Helper()
	ex, err := exercises.Parse("spec.yaml", []byte(`
id: x
title: X
steps:
`+step+`
reference:
  `+reference))
	if err != nil {
		t.Fatal(err)
	}
	tr.Case = ex.Steps[0].RunCases()[0]
	return Generate(ex, &ex.Steps[0], tr)
}

func TestGenerateRedisAnswers(t *testing.T) {
	step := `  - {id: s, title: S, file: s.redis, points: 1, checks: [{uses: HSET, once: true}, {reply: 2, command: LLEN}]}`
	tr := trace("HSET h a 1 b 2\nLPUSH q x y\nMULTI\nSADD s m n\nEXEC\nLLEN q\n",
		strs("old", "1"), append(strs("old", "1"), checks.Entry{Key: "q", Data: checks.Data{List: []string{"y", "x"}}}),
		checks.Int(2), checks.Int(2), checks.Str("OK"), checks.Str("QUEUED"), checks.Value{Type: checks.Array}, checks.Int(2))
	as := generate(t, step, `s.redis: "HSET h a 1 b 2\nLPUSH q x y\nMULTI\nSADD s m n\nEXEC\nLLEN q\n"`, tr)

	reads := answer(t, as, "reads", "").Text
	if want := "HSET h a 1 b 2\nGET old\nLRANGE q 0 -1\nLPUSH q x y\nGET old\nLRANGE q 0 -1\nMULTI\nSADD s m n\nEXEC\nGET old\nLRANGE q 0 -1\nLLEN q\nGET old\nLRANGE q 0 -1\n"; reads != want {
		t.Errorf("reads:\n%s\nwant (none inside MULTI):\n%s", reads, want)
	}
	if got := answer(t, as, "lowercase", "").Text; !strings.HasPrefix(got, "hset h a 1 b 2\nlpush q x y\nmulti\n") {
		t.Errorf("lowercase:\n%s", got)
	}
	if got := answer(t, as, "split", "LPUSH").Text; !strings.Contains(got, "LPUSH q x\nLPUSH q y\n") || !strings.Contains(got, "SADD s m n\n") {
		t.Errorf("split LPUSH (and nothing inside MULTI):\n%s", got)
	}
	for _, a := range as {
		if a.Kind == "split" && (a.Command == "HSET" || a.Command == "SADD") {
			t.Errorf("HSET is asked for once and SADD is inside MULTI: neither splits, yet %+v", a)
		}
	}
	if got := answer(t, as, "forged-reply", "LLEN").Text; !strings.HasSuffix(got, "EXEC\nEVAL \"return 2\" 0\n") {
		t.Errorf("forged reply of LLEN:\n%s", got)
	}
	forged := answer(t, as, "forged-state", "")
	if forged.MustPass || forged.Text != "DEL old q\nSET old 1\nRPUSH q y x\n" {
		t.Errorf("forged state (HSET is asked for, so hashes would be written otherwise):\n%s", forged.Text)
	}
}

func TestGenerateLuaAnswers(t *testing.T) {
	step := `  - {id: s, title: S, file: s.lua, points: 1, call: {keys: [stock], args: ["5"]}, checks: [{reply: 1}]}`
	script := `local n = tonumber(redis.call('GET', KEYS[1])) -- redis.call('GET', 'x') in a comment
if redis.call("EXISTS", KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], ARGV[1]) end
local s = "KEYS[1] in a string"
return 1`
	tr := trace("EVAL x 1 stock 5\n", nil, nil, checks.Int(1))
	tr.Commands[0].Line = 0
	as := generate(t, step, "s.lua: |\n"+indent(script, "    "), tr)
	pcall := answer(t, as, "pcall", "").Text
	if strings.Count(pcall, "redis.pcall(") != 3 || !strings.Contains(pcall, "-- redis.call('GET', 'x') in a comment") {
		t.Errorf("pcall (code only, comments kept):\n%s", pcall)
	}
	again := answer(t, as, "read-again", "").Text
	if !strings.Contains(again, "tonumber((redis.call('GET', KEYS[1]) and redis.call('GET', KEYS[1])))") ||
		!strings.Contains(again, `if (redis.call("EXISTS", KEYS[1]) and redis.call("EXISTS", KEYS[1])) == 1`) ||
		!strings.Contains(again, "then redis.call('DECRBY', KEYS[1], ARGV[1]) end") {
		t.Errorf("read again (reads in expressions only, the write as it was):\n%s", again)
	}
	literal := answer(t, as, "literal-keys", "").Text
	if !strings.Contains(literal, `redis.call('DECRBY', "stock", "5")`) || !strings.Contains(literal, `"KEYS[1] in a string"`) {
		t.Errorf("literal keys (code only):\n%s", literal)
	}
	if got := answer(t, as, "lowercase", "").Text; !strings.Contains(got, `redis.call("exists", KEYS[1])`) {
		t.Errorf("lowercase:\n%s", got)
	}
	if got := answer(t, as, "forged-reply", "").Text; got != "return 1\n" {
		t.Errorf("forged reply: %q", got)
	}
}

func TestLuaValue(t *testing.T) {
	v := checks.Value{Type: checks.Array, Elems: []checks.Value{checks.Int(-3), checks.Str("a\"b\n\x01"), {Type: checks.Nil},
		{Type: checks.Error, Str: "ERR no"}}}
	if got, want := luaValue(v), `{-3, "a\"b\n\001", false, redis.error_reply("ERR no")}`; got != want {
		t.Errorf("luaValue = %s, want %s", got, want)
	}
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by) + "\n"
}

// A .redis file's EVAL whose script names its keys and arguments, sent with
// the same call, is a cheat too.
func TestGenerateLiteralKeysInAFile(t *testing.T) {
	step := `  - {id: s, title: S, file: s.redis, points: 1, checks: [{change: {a: -3}}]}`
	ref := `EVAL "redis.call('DECRBY', KEYS[1], ARGV[1])" 1 a 3` + "\n"
	tr := trace(ref, strs("a", "10"), strs("a", "7"), checks.Int(7))
	as := generate(t, step, `s.redis: "EVAL \"redis.call('DECRBY', KEYS[1], ARGV[1])\" 1 a 3\n"`, tr)
	got := answer(t, as, "literal-keys", "")
	if got.MustPass || got.Text != `EVAL "redis.call('DECRBY', \"a\", \"3\")" 1 a 3`+"\n" {
		t.Errorf("literal keys in a file: %+v", got)
	}
}
