package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/redisgrade/redisgrade/submissions"
)

// hostileSpec holds terminal escapes in every text a student reads: an OSC
// 52 that sets the clipboard, a screen clear, colours, a bell, a bidi
// override, and a title whose newline would end a starter's comment.
const hostileSpec = `id: hostile
title: "Hostile \e]52;c;ZXZpbA==\a title"
summary: "Summary \e[2J cleared"
steps:
  - id: one
    title: "One \u202eeno\nSET pwned 1"
    task: "Task \e[31mred\e[0m, \x9b2J"
    hint: "Hint \x07 bell"
    hints: ["More \e]0;title\a"]
    file: step1.redis
    points: 1
    checks:
      - key: a
        equals: "1"
`

// TestSpecTextIsEscapedOnTheTerminal: a spec's title, summary, tasks and
// hints are shown as student text is, their escapes visible, by every
// command that prints them (show, init, hint, check, grade, the shell's
// completions) and in the files init writes.
func TestSpecTextIsEscapedOnTheTerminal(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "hostile.yaml")
	writeFile(t, spec, hostileSpec)
	ws := filepath.Join(dir, "ws")
	outputs := map[string]string{}
	run := func(name string, args ...string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code == exitUsage || code == exitInfra {
			t.Fatalf("%s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		outputs[name] = stdout + stderr
	}
	run("show", "show", "--hints", spec)
	run("init", "init", spec, ws)
	run("hint", "hint", "1", "--dir", ws)
	run("check", "check", "--dir", ws, "--engine", "process", "--color", "never")
	run("grade", "grade", "-e", spec, "--engine", "process", ws)
	run("completion", "__complete", "hint", "--dir", ws, "")
	for _, f := range []string{"README.md", "step1.redis"} {
		data, err := os.ReadFile(filepath.Join(ws, f))
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = string(data)
	}
	for name, out := range outputs {
		if i := strings.IndexAny(out, "\x1b\x07\u202e\u009b"); i >= 0 {
			r, _ := utf8.DecodeRuneInString(out[i:])
			t.Errorf("%s prints %U raw:\n%s", name, r, out)
		}
	}
	for name, shown := range map[string]string{"show": `\x1b[2J`, "init": `\u202e`, "hint": `\x07`, "check": `\x1b[31m`, "README.md": `\x1b[31m`, "step1.redis": `\u009b2J`, "completion": `\u202e`} {
		if !strings.Contains(outputs[name], shown) {
			t.Errorf("%s does not show %s as text:\n%s", name, shown, outputs[name])
		}
	}
	if cmds, err := submissions.ParseCommands("step1.redis", outputs["step1.redis"]); err != nil || len(cmds) != 0 {
		t.Errorf("the starter file sends %d commands (%v): a title's newline ended its comment:\n%s", len(cmds), err, outputs["step1.redis"])
	}
}

// TestAbsurdNumbersAreBadInput: points that would add up to +Inf are the
// spec's fault, refused with exit 2 where they stand, not a grader that
// cannot write its report (exit 3).
func TestAbsurdNumbersAreBadInput(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "inf.yaml")
	writeFile(t, spec, "id: inf\ntitle: Inf\nsteps:\n"+
		"  - {id: a, title: A, file: step1.redis, points: 1e308, checks: [{keys: []}]}\n"+
		"  - {id: b, title: B, file: step2.lua, points: 1e308, checks: [{keys: []}]}\n")
	for _, format := range []string{"json", "text", "junit", "gradescope"} {
		code, _, stderr := runCLI(t, "grade", "-e", spec, "--engine", "process", "--format", format, examples+"correct")
		if code != exitUsage || !strings.Contains(stderr, "inf.yaml:4:5: step 1: points 1e+308: a step is worth at most 1000") {
			t.Errorf("--format %s: exit %d, %s", format, code, stderr)
		}
	}
}
