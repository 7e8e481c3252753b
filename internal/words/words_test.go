package words

import "testing"

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
