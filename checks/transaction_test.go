package checks

import (
	"slices"
	"testing"
)

// A command queued in a transaction has its result in EXEC's reply, or
// none when the transaction did not run.
func TestSettle(t *testing.T) {
	queued, ok, null := Str("QUEUED"), Str("OK"), Value{Type: Nil}
	arr := func(vs ...Value) Value { return Value{Type: Array, Elems: vs} }
	abort := Value{Type: Error, Str: "EXECABORT Transaction discarded because of previous errors."}
	wrongArgs := Value{Type: Error, Str: "ERR wrong number of arguments for 'incr' command"}
	for _, tt := range []struct {
		name    string
		cmds    [][]string
		replies []Value
		want    []Value
	}{
		{"no transaction", [][]string{{"INCR", "a"}, {"GET", "a"}}, []Value{Int(1), Str("1")}, []Value{Int(1), Str("1")}},
		{"run", [][]string{{"multi"}, {"INCR", "a"}, {"GET", "a"}, {"exec"}, {"GET", "a"}},
			[]Value{ok, queued, queued, arr(Int(1), Str("1")), Str("1")},
			[]Value{ok, Int(1), Str("1"), arr(Int(1), Str("1")), Str("1")}},
		{"a runtime error in EXEC's reply", [][]string{{"MULTI"}, {"DECRBY", "a", "30"}, {"INCRBY", "b", "30"}, {"EXEC"}},
			[]Value{ok, queued, queued, arr(Int(70), Value{Type: Error, Str: "ERR value is not an integer"})},
			[]Value{ok, Int(70), Value{Type: Error, Str: "ERR value is not an integer"}, arr(Int(70), Value{Type: Error, Str: "ERR value is not an integer"})}},
		{"refused by WATCH", [][]string{{"WATCH", "a"}, {"MULTI"}, {"INCR", "a"}, {"EXEC"}},
			[]Value{ok, ok, queued, null}, []Value{ok, ok, null, null}},
		{"discarded", [][]string{{"MULTI"}, {"INCR", "a"}, {"DISCARD"}, {"INCR", "a"}},
			[]Value{ok, queued, ok, Int(1)}, []Value{ok, null, ok, Int(1)}},
		{"aborted: a queuing error", [][]string{{"MULTI"}, {"INCR"}, {"INCR", "a"}, {"EXEC"}},
			[]Value{ok, wrongArgs, queued, abort}, []Value{ok, wrongArgs, abort, abort}},
		{"never ended", [][]string{{"MULTI"}, {"INCR", "a"}}, []Value{ok, queued}, []Value{ok, queued}},
		{"a string QUEUED outside a transaction", [][]string{{"GET", "a"}}, []Value{queued}, []Value{queued}},
	} {
		got := Settle(sent(tt.cmds...), tt.replies)
		if !slices.EqualFunc(got, tt.want, func(a, b Value) bool { return a.String() == b.String() }) {
			t.Errorf("%s: Settle = %v, want %v", tt.name, got, tt.want)
		}
	}
}
