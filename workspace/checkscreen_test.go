package workspace

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/report/reporttest"
)

// The check screen shows a student's control characters as visible escapes,
// in colour and without; its own colours stay.
func TestRenderCheckShowsControlsAsEscapes(t *testing.T) {
	ex := loadLua(t)
	dir := t.TempDir()
	ws, err := Init(dir, ex, "lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "step2.lua"), []byte("return redis.error_reply('x')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{
		Exercise: "lua-atomicity", Title: ex.Title,
		Steps: []report.Step{
			{ID: "setup", Title: ex.Steps[0].Title, File: "step1.redis", Passed: true, Score: 1, MaxScore: 1},
			{ID: "script", Title: ex.Steps[1].Title, File: "step2.lua", MaxScore: 1,
				Keyspace: "stock (string) " + reporttest.Hostile, Note: "note " + reporttest.Hostile,
				Checks: []report.Check{
					{Case: "stock=100 sales=0", Name: "commands run without errors", Message: "(error) " + reporttest.Hostile,
						Expected: "no error", Actual: "(error) " + reporttest.Hostile, Why: "why " + reporttest.Hostile},
				}},
		},
	}
	for _, colour := range []bool{false, true} {
		var out bytes.Buffer
		if err := ws.RenderCheck(&out, ex, rep, colour); err != nil {
			t.Fatal(err)
		}
		if err := reporttest.CheckInert(out.Bytes(), colour); err != nil {
			t.Errorf("colour %v: %v\n%s", colour, err, out.String())
		}
		// wrap may break a long line between the pieces: compare without the
		// breaks and indents it adds.
		flat := strings.Join(strings.Fields(out.String()), "")
		for _, want := range reporttest.Escaped {
			if !strings.Contains(flat, strings.Join(strings.Fields(want), "")) {
				t.Errorf("colour %v: %q is not shown:\n%s", colour, want, out.String())
			}
		}
		if colour != bytes.Contains(out.Bytes(), []byte("\x1b[")) {
			t.Errorf("colour %v, and the screen's own colours are %v", colour, !colour)
		}
	}
}

// A message's lines of the student's file, and the caret under one, are
// set out as they are: wrapping would move the caret off its column.
func TestRenderCheckKeepsTheCaretUnderItsColumn(t *testing.T) {
	ex := loadLua(t)
	dir := t.TempDir()
	ws, err := Init(dir, ex, "lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "step1.redis"), []byte("SET stock \"100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := "step1.redis:1:11: unbalanced double quote\n    SET stock \"100 and a line long enough that wrapping it would break it in two\n              ^"
	rep := &report.Report{
		Exercise: "lua-atomicity", Title: ex.Title,
		Steps: []report.Step{{ID: "setup", Title: ex.Steps[0].Title, File: "step1.redis", MaxScore: 1,
			Checks: []report.Check{{Name: "step1.redis parses as redis-cli commands", Message: msg}}}},
	}
	var out bytes.Buffer
	if err := ws.RenderCheck(&out, ex, rep, false); err != nil {
		t.Fatal(err)
	}
	want := "        step1.redis:1:11: unbalanced double quote\n" +
		"            SET stock \"100 and a line long enough that wrapping it would break it in two\n" +
		"                      ^\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("screen:\n%s\nwant in it:\n%s", out.String(), want)
	}
}

func TestProgressBar(t *testing.T) {
	if got := ProgressBar(2, 4, false); got != "[■■□□] 2/4 steps" {
		t.Errorf("ProgressBar = %q", got)
	}
	if got := ProgressBar(1, 2, true); !strings.Contains(got, "\x1b[") || !strings.HasSuffix(got, "1/2 steps") {
		t.Errorf("coloured ProgressBar = %q", got)
	}
}

// A report with a step run from several states: the check screen shows the
// first failing case in full and names the others, says each why once, and
// shows expected and actual and the keys left behind.
func TestRenderCheckFirstUnfinishedInFull(t *testing.T) {
	ex := loadLua(t)
	dir := t.TempDir()
	ws, err := Init(dir, ex, "lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "step2.lua"), []byte("return redis.call('SET', 'stock', 99)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	why := "The task is for the script to call DECR and INCR."
	rep := &report.Report{
		Exercise: "lua-atomicity", Title: ex.Title, DurationMS: 12,
		Steps: []report.Step{
			{ID: "setup", Title: ex.Steps[0].Title, File: "step1.redis", Passed: true, Score: 1, MaxScore: 1},
			{ID: "script", Title: ex.Steps[1].Title, File: "step2.lua", MaxScore: 1, Keyspace: "sales (string) \"0\"\nstock (string) \"99\"",
				Checks: []report.Check{
					{Case: "stock=100 sales=0", Name: "commands run without errors", Passed: true},
					{Case: "stock=100 sales=0", Name: "stock and sales change by -1 and 1", Message: "stock changed by -1, sales by 0",
						Expected: "stock -1 sales +1", Actual: "stock -1 sales 0"},
					{Case: "stock=100 sales=0", Name: "calls decr 1 incr 1", Message: "the server ran SET once", Why: why},
					{Case: "stock=7 sales=3", Name: "calls decr 1 incr 1", Message: "the server ran SET once", Why: why},
					{Case: "stock=1 sales=41", Name: "calls decr 1 incr 1", Message: "the server ran SET once", Why: why},
				}},
			{ID: "run-atomically", Title: ex.Steps[2].Title, File: "step3.redis", MaxScore: 1},
			{ID: "return-values", Title: ex.Steps[3].Title, File: "step4.lua", Passed: true, Score: 1, MaxScore: 1},
		},
	}
	var out bytes.Buffer
	if err := ws.RenderCheck(&out, ex, rep, false); err != nil {
		t.Fatal(err)
	}
	screen := out.String()
	for _, want := range []string{
		"✔ Step 1: Set up the stock and sales keys\n",
		"✘ Step 2: Write a Lua script that updates stock and sales (step2.lua)",
		"In step2.lua, write a Lua script",
		"Starting from stock=100 sales=0:",
		"✘ stock and sales change by -1 and 1",
		"expected: stock -1 sales +1",
		"actual:   stock -1 sales 0",
		"why: The task is for the script to call DECR and INCR.",
		"What your commands left in Redis:\n        sales (string) \"0\"\n        stock (string) \"99\"",
		"Also failing when starting from stock=7 sales=3 and stock=1 sales=41.",
		"Stuck? Run redisgrade hint for a hint (2 in all, one at a time).",
		"· Step 3: Run the script atomically with EVAL (step3.redis)",
		"✔ Step 4: Return the updated values from the script\n",
		"[■■□□] 2/4 steps",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q:\n%s", want, screen)
		}
	}
	if n := strings.Count(screen, "why:"); n != 1 {
		t.Errorf("why said %d times:\n%s", n, screen)
	}
	if strings.Contains(screen, "commands run without errors") || strings.Contains(screen, ex.Steps[1].Hint) {
		t.Errorf("screen shows a passing check or gives the hint away:\n%s", screen)
	}
}

func TestRenderCheckAllDone(t *testing.T) {
	ex := loadLua(t)
	ws := &Workspace{Dir: t.TempDir()}
	rep := &report.Report{Exercise: "lua-atomicity", Title: ex.Title}
	for _, s := range ex.Steps {
		rep.Steps = append(rep.Steps, report.Step{ID: s.ID, Title: s.Title, File: s.File, Passed: true})
	}
	var out bytes.Buffer
	if err := ws.RenderCheck(&out, ex, rep, false); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "[■■■■] 4/4 steps  all steps done!") || !strings.Contains(s, "redisgrade demo lua-atomicity") ||
		strings.Contains(s, "✘") {
		t.Errorf("screen:\n%s", s)
	}
}

// Every shipped exercise gets a workspace whose step files hold only
// comments the grader reads as "not done yet".
