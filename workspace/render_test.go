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
