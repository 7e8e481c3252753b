package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my work")
	code, out, stderr := runCLI(t, "init", "lua-atomicity", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mustContain(t, "init", out, "Created a workspace for \"Why Lua scripts enable atomicity in Redis\"", "cd '"+dir+"'")
	if data, err := os.ReadFile(filepath.Join(dir, "step2.lua")); err != nil || !strings.HasPrefix(string(data), "-- Step 2:") {
		t.Errorf("step2.lua: %q %v", data, err)
	}

	// Existing work is never overwritten: exit 2, naming the file.
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "step3.redis"), "EVAL mine\n")
	code, _, stderr = runCLI(t, "init", "lua-atomicity", other)
	if code != 2 || !strings.Contains(stderr, filepath.Join(other, "step3.redis")) {
		t.Errorf("init over work: exit %d, stderr %q", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(other, "step3.redis")); string(data) != "EVAL mine\n" {
		t.Errorf("step3.redis overwritten: %q", data)
	}
	if _, err := os.Stat(filepath.Join(other, "step1.redis")); err == nil {
		t.Error("init wrote step1.redis although it refused")
	}

	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"init"}, "init takes an exercise"},
		{[]string{"init", "nope", t.TempDir()}, `no exercise named "nope"`},
		{[]string{"init", "lua-atomicity", "a", "b"}, "init takes an exercise"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, stderr)
		}
	}
}

// check outside the terminal: exit codes and colour as grade has them.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "init", "lua-atomicity", dir); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := runCLI(t, "check", "--dir", dir, "--engine", "embedded")
	if code != 1 {
		t.Errorf("a new workspace: exit %d, want 1: %s", code, stderr)
	}
	mustContain(t, "check", out, "embedded engine", "[□□□□] 0/4 steps")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour in piped output:\n%q", out)
	}
	for name, text := range map[string]string{"step1.redis": answerStep1, "step2.lua": answerStep2, "step3.redis": answerStep3, "step4.lua": answerStep4} {
		writeFile(t, filepath.Join(dir, name), text)
	}
	sub := filepath.Join(dir, "notes")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, "check", "--dir", sub, "--engine", "process", "--color", "always")
	if code != 0 {
		t.Errorf("every step done: exit %d, want 0: %s\n%s", code, stderr, out)
	}
	if !strings.Contains(out, "\x1b[") || !strings.Contains(out, "4/4 steps") {
		t.Errorf("--color always:\n%q", out)
	}
	t.Setenv("NO_COLOR", "1")
	if _, out, _ := runCLI(t, "check", "--dir", dir, "--engine", "process", "--color", "auto"); strings.Contains(out, "\x1b[") {
		t.Errorf("colour with NO_COLOR:\n%q", out)
	}

	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"check", "--dir", t.TempDir()}, 2, "no redisgrade workspace"},
		{[]string{"check", "--dir", "/no/such/dir"}, 2, "/no/such/dir"},
		{[]string{"check", "extra"}, 2, "check takes no arguments"},
		{[]string{"check", "--dir", dir, "--color", "pink"}, 2, `--color: unknown colour mode "pink"`},
		{[]string{"check", "--dir", dir, "--engine", "vm"}, 2, "--engine"},
		{[]string{"check", "--dir", dir, "--engine", "process", "--redis-server", "/no/redis-server"}, 3, "redis-server"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.code, tt.stderr)
		}
	}
}
