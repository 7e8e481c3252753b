package checks

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

func decodeValue(t *testing.T, src string) (Value, error) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	d := &yamlstrict.Decoder{File: "v.yaml"}
	var v Value
	v.UnmarshalStrict(d, n.Content[0])
	return v, d.Err()
}

func TestValueDecodesByYAMLType(t *testing.T) {
	tests := []struct{ src, want string }{
		{"99", "99"},
		{`"99"`, `"99"`},
		{"OK", `"OK"`},
		{"null", "nil"},
		{"[99, 1]", "[99, 1]"},
		{`[1, "a", null, [2]]`, `[1, "a", nil, [2]]`},
		{`{error: "ERR wrong"}`, "(error) ERR wrong"},
		{"[]", "[]"},
	}
	for _, tt := range tests {
		v, err := decodeValue(t, tt.src)
		if err != nil || v.String() != tt.want {
			t.Errorf("%s: got %s, %v; want %s", tt.src, v, err, tt.want)
		}
	}
	for _, bad := range []string{"1.5", "true", "{ok: 1}", `{error: "x", more: 1}`} {
		if _, err := decodeValue(t, bad); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestFromReply(t *testing.T) {
	tests := []struct {
		v    any
		err  error
		want string
		ok   bool
	}{
		{int64(3), nil, "3", true},
		{"3", nil, `"3"`, true},
		{nil, redis.Nil, "nil", true},
		{[]any{int64(1), "x", nil}, nil, `[1, "x", nil]`, true},
		{nil, redis.ErrClosed, "", false},
		{nil, errors.New("dial unix: no such file"), "", false},
	}
	for _, tt := range tests {
		got, ok := FromReply(tt.v, tt.err)
		if ok != tt.ok || (ok && got.String() != tt.want) {
			t.Errorf("FromReply(%v, %v) = %s, %v; want %s, %v", tt.v, tt.err, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMatchesIsTyped(t *testing.T) {
	tests := []struct {
		got, want Value
		match     bool
	}{
		{Int(99), Int(99), true},
		{Str("99"), Int(99), false},
		{Int(99), Str("99"), false},
		{Arr(Int(99), Int(1)), Arr(Int(99), Int(1)), true},
		{Arr(Int(1), Int(99)), Arr(Int(99), Int(1)), false},
		{Arr(Int(99)), Arr(Int(99), Int(1)), false},
		{Value{Type: Nil}, Value{Type: Nil}, true},
		{Value{Type: Error, Str: "ERR unknown command 'DECRR'"}, Value{Type: Error, Str: "ERR unknown command"}, true},
		{Value{Type: Error, Str: "WRONGTYPE"}, Value{Type: Error, Str: "ERR"}, false},
	}
	for _, tt := range tests {
		if got := tt.got.Matches(tt.want); got != tt.match {
			t.Errorf("%s matches %s = %v, want %v", tt.got, tt.want, got, tt.match)
		}
	}
}

func TestExplainMismatchSpeaksLua(t *testing.T) {
	tests := []struct {
		got, want Value
		contains  string
	}{
		{Str("99"), Int(99), "a Lua number becomes an integer"},
		{Arr(Str("99"), Str("1")), Arr(Int(99), Int(1)), "element 1 is a string"},
		{Arr(), Arr(Int(99), Int(1)), "stops at the first nil"},
		{Arr(Int(1), Int(99)), Arr(Int(99), Int(1)), "wrong order"},
		{Value{Type: Nil}, Arr(Int(99), Int(1)), "return statement"},
	}
	for _, tt := range tests {
		if got := explainScriptMismatch(tt.got, tt.want); !strings.Contains(got, tt.contains) {
			t.Errorf("explain(%s, %s) = %q, want it to mention %q", tt.got, tt.want, got, tt.contains)
		}
	}
	if got := explainScriptMismatch(Int(6), Int(99)); got != "" {
		t.Errorf("a plain wrong number needs no explanation, got %q", got)
	}
}

// A huge reply is shown cut, saying how much was left out.
func TestStringIsBounded(t *testing.T) {
	big := Str(strings.Repeat("x", 1<<20))
	if got := big.String(); len(got) > 300 || !strings.Contains(got, "(1048576 bytes)") {
		t.Errorf("a 1 MiB string renders as %d bytes: %.80s", len(got), got)
	}
	elems := make([]Value, 100000)
	for i := range elems {
		elems[i] = Int(int64(i))
	}
	if got := Arr(elems...).String(); len(got) > 2*maxRendered || !strings.HasSuffix(got, "more]") {
		t.Errorf("a 100,000-element array renders as %d bytes, ending %q", len(got), got[len(got)-20:])
	}
}
