package checks

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// The edges of every check kind: each bound is tested at its value and one
// past it, so that a bound moved by one (an inclusive bound made exclusive, a
// limit off by one) fails here. Exact counts (sent's times, calls, change)
// are tested on both sides in their own tests; compare's bounds in
// compare_test.go.

// A ttl check's min and max are inclusive. The TTL comes from the snapshot,
// as the grader reads it right after the run: exact, whatever the clock.
func TestEdgeTTLBoundsAreInclusive(t *testing.T) {
	envWithTTL := func(ttl int64) *Env {
		return &Env{Snapshot: &Snapshot{keys: map[string]keyRead{"session": {typ: "string", ttl: ttl}}}}
	}
	i := ptr[int64]
	tests := []struct {
		check TTLCheck
		ttl   int64
		pass  bool
	}{
		{TTLCheck{Key: "session", Min: i(10), Max: i(60)}, 9, false},
		{TTLCheck{Key: "session", Min: i(10), Max: i(60)}, 10, true},
		{TTLCheck{Key: "session", Min: i(10), Max: i(60)}, 60, true},
		{TTLCheck{Key: "session", Min: i(10), Max: i(60)}, 61, false},
		{TTLCheck{Key: "session", Min: i(60), Max: i(60)}, 60, true},
		{TTLCheck{Key: "session", Min: i(10)}, 9, false},
		{TTLCheck{Key: "session", Min: i(10)}, 10, true},
		{TTLCheck{Key: "session", Max: i(60)}, 60, true},
		{TTLCheck{Key: "session", Max: i(60)}, 61, false},
		{TTLCheck{Key: "session", Max: i(60)}, 0, true},   // expiring this second: still within 60
		{TTLCheck{Key: "session", Max: i(60)}, -1, false}, // no expiry is not "within 60"
		{TTLCheck{Key: "session", Min: i(10)}, -1, false},
		{TTLCheck{Key: "session", Min: i(0)}, -2, false}, // no such key
		{TTLCheck{Key: "session", None: true}, -1, true},
		{TTLCheck{Key: "session", None: true}, 0, false},
		{TTLCheck{Key: "session", None: true}, -2, false},
	}
	for _, tt := range tests {
		r := tt.check.Evaluate(context.Background(), envWithTTL(tt.ttl))
		if r.Passed != tt.pass {
			t.Errorf("%s with a TTL of %d: passed %v (%s), want %v", tt.check.Name(), tt.ttl, r.Passed, r.Message, tt.pass)
		}
	}
}

// decodeChecks decodes a spec's list of checks, with its validation.
func decodeChecks(t *testing.T, src string) error {
	t.Helper()
	n, err := yamlstrict.Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d := &yamlstrict.Decoder{File: "c.yaml"}
	var l List
	d.Decode(n, &l)
	return d.Err()
}

// What a spec may ask for, at each edge of what validation allows.
func TestEdgeValidation(t *testing.T) {
	tests := []struct {
		src string
		err string // "" when valid
	}{
		{"- ttl: k\n  min: 60\n  max: 60", ""},
		{"- ttl: k\n  min: 61\n  max: 60", "min 61 is above max 60"},
		{"- sent: DECR\n  times: 0", ""},
		{"- sent: DECR\n  times: -1", "times must not be negative"},
		{"- atomic: [a]", "at least two keys"},
		{"- atomic: [a, b]", ""},
		{"- atomic: [a, b]\n  clients: 2\n  runs: 2", ""},
		{"- atomic: [a, b]\n  clients: 1\n  runs: 2", "clients must be between 2 and 64"},
		{"- atomic: [a, b]\n  clients: 64\n  runs: 64", ""},
		{"- atomic: [a, b]\n  clients: 65\n  runs: 65", "clients must be between 2 and 64"},
		{"- atomic: [a, b]\n  clients: 8\n  runs: 7", "runs must be between clients and 100000"},
		{"- atomic: [a, b]\n  clients: 8\n  runs: 100000", ""},
		{"- atomic: [a, b]\n  clients: 8\n  runs: 100001", "runs must be between clients and 100000"},
	}
	for _, tt := range tests {
		err := decodeChecks(t, tt.src)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.err)
		}
	}
}

// A reply matches only a reply of its type, every element, and an expected
// error matches the errors that start with its text.
func TestEdgeRepliesAreTyped(t *testing.T) {
	tests := []struct {
		got, want Value
		match     bool
	}{
		{Arr(Int(99), Int(1), Int(2)), Arr(Int(99), Int(1)), false}, // longer
		{Arr(), Arr(), true},
		{Arr(), Value{Type: Nil}, false},
		{Str(""), Value{Type: Nil}, false},
		{Int(0), Value{Type: Nil}, false},
		{Int(0), Str("0"), false},
		{Value{Type: Error, Str: "OUTOFSTOCK"}, Value{Type: Error, Str: "OUTOFSTOCK"}, true},              // the whole text
		{Value{Type: Error, Str: "OUTOFSTOCK"}, Value{Type: Error, Str: "OUTOFSTOCK only 3 left"}, false}, // more than the text
		{Value{Type: Error, Str: "ERR OUTOFSTOCK"}, Value{Type: Error, Str: "OUTOFSTOCK"}, false},         // a prefix, not a part
		{Str("OUTOFSTOCK"), Value{Type: Error, Str: "OUTOFSTOCK"}, false},                                 // a string is not an error
		{Arr(Int(70), Value{Type: Error, Str: "ERR value is not an integer or out of range"}), Arr(Int(70), Value{Type: Error, Str: "ERR value is not an integer"}), true},
	}
	for _, tt := range tests {
		if got := tt.got.Matches(tt.want); got != tt.match {
			t.Errorf("%s matches %s = %v, want %v", tt.got, tt.want, got, tt.match)
		}
	}
}

