package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefix(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // é is 2 bytes: not cut in two
		{"héllo", 3, "hé"},
		{"日本語", 4, "日"},
		{"日本語", 2, ""},
		{"abc", 0, ""},
		{"abc", -1, ""},
	}
	for _, tt := range tests {
		if got := Prefix(tt.s, tt.n); got != tt.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	if got := Text("short", 60); got != "short" {
		t.Errorf("a text that fits changed: %q", got)
	}
	// A 60-byte cut that falls in the middle of a character.
	long := strings.Repeat("a", 59) + "é" + strings.Repeat("b", 10)
	got := Text(long, 60)
	if got != strings.Repeat("a", 59)+"…" || !utf8.ValidString(got) {
		t.Errorf("Text = %q", got)
	}
}
