package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// demoRow returns the numbers of a summary row: runs, samples, inconsistent
// reads, lost updates, final stock, final sales.
func demoRow(t *testing.T, out, way string) []int {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, way+" ") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, way))
		if len(f) != 6 {
			continue // a progress line, not the table
		}
		nums := make([]int, len(f))
		ok := true
		for i, s := range f {
			n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
			if err != nil {
				ok = false
				break
			}
			nums[i] = n
		}
		if ok {
			return nums
		}
	}
	t.Fatalf("no summary row for %q in:\n%s", way, out)
	return nil
}

// In a terminal the demo redraws one line per way as it runs, then shows the
// table: updates lost by GET then SET, none lost and no inconsistent read
// with the Lua script.
func TestDemoInTerminal(t *testing.T) {
	term := newTerminal(t, t.TempDir(), 80) // a classic terminal: live lines must not wrap
	out, code := term.run("redisgrade demo lua-atomicity --engine process", time.Minute)
	if code != 0 {
		t.Fatalf("demo: exit %d", code)
	}
	flat := strings.Join(strings.Fields(out), " ")
	mustContain(t, "demo", flat, "process engine, Redis", "Selling 1000 units from 8 clients at once",
		"runs samples inconsistent lost final final reads updates stock sales", "Why: without Lua", "A Lua script runs on the server as one step")
	rmw := demoRow(t, out, "GET then SET (client)")
	two := demoRow(t, out, "DECR, INCR (2 commands)")
	lua := demoRow(t, out, "Lua script (EVAL)")
	if rmw[0] != 1000 || rmw[3] == 0 || rmw[4] == 0 && rmw[5] == 1000 {
		t.Errorf("GET then SET: runs %d, lost %d, final %d/%d: lost updates expected", rmw[0], rmw[3], rmw[4], rmw[5])
	}
	if two[3] != 0 || two[4] != 0 || two[5] != 1000 {
		t.Errorf("DECR, INCR row %v: no update is lost", two)
	}
	if lua[0] != 1000 || lua[2] != 0 || lua[3] != 0 || lua[4] != 0 || lua[5] != 1000 {
		t.Errorf("Lua row %v: want 1000 runs, 0 inconsistent, 0 lost, stock 0, sales 1000", lua)
	}
	// Live: each way's line was redrawn in place, so it shows once, finished,
	// and no line is wider than the terminal.
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("a line of %d columns in an 80-column terminal: %q", n, line)
		}
	}
	for i, way := range []string{"GET then SET (client)", "DECR, INCR (2 commands)", "Lua script (EVAL)"} {
		live := strconv.Itoa(i+1) + ". " + way
		if n := strings.Count(out, live); n != 1 || !strings.Contains(out, live) || !strings.Contains(out[strings.Index(out, live):], "1000/1000 ·") {
			t.Errorf("live line %q shows %d times:\n%s", live, n, out)
		}
	}
	if !strings.Contains(term.history(true), "\x1b[") {
		t.Error("no colour on a terminal")
	}
}

// Piped (not a terminal), on the emulator: plain lines, no redraws, the same table.
func TestDemoPlainEmbedded(t *testing.T) {
	code, out, stderr := runCLI(t, "demo", "lua-atomicity", "--engine", "embedded", "--runs", "600")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "\r") || strings.Contains(out, "\x1b[") {
		t.Errorf("redraws or colour in piped output:\n%q", out)
	}
	mustContain(t, "demo", out, "embedded engine", "1. GET then SET (client): 600 runs", "3. Lua script (EVAL): 600 runs")
	if rmw := demoRow(t, out, "GET then SET (client)"); rmw[3] == 0 {
		t.Errorf("GET then SET lost no update on the emulator: %v", rmw)
	}
	if lua := demoRow(t, out, "Lua script (EVAL)"); lua[2] != 0 || lua[3] != 0 || lua[4] != 400 || lua[5] != 600 {
		t.Errorf("Lua row %v", lua)
	}
}

func TestDemoBadInput(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"demo", "nope"}, `no demo for "nope" (demos: lua-atomicity)`},
		{[]string{"demo", "--clients", "1"}, "--clients must be between 2 and 64"},
		{[]string{"demo", "--runs", "3"}, "--runs must be between --clients and 100000"},
		{[]string{"demo", "--engine", "vm"}, "--engine"},
		{[]string{"demo", "--color", "pink"}, `--color: unknown colour mode "pink"`},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.stderr)
		}
	}
}