// The bounds on what the checks read of a student's value, at their edges
// on a real server: a value at the bound is read whole and compared, one
// byte, element or key past it is too large, and says so.
func TestEdgeReadBounds(t *testing.T) {
	env := serverEnv(t, engine.KindProcess)
	ctx := context.Background()
	if err := restoreKeys(ctx, env.Admin, nil); err != nil {
		t.Fatal(err)
	}
	evaluate := func(c Check) Result {
		// Both ways the grader reads: from the snapshot taken right after the run, and from the server.
		r := c.Evaluate(ctx, env)
		snap, err := PlanReads(List{c}, nil).Read(ctx, env.Admin)
		if err != nil {
			t.Fatal(err)
		}
		withSnap := *env
		withSnap.Snapshot = snap
		if rs := c.Evaluate(ctx, &withSnap); rs.Passed != r.Passed || rs.Message != r.Message {
			t.Errorf("%.60s: from the snapshot %v %.200q, from the server %v %.200q", c.Name(), rs.Passed, rs.Message, r.Passed, r.Message)
		}
		return r
	}

	t.Run("string", func(t *testing.T) {
		for _, tt := range []struct {
			size int
			msg  string
		}{
			{MaxStringRead, `key s is "yyyy`},
			{MaxStringRead + 1, `key s holds 65,537 bytes: too large to be "x"`},
		} {
			env.Admin.Set(ctx, "s", strings.Repeat("y", tt.size), 0)
			if r := evaluate(&KeyCheck{Key: "s", Equals: ptr("x")}); r.Passed || !strings.HasPrefix(r.Message, tt.msg) {
				t.Errorf("%d bytes: %v %.100q, want a failure saying %q", tt.size, r.Passed, r.Message, tt.msg)
			}
			// A value as long as the one expected is read whole, however long.
			if r := evaluate(&KeyCheck{Key: "s", Equals: ptr(strings.Repeat("y", tt.size))}); !r.Passed {
				t.Errorf("%d bytes, expected as they are: %.200q", tt.size, r.Message)
			}
		}
	})

	t.Run("integer", func(t *testing.T) {
		// The longest int64 is 20 bytes; 21 bytes is never one, even "000000000000000000001" (Redis agrees).
		env.Given = strState("n", "-9223372036854775807")
		env.Admin.Set(ctx, "n", "-9223372036854775808", 0)
		if r := evaluate(&ChangeCheck{Change: Counts{{"n", -1}}}); !r.Passed {
			t.Errorf("20 bytes: %s", r.Message)
		}
		env.Given = strState("n", "0")
		env.Admin.Set(ctx, "n", "000000000000000000001", 0)
		if r := evaluate(&ChangeCheck{Change: Counts{{"n", 1}}}); r.Passed || !strings.Contains(r.Message, "key n holds 21 bytes, not an integer") {
			t.Errorf("21 bytes: %v %q", r.Passed, r.Message)
		}
		env.Given = nil
	})

	t.Run("elements", func(t *testing.T) {
		elems := make([]string, maxElementsRead+1)
		args := make([]any, len(elems))
		for i := range elems {
			elems[i] = strconv.Itoa(i)
			args[i] = elems[i]
		}
		env.Admin.Del(ctx, "q")
		env.Admin.RPush(ctx, "q", args[:maxElementsRead]...)
		if r := evaluate(&KeyCheck{Key: "q", List: elems[:maxElementsRead]}); !r.Passed {
			t.Errorf("%d elements: %.200q", maxElementsRead, r.Message)
		}
		env.Admin.RPush(ctx, "q", args[maxElementsRead])
		if r := evaluate(&KeyCheck{Key: "q", List: elems}); r.Passed || !strings.HasPrefix(r.Message, "key q holds 10,001 elements: too large to be") {
			t.Errorf("%d elements: %v %.200q", maxElementsRead+1, r.Passed, r.Message)
		}
	})

	t.Run("keys", func(t *testing.T) {
		if err := restoreKeys(ctx, env.Admin, nil); err != nil {
			t.Fatal(err)
		}
		names := make([]string, keysLimit+1)
		pairs := make([]any, 0, 2*len(names))
		for i := range names {
			names[i] = "k" + strconv.Itoa(i)
			pairs = append(pairs, names[i], "1")
		}
		env.Admin.MSet(ctx, pairs[:2*keysLimit]...)
		if r := evaluate(&KeysCheck{Keys: names[:keysLimit]}); !r.Passed {
			t.Errorf("%d keys: %.200q", keysLimit, r.Message)
		}
		env.Admin.Set(ctx, names[keysLimit], "1", 0)
		if r := evaluate(&KeysCheck{Keys: names}); r.Passed || r.Message != "database 0 holds 1,001 keys: too many to be the 1001 expected" {
			t.Errorf("%d keys: %v %.200q", keysLimit+1, r.Passed, r.Message)
		}
	})
}
