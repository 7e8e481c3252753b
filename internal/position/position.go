// Package position is the one error type for a problem at a place in a
// file, "file:line:col: message": a spec's (internal/yamlstrict), a .redis
// file's (submissions), an imported page's (authoring). Error gives that
// one line, as editors and CI logs read it; Explain adds, where the code
// that found the problem had the file at hand, the source line and a caret
// under the column, as charmbracelet/vhs shows its parse errors.
package position

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Error is a problem at a place in a file.
type Error struct {
	File string
	Line int // from 1; 0 for the file as a whole
	Col  int // from 1, in characters of the line; 0 for the line as a whole
	Msg  string
	// Source is line Line of the file, where the code that found the
	// problem had the file at hand ("" where not): Explain shows it.
	Source string
}

// Error reads "file:line:col: message", "file:line: message" without a
// column, "file: message" without a line.
func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Col == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// sourceIndent sets the source line and its caret off from the message.
const sourceIndent = "    "

// Explain is Error's line, then the source line and, under its column, a
// caret:
//
//	step3.redis:1:6: unbalanced double quote
//	    EVAL "redis.call('DECR', 'stock')
//	         ^
//
// A line longer than maxShown characters is cut around the column, the
// cuts marked with "…". Without a source it is Error's line alone.
func (e *Error) Explain() string {
	if e.Source == "" || e.Line == 0 {
		return e.Error()
	}
	shown, caretAt := window(strings.TrimRight(e.Source, "\r\n"), e.Col)
	out := e.Error() + "\n" + sourceIndent + shown
	if caretAt > 0 {
		out += "\n" + sourceIndent + padding(shown, caretAt) + "^"
	}
	return out
}

// maxShown bounds the source shown: a line can be as long as the file.
const maxShown = 100

// window returns the part of line to show and the column of the caret in
// it (0: none).
func window(line string, col int) (string, int) {
	runes := []rune(line)
	if col > len(runes)+1 {
		col = len(runes) + 1 // past the end: the caret at the end
	}
	if len(runes) <= maxShown {
		return line, col
	}
	start := 0
	if col > maxShown*2/3 {
		start = col - 1 - maxShown*2/3
	}
	end := min(len(runes), start+maxShown)
	shown := string(runes[start:end])
	if end < len(runes) {
		shown += "…"
	}
	if start > 0 {
		shown = "…" + shown
		col = col - start + 1
	}
	if col <= 0 {
		col = 0
	}
	return shown, col
}

// padding is what goes before the caret to stand under column col of
// shown on a terminal: a tab for a tab, two spaces for a wide character,
// nothing for a combining mark, else a space.
func padding(shown string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range shown {
		if n++; n >= col {
			break
		}
		switch {
		case r == '\t':
			b.WriteByte('\t')
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		case isWide(r):
			b.WriteString("  ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func isWide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth
}

// Errors is every problem found in a file, in file order.
type Errors []*Error

// Error is the errors' lines, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Explain is each error explained, one after the other.
func (es Errors) Explain() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Explain()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// WithSource gives each error with a line its source line from text, the
// file they are about.
func (es Errors) WithSource(text string) Errors {
	lines := strings.Split(text, "\n")
	for _, e := range es {
		e.setSource(lines)
	}
	return es
}

// WithSource gives e its source line from text, the file it is about.
func (e *Error) WithSource(text string) *Error {
	e.setSource(strings.SplitN(text, "\n", e.Line+1))
	return e
}

func (e *Error) setSource(lines []string) {
	if e.Line > 0 && e.Line <= len(lines) && e.Source == "" {
		e.Source = strings.TrimSuffix(lines[e.Line-1], "\r")
	}
}

// Explain is err as a person reads it: an *Error or Errors explained with
// their source lines, any other error (a wrapped one too: its wrapping
// says more than the position) its own text.
func Explain(err error) string {
	if x, ok := err.(interface{ Explain() string }); ok {
		return x.Explain()
	}
	return err.Error()
}

// Column is the character column of byte offset i of line, from 1: what
// Error's Col counts.
func Column(line string, i int) int {
	return utf8.RuneCountInString(line[:min(i, len(line))]) + 1
}
