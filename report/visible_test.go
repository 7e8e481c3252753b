package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/report/reporttest"
)

func TestVisible(t *testing.T) {
	for _, tt := range []struct{ in, want, line string }{
		{"plain text", "plain text", "plain text"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab", `two\nlines` + "\tand a tab"},
		{"\x1b[2J\a\r\x00\x7f", `\x1b[2J\x07\r\x00\x7f`, `\x1b[2J\x07\r\x00\x7f`},
		{"\u009b2J \u0085", `\u009b2J \u0085`, `\u009b2J \u0085`},
		{"a\u202eb\u2066c\u2069\u2028", `a\u202eb\u2066c\u2069\u2028`, `a\u202eb\u2066c\u2069\u2028`},
		{"bad \xff\xfe é ✘", `bad \xff\xfe é ✘`, `bad \xff\xfe é ✘`},
		{"\xe2\x9c", `\xe2\x9c`, `\xe2\x9c`}, // a character cut short
	} {
		if got := Visible(tt.in); got != tt.want {
			t.Errorf("Visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := VisibleLine(tt.in); got != tt.line {
			t.Errorf("VisibleLine(%q) = %q, want %q", tt.in, got, tt.line)
		}
	}
}

// hostile is sample() with student text that tries to take over the
// terminal wherever a student's submission reaches the report.
func hostile() *Report {
	r := sample()
	r.Submission = "alice" + reporttest.Hostile
	s := &r.Steps[1]
	s.Keyspace = "stock (string) " + reporttest.Hostile
	s.Note = "note " + reporttest.Hostile
	c := &s.Checks[0]
	c.Message = "the reply was (error) " + reporttest.Hostile
	c.Actual = "(error) " + reporttest.Hostile
	c.Why = "why " + reporttest.Hostile
	r.Steps[2].Checks[0].Message = "probe saw " + reporttest.Hostile
	return r
}

func hostileUnreadable() *Report {
	r := sampleUnreadable()
	r.Submission = "bob" + reporttest.Hostile
	r.ReadErrors = []string{"entry " + reporttest.Hostile + ".redis: not a regular file"}
	return r
}

// Every plain-text writer shows the student's control characters as
// visible escapes, and keeps its own colours.
func TestWritersShowControlsAsEscapes(t *testing.T) {
	for _, format := range []string{"text", "classroom", "tap", "junit"} {
		for _, opts := range []Options{{}, {Color: true, Verbose: true}} {
			for name, r := range map[string]*Report{"graded": hostile(), "unreadable": hostileUnreadable()} {
				w, err := Lookup(format)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := w(&buf, r, opts); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				colour := opts.Color && format == "text"
				if err := reporttest.CheckInert(buf.Bytes(), colour); err != nil {
					t.Errorf("%s (%s, colour %v): %v", format, name, opts.Color, err)
				}
				for _, want := range reporttest.Escaped {
					if format == "junit" {
						want = xmlEscaped(t, want)
					}
					if !strings.Contains(buf.String(), want) {
						t.Errorf("%s (%s): %q is not shown:\n%s", format, name, want, buf.String())
					}
				}
				if colour && !bytes.Contains(buf.Bytes(), []byte("\x1b[31;1m")) {
					t.Errorf("%s: the grader's own colours are gone", format)
				}
			}
		}
	}
}

func xmlEscaped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
