package suggest

import "testing"

func TestClosest(t *testing.T) {
	exercises := []string{"leaderboard", "lua-atomicity", "lua-keys-argv", "multi-exec-transfer", "rate-limiter", "redis-functions", "watch-retry"}
	commands := []string{"SET", "GET", "DEL", "INCR", "DECR", "EVAL", "EVALSHA", "HSET", "MSET"}
	for _, tc := range []struct {
		input      string
		candidates []string
		want       string // "" for no suggestion
	}{
		{"lua-atomicty", exercises, "lua-atomicity"},   // a letter left out
		{"lua-atomicitiy", exercises, "lua-atomicity"}, // one too many
		{"lua-atmoicity", exercises, "lua-atomicity"},  // two swapped
		{"Lua-Atomicity", exercises, "lua-atomicity"},  // case only
		{"leaderbord", exercises, "leaderboard"},
		{"rate", exercises, "rate-limiter"}, // the start of one name
		{"lua", exercises, ""},              // the start of two
		{"jsn", []string{"json", "junit", "tap", "text"}, "json"},
		{"classrom", []string{"classroom", "exercism", "json"}, "classroom"},
		{"proces", []string{"auto", "process", "embedded", "docker"}, "process"},
		{"STE", commands, "SET"},
		{"EVLA", commands, "EVAL"},
		{"incrr", commands, "INCR"},
		{"ZADD", commands, ""}, // nothing near
		{"ET", commands, ""},   // GET and SET both one edit away: no guess
		{"completely-different", exercises, ""},
		{"", exercises, ""},
	} {
		got, ok := Closest(tc.input, tc.candidates)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("Closest(%q) = %q, %v; want %q", tc.input, got, ok, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "", 3}, {"", "ab", 2},
		{"kitten", "sitting", 3}, {"ab", "ba", 1}, {"abcd", "acbd", 1}, {"ca", "abc", 3},
		{"über", "uber", 1},
	} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestHint(t *testing.T) {
	if got := Hint("jsn", []string{"json", "text"}); got != ` (did you mean "json"?)` {
		t.Errorf("Hint = %q", got)
	}
	if got := Hint("xml", []string{"json", "text"}); got != "" {
		t.Errorf("Hint = %q, want none", got)
	}
}
