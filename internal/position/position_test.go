package position

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorLine(t *testing.T) {
	for _, tt := range []struct {
		e    Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Col: 7, Msg: "bad"}, "f.yaml:3:7: bad"},
		{Error{File: "page.txt", Line: 3, Msg: "bad"}, "page.txt:3: bad"},
		{Error{File: "e.yaml", Msg: "the file is empty"}, "e.yaml: the file is empty"},
		// The source never reaches the one line editors read.
		{Error{File: "f.redis", Line: 1, Col: 6, Msg: "bad", Source: `EVAL "x`}, "f.redis:1:6: bad"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.e, got, tt.want)
		}
	}
}

// The caret stands under the column on a terminal: after a tab (kept),
// wide characters (two cells) and combining marks (none).
func TestExplainPutsTheCaretUnderTheColumn(t *testing.T) {
	for _, tt := range []struct {
		name, source string
		col          int
		caret        string
	}{
		{"ascii", `EVAL "redis.call('DECR')`, 6, "     ^"},
		{"first column", "key: 1", 1, "^"},
		{"tab kept", "\tSET k 'a'b", 10, "\t        ^"},
		{"wide characters", "SET 名前 \"x", 8, "         ^"},
		{"combining mark", "SET cafe\u0301 \"x", 11, "         ^"},
		{"past the end", "SET k", 9, "     ^"},
		{"line end dropped", "SET k \"a\r", 7, "      ^"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := &Error{File: "f", Line: 2, Col: tt.col, Msg: "m", Source: tt.source}
			want := fmt.Sprintf("f:2:%d: m\n    %s\n    %s", tt.col, strings.TrimSuffix(tt.source, "\r"), tt.caret)
			if got := e.Explain(); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestExplainWithoutSourceOrColumn(t *testing.T) {
	e := &Error{File: "f", Line: 2, Col: 3, Msg: "m"}
	if got := e.Explain(); got != "f:2:3: m" {
		t.Errorf("no source: %q", got)
	}
	e = &Error{File: "page.txt", Line: 4, Msg: "m", Source: "Progress 0 / 3 steps"}
	if got, want := e.Explain(), "page.txt:4: m\n    Progress 0 / 3 steps"; got != want {
		t.Errorf("no column: got %q, want %q", got, want)
	}
}

// A long line is cut around the column, the cuts marked, the caret still
// under the character.
func TestExplainCutsALongLine(t *testing.T) {
	line := strings.Repeat("a", 500) + "X" + strings.Repeat("b", 500)
	e := &Error{File: "f", Line: 1, Col: 501, Msg: "m", Source: line}
	lines := strings.Split(e.Explain(), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	shown, caret := []rune(lines[1]), []rune(lines[2])
	if len(shown) > len(sourceIndent)+maxShown+2 || shown[len(sourceIndent)] != '…' || shown[len(shown)-1] != '…' {
		t.Errorf("shown %q", lines[1])
	}
	if at := len(caret) - 1; caret[at] != '^' || shown[at] != 'X' {
		t.Errorf("caret at %d, under %q:\n%s\n%s", at, shown[min(at, len(shown)-1)], lines[1], lines[2])
	}
	// Near the start, nothing is cut there.
	e.Source, e.Col = line, 3
	if lines := strings.Split(e.Explain(), "\n"); !strings.HasPrefix(lines[1], sourceIndent+"aaa") || lines[2] != sourceIndent+"  ^" {
		t.Errorf("near the start:\n%s", e.Explain())
	}
}

func TestErrorsWithSource(t *testing.T) {
	text := "id: x\r\ncolour: red\n  steps: []\n"
	es := Errors{
		{File: "f.yaml", Line: 2, Col: 1, Msg: "unknown field"},
		{File: "f.yaml", Line: 3, Col: 3, Msg: "steps here"},
		{File: "f.yaml", Msg: "whole file"},
		{File: "f.yaml", Line: 9, Col: 1, Msg: "past the end"},
	}.WithSource(text)
	want := "f.yaml:2:1: unknown field\n    colour: red\n    ^\n" +
		"f.yaml:3:3: steps here\n      steps: []\n      ^\n" +
		"f.yaml: whole file\n" +
		"f.yaml:9:1: past the end"
	if got := Explain(es); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := es.Error(); strings.Count(got, "\n") != 3 || strings.Contains(got, "colour: red") {
		t.Errorf("Error() holds more than a line each:\n%s", got)
	}
	var one *Error
	if !errors.As(es, &one) || one.Line != 2 {
		t.Errorf("errors.As found %v", one)
	}
	// A wrapped error keeps its wrapping's words rather than the source.
	wrapped := fmt.Errorf("bundle: %w", es)
	if got := Explain(wrapped); got != wrapped.Error() {
		t.Errorf("wrapped: %q", got)
	}
}

func TestColumnCountsCharacters(t *testing.T) {
	line := "SET 名前 \"x"
	if got := Column(line, strings.Index(line, `"`)); got != 8 {
		t.Errorf("Column = %d, want 8", got)
	}
	if got := Column("abc", 10); got != 4 {
		t.Errorf("past the end: %d", got)
	}
}
