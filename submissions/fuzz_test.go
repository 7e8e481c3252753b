package submissions

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseCommands checks that parsing never panics, that its results are
// well formed, and that quoting any arguments and parsing them back gives
// the same arguments. Seeds live in testdata/fuzz/FuzzParseCommands.
func FuzzParseCommands(f *testing.F) {
	f.Add("SET a b\nGET a")
	f.Fuzz(func(t *testing.T, text string) {
		cmds, err := ParseCommands("f.redis", text)
		lines := strings.Count(text, "\n") + 1
		if err != nil {
			checkParseErrors(t, cmds, err, lines)
		} else {
			checkCommands(t, cmds, lines)
		}
		// Two ways to cut the input into arguments, so that arguments can
		// hold spaces (first) and newlines (second).
		for _, args := range [][]string{strings.Split(text, "\n"), strings.Split(text, " ")} {
			roundTrip(t, quoteHex, args)
			roundTrip(t, quoteRepr, args)
			roundTrip(t, Quote, args)
		}
	})
}

func checkCommands(t *testing.T, cmds []Command, lines int) {
	t.Helper()
	if len(cmds) > maxCommands {
		t.Fatalf("%d commands, over the limit of %d", len(cmds), maxCommands)
	}
	prev := 1
	for _, c := range cmds {
		if len(c.Args) == 0 {
			t.Fatalf("command on line %d has no arguments", c.Line)
		}
		if c.Line < prev || c.Line > lines {
			t.Fatalf("command line %d out of order or range (previous %d, %d lines)", c.Line, prev, lines)
		}
		prev = c.Line
	}
}

func checkParseErrors(t *testing.T, cmds []Command, err error, lines int) {
	t.Helper()
	if cmds != nil {
		t.Fatalf("commands returned along with error %v", err)
	}
	var pes ParseErrors
	if !errors.As(err, &pes) {
		t.Fatalf("error %T is not ParseErrors", err)
	}
	if len(pes) == 0 || len(pes) > maxErrors {
		t.Fatalf("%d errors", len(pes))
	}
	prev := 0
	for _, pe := range pes {
		if pe.File != "f.redis" || pe.Msg == "" || pe.Col < 1 || pe.Line <= prev || pe.Line > lines {
			t.Fatalf("bad error %+v (previous line %d, %d lines)", *pe, prev, lines)
		}
		prev = pe.Line
	}
}
