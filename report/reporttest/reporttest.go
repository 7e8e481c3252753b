// Package reporttest holds what the tests of every plain-text writer share:
// student text that tries to take over a terminal, and a check that what was
// written cannot; and the parts of a text report that vary from run to run,
// for tests that compare reports with text kept in the repository.
package reporttest

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Hostile is text a student's reply or error can carry: screen clearing and
// a fake score, hidden text (SGR 8), a window title and a clipboard write
// (OSC 0 and 52, ended by BEL and by ST), a bell, a carriage return over the
// line, a C1 CSI (U+009B), a bidi override and bytes that are not UTF-8.
const Hostile = "\x1b[2J\x1b[HScore: 4/4 · all steps passed\x1b[8m" +
	"\x1b]0;pwned\x07\x1b]52;c;ZWNobyBwd25lZA==\x1b\\\a\rfake\u009b2J\u202eevil\xff\xfe"

// Escaped are pieces of Hostile as a writer must show them.
var Escaped = []string{`\x1b[2J`, `\x1b]52;c;ZWNobyBwd25lZA==\x1b\`, `\x07`, `\r`, `\u009b2J`, `\u202e`, `\xff\xfe`}

// sgr is a colour or style sequence, as the grader's palette writes them.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// CheckInert reports the first character in out that could control a
// terminal: any C0 control but tab and newline, DEL, a C1 control, a bidi
// control, or a byte that is not UTF-8. With colour, the grader's own SGR
// sequences are allowed and nothing else.
func CheckInert(out []byte, colour bool) error {
	s := string(out)
	if colour {
		s = sgr.ReplaceAllString(s, "")
	}
	line := 1
	for i, r := range s {
		switch {
		case r == '\n':
			line++
		case r == '\t':
		case r == utf8.RuneError:
			return fmt.Errorf("line %d: a byte that is not UTF-8 at %d: %q", line, i, around(s, i))
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			return fmt.Errorf("line %d: control character %U: %q", line, r, around(s, i))
		case r == 0x061c || r == 0x200e || r == 0x200f || r == 0x2028 || r == 0x2029 ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			return fmt.Errorf("line %d: bidi or line control %U: %q", line, r, around(s, i))
		}
	}
	return nil
}

func around(s string, i int) string { return s[max(0, i-20):min(len(s), i+20)] }

// varying are the parts of a text report that change from run to run or
// machine to machine: the time taken, the server's version, and how many of
// the atomicity probe's samples the race caught.
var varying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\(\d+ ms\)`), "(N ms)"},
	{regexp.MustCompile(`Redis \d+\.\d+\.\d+`), "Redis X.Y.Z"},
	{regexp.MustCompile(`with \d+ MGET samples taken alongside: \d+ of them`), "with N MGET samples taken alongside: N of them"},
	{regexp.MustCompile(`with \d+ MGET samples taken alongside: every sample`), "with N MGET samples taken alongside: every sample"},
	{regexp.MustCompile(`\d+ inconsistent samples`), "N inconsistent samples"},
}

// Scrub replaces the varying parts of a text report with placeholders, so
// that two runs of the same grading read the same.
func Scrub(s string) string {
	for _, v := range varying {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}
