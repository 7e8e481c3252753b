package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
)

// A step the engine cannot grade (Redis Functions, or a command, on the emulator) is never a pass: grade,
// check and exercise test say so, and exit 3.
func TestNotGradableExits(t *testing.T) {
	ex, err := exercises.Load("redis-functions")
	if err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	for name, text := range ex.Reference {
		writeFile(t, filepath.Join(ref, name), text)
	}
	notPass := func(t *testing.T, what string, code int, out, stderr string) {
		t.Helper()
		if code != exitInfra {
			t.Errorf("%s: exit %d, want %d; stderr: %s", what, code, exitInfra, stderr)
		}
		for _, lie := range []string{"all steps passed", "all steps done", "mutation score 100%"} {
			if strings.Contains(out, lie) {
				t.Errorf("%s says %q of steps it could not grade:\n%s", what, lie, out)
			}
		}
		if !regexp.MustCompile(`not graded|cannot be graded|cannot grade|NOT TESTED`).MatchString(out + stderr) {
			t.Errorf("%s does not say what it could not grade:\n%s\n%s", what, out, stderr)
		}
	}

	code, out, stderr := runCLI(t, "grade", "-e", "redis-functions", "--engine", "embedded", ref)
	notPass(t, "grade redis-functions on embedded", code, out, stderr)
	mustContain(t, "grade", out, "not graded on this engine")

	code, out, stderr = runCLI(t, "exercise", "test", "redis-functions", "--engine", "embedded")
	notPass(t, "exercise test redis-functions on embedded", code, out, stderr)

	class := t.TempDir()
	if err := os.Mkdir(filepath.Join(class, "ana"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range ex.Reference {
		writeFile(t, filepath.Join(class, "ana", name), text)
	}
	code, out, stderr = runCLI(t, "batch", "-e", "redis-functions", "--engine", "embedded", class, "--out", filepath.Join(t.TempDir(), "out"), "-q")
	notPass(t, "batch redis-functions on embedded", code, out, stderr)
	mustContain(t, "batch", out, "1 with steps this engine cannot grade")

	ws := t.TempDir()
	if code, _, stderr := runCLI(t, "init", "redis-functions", ws); code != 0 {
		t.Fatal(stderr)
	}
	for name, text := range ex.Reference {
		writeFile(t, filepath.Join(ws, name), text)
	}
	code, out, stderr = runCLI(t, "check", "--dir", ws, "--engine", "embedded")
	notPass(t, "check redis-functions on embedded", code, out, stderr)

	// A command the emulator lacks, in an otherwise correct submission: that step is not graded there, and
	// graded on a real server.
	sub := t.TempDir()
	for _, name := range []string{"step1.redis", "step2.lua", "step3.redis", "step4.lua"} {
		text, err := os.ReadFile(filepath.Join(examples, "correct", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "step1.redis" {
			text = append(text, "SORT stock\n"...)
		}
		writeFile(t, filepath.Join(sub, name), string(text))
	}
	code, out, stderr = runCLI(t, "grade", "-e", "lua-atomicity", "--engine", "embedded", sub)
	notPass(t, "grade with SORT on embedded", code, out, stderr)
	mustContain(t, "grade", out, "SORT")
	if code, out, stderr := runCLI(t, "grade", "-e", "lua-atomicity", "--engine", "process", sub); code == exitInfra || strings.Contains(out, "not graded") {
		t.Errorf("grade with SORT on process: exit %d, %s\n%s", code, out, stderr)
	}
}
