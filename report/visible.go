package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Student text is data, never a terminal escape: a reply, an error or a file
// name may hold ESC, BEL or an OSC sequence that would clear the screen,
// print a fake score, hide the lines after it or set the clipboard (OSC 52).
// Every plain-text writer shows such characters as visible escapes instead;
// the grader's own colours are added afterwards and stay.

// Visible returns s with every character that can control a terminal or
// reorder what it shows written as a visible escape: C0 controls but tab and
// newline (\x1b, \r), DEL (\x7f), C1 controls (\u009b), bidi overrides and
// isolates and line separators (\u202e), and bytes that are not UTF-8
// (\xff). Newlines stay: writers indent each line of a message.
func Visible(s string) string { return visible(s, false) }

// VisibleLine is Visible for text that must stay on one line (a name, a
// title, a value after "actual:"): a newline is shown as \n too.
func VisibleLine(s string) string { return visible(s, true) }

func visible(s string, oneLine bool) string {
	if isPlain(s, oneLine) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && !oneLine, r == '\t':
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case controlRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s needs no escape, cheaply for the usual ASCII text.
func isPlain(s string, oneLine bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\t', c == '\n' && !oneLine:
		case c < 0x20 || c == 0x7f:
			return false
		case c >= utf8.RuneSelf:
			// Decode the rest properly.
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 && r != '\t' && (r != '\n' || oneLine) || r == 0x7f || controlRune(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}

// controlRune reports the non-ASCII characters that act on a terminal or on
// the order and lines of what it shows: C1 controls (U+009B is CSI on
// terminals that read 8-bit controls), bidi embeddings, overrides, isolates
// and marks ("Trojan Source", CVE-2021-42574), and the Unicode line and
// paragraph separators.
func controlRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Printable returns a copy of the report with all its text passed through
// VisibleLine (the submission's name, files, expected and actual values) or
// Visible (the rest: the spec's titles and check names may have lines of
// their own), for a writer whose output a terminal or a CI log shows.
func (r *Report) Printable() *Report {
	c := *r
	c.Exercise, c.Title, c.Submission = VisibleLine(r.Exercise), Visible(r.Title), VisibleLine(r.Submission)
	c.Engine.Kind, c.Engine.Version = VisibleLine(r.Engine.Kind), VisibleLine(r.Engine.Version)
	c.Engine.Server, c.Engine.Compatible = VisibleLine(r.Engine.Server), VisibleLine(r.Engine.Compatible)
	c.ReadErrors = make([]string, len(r.ReadErrors))
	for i, e := range r.ReadErrors {
		c.ReadErrors[i] = Visible(e)
	}
	if r.ReadErrors == nil {
		c.ReadErrors = nil
	}
	if r.Notes != nil {
		c.Notes = make([]string, len(r.Notes))
		for i, n := range r.Notes {
			c.Notes[i] = VisibleLine(n)
		}
	}
	c.Steps = make([]Step, len(r.Steps))
	for i, s := range r.Steps {
		s.ID, s.Title, s.File = VisibleLine(s.ID), Visible(s.Title), VisibleLine(s.File)
		s.Hint, s.Keyspace, s.Note = Visible(s.Hint), Visible(s.Keyspace), Visible(s.Note)
		checks := make([]Check, len(s.Checks))
		for j, ch := range s.Checks {
			ch.Case, ch.Name, ch.Expected, ch.Actual = VisibleLine(ch.Case), Visible(ch.Name), VisibleLine(ch.Expected), VisibleLine(ch.Actual)
			ch.Message, ch.Why = Visible(ch.Message), Visible(ch.Why)
			checks[j] = ch
		}
		s.Checks = checks
		s.Signature, s.Mistake = VisibleLine(s.Signature), visibleMistake(s.Mistake)
		c.Steps[i] = s
	}
	return &c
}

// VisibleWriter returns a writer that passes what is written to it through
// Visible: for a command whose output is made of text it does not trust
// (a spec's titles, tasks and hints) and holds no colours of its own. Each
// Write must hold whole characters, as one fmt.Fprintf call does.
func VisibleWriter(w io.Writer) io.Writer { return visibleWriter{w} }

type visibleWriter struct{ w io.Writer }

func (v visibleWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(v.w, Visible(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
