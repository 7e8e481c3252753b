package words

import (
	"reflect"
	"testing"
)

func TestCounts(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Count(0, "problem"), "0 problems"},
		{Count(1, "problem"), "1 problem"},
		{Count(2, "argument"), "2 arguments"},
		{Plural(1, "child", "children"), "1 child"},
		{Plural(3, "child", "children"), "3 children"},
		{Points(1), "1 point"},
		{Points(0), "0 points"},
		{Points(0.5), "0.5 points"},
		{Points(4), "4 points"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000", -999: "-999"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestNumber(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 4: "4", 2.5: "2.5", 0.125: "0.125", 1e21: "1000000000000000000000"} {
		if got := Number(f); got != want {
			t.Errorf("Number(%g) = %s, want %s", f, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{100: "100 bytes", 8000: "8,000 bytes", 1 << 20: "1 MiB", 8 << 20: "8 MiB", 1<<20 + 1: "1,048,577 bytes"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := Wrap("one two three four five six", 9)
	want := []string{"one two", "three", "four five", "six"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Wrap = %q, want %q", got, want)
	}
	if got := Wrap("a b\nc", 80); !reflect.DeepEqual(got, []string{"a b", "c"}) {
		t.Errorf("a newline starts a line: %q", got)
	}
}
