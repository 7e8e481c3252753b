package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/workspace"
)

func TestHintCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "init", "lua-atomicity", dir); code != 0 {
		t.Fatal(stderr)
	}
	writeFile(t, filepath.Join(dir, "step1.redis"), answerStep1)

	// The first unfinished step, found by grading: step 2.
	code, out, stderr := runCLI(t, "hint", "--dir", dir, "--engine", "embedded")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mustContain(t, "hint", out, "Step 2: Write a Lua script", "Hint 1 of 2:", "redis.call('DECR', 'stock') runs DECR")
	ws, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ws.State.HintsSeen["script"] != 1 || ws.State.LastStep != "script" {
		t.Errorf("state %+v", ws.State)
	}

	// When grading is impossible, the step of the last check.
	code, out, stderr = runCLI(t, "hint", "--dir", dir, "--engine", "process", "--redis-server", "/no/redis-server")
	if code != 0 || !strings.Contains(stderr, "showing hints for the step of your last check") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	mustContain(t, "hint without an engine", out, "Step 2:", "Hint 2 of 2:", "The whole file:")

	code, out, _ = runCLI(t, "hint", "step3.redis", "--dir", dir)
	if code != 0 {
		t.Errorf("hint step3.redis: exit %d", code)
	}
	mustContain(t, "hint step3.redis", out, "Step 3: Run the script atomically with EVAL", "Hint 1 of 2:")

	code, _, stderr = runCLI(t, "hint", "9", "--dir", dir)
	if code != 2 || !strings.Contains(stderr, `no step "9"`) {
		t.Errorf("hint 9: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "hint", "--dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "no redisgrade workspace") {
		t.Errorf("hint outside a workspace: exit %d, %q", code, stderr)
	}

	for name, text := range map[string]string{"step2.lua": answerStep2, "step3.redis": answerStep3, "step4.lua": answerStep4} {
		writeFile(t, filepath.Join(dir, name), text)
	}
	code, out, _ = runCLI(t, "hint", "--dir", dir, "--engine", "embedded")
	if code != 0 || !strings.Contains(out, "All 4 steps are done") {
		t.Errorf("all done: exit %d\n%s", code, out)
	}
}
