package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	answerStep1      = "SET stock 100\nSET sales 0\n"
	answerStep2      = "-- sell one unit\nredis.call('DECR', 'stock')\nredis.call('INCR', 'sales')\n"
	wrongStep3       = "DECR stock\nINCR sales\n"
	answerStep3      = "EVAL \"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\" 0\n"
	answerStep4      = "local stock = redis.call('DECR', 'stock')\nlocal sales = redis.call('INCR', 'sales')\nreturn {stock, sales}\n"
	step1Hint        = "SET stores a value under a key"
	step4HintOpening = "DECR and INCR return the new value"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// saveByRename saves as many editors do: a temporary file renamed over the old one.
func saveByRename(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	writeFile(t, tmp, text)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// A student goes from init to four green steps in a real terminal, guided by
// what the tool prints: check, check --watch re-grading on saves, hint.
func TestStudentFlowInTerminal(t *testing.T) {
	home := t.TempDir()
	term := newTerminal(t, home, 160)
	ws := filepath.Join(home, "lua-atomicity")

	out, code := term.run("redisgrade init lua-atomicity", 10*time.Second)
	if code != 0 {
		t.Fatalf("init exit %d", code)
	}
	mustContain(t, "init", out, "Created a workspace", "step1.redis", "step4.lua", "README.md", ".redisgrade.json", "cd lua-atomicity", "redisgrade check")
	for _, f := range []string{"step1.redis", "step2.lua", "step3.redis", "step4.lua", "README.md", ".redisgrade.json"} {
		if _, err := os.Stat(filepath.Join(ws, f)); err != nil {
			t.Errorf("init did not write %s: %v", f, err)
		}
	}
	// It will not overwrite the work it made.
	out, code = term.run("redisgrade init lua-atomicity", 10*time.Second)
	if code != 2 {
		t.Errorf("a second init: exit %d, want 2", code)
	}
	mustContain(t, "a second init", out, "will not overwrite existing work", filepath.Join("lua-atomicity", "step1.redis"))

	term.run("cd lua-atomicity", 5*time.Second)
	out, code = term.run("redisgrade check --engine process", 30*time.Second)
	if code != 1 {
		t.Errorf("check of a new workspace: exit %d, want 1", code)
	}
	mustContain(t, "check of a new workspace", out,
		"✘ Step 1: Set up the stock and sales keys (step1.redis)",
		"In step1.redis, write the Redis commands that create two keys",
		"step1.redis holds only comments so far",
		"Stuck? Run redisgrade hint for a hint (2 in all, one at a time).",
		"· Step 2: Write a Lua script that updates stock and sales (step2.lua)",
		"[□□□□] 0/4 steps")
	if strings.Contains(out, step1Hint) {
		t.Errorf("check gave the hint away:\n%s", out)
	}
	// Colour on a terminal, as grade does.
	if hist := term.history(true); !strings.Contains(hist, "\x1b[") {
		t.Error("no colour on a terminal")
	}

	writeFile(t, filepath.Join(ws, "step1.redis"), answerStep1)

	// Watch: one warm server, a re-grade on every save, the screen cleared.
	term.n++
	watchMark := "__rc_" + strconv.Itoa(term.n) + "="
	term.typeLine("redisgrade check --watch --engine process; echo " + watchMark + "$?")
	screen, took := term.waitScreen("the first watch grading", 30*time.Second, func(s string) bool { return strings.Contains(s, "1/4 steps") })
	t.Logf("first grading on screen after %v:\n%s", took, screen)
	mustContain(t, "watch", screen, "Watching "+ws, "Ctrl-C to stop", "✔ Step 1: Set up the stock and sales keys", "✘ Step 2:", "[■□□□] 1/4 steps")

	bash, err := strconv.Atoi(strings.TrimSpace(term.tmux("display-message", "-p", "-t", "rg", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	watcher := 0
	for pid, name := range children(bash) {
		if name == "redisgrade" {
			watcher = pid
		}
	}
	serverOf := func() []int {
		var pids []int
		for pid, name := range children(watcher) {
			if name == "redis-server" {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	servers := serverOf()
	if watcher == 0 || len(servers) != 1 {
		t.Fatalf("watch process %d runs redis-servers %v, want one", watcher, servers)
	}

	saveByRename(t, filepath.Join(ws, "step2.lua"), answerStep2)
	screen, took = term.waitScreen("the re-grade after saving step2.lua by rename", 5*time.Second, func(s string) bool { return strings.Contains(s, "2/4 steps") })
	t.Logf("step2.lua saved by rename: re-graded on screen after %v", took)
	if took > 2*time.Second {
		t.Errorf("the re-grade took %v to show", took)
	}
	mustContain(t, "watch after step 2", screen, "✔ Step 2: Write a Lua script that updates stock and sales", "✘ Step 3: Run the script atomically with EVAL", "[■■□□] 2/4 steps")
	if strings.Count(screen, "Watching ") != 1 || strings.Contains(screen, "1/4 steps") {
		t.Errorf("the screen was not cleared between gradings:\n%s", screen)
	}

	writeFile(t, filepath.Join(ws, "step3.redis"), wrongStep3)
	screen, took = term.waitScreen("the re-grade after a wrong step3.redis", 5*time.Second, func(s string) bool { return strings.Contains(s, "sends DECR once") })
	t.Logf("wrong step3.redis written in place: re-graded on screen after %v:\n%s", took, screen)
	if took > 2*time.Second {
		t.Errorf("the re-grade took %v to show", took)
	}
	mustContain(t, "watch with two commands", screen, "✘ Step 3: Run the script atomically with EVAL", "step3.redis sends EVAL 0 times, expected once",
		"why: ", "What your commands left in Redis:", `stock (string) "99"`, "[■■□□] 2/4 steps")

	if flat := strings.Join(strings.Fields(screen), " "); !strings.Contains(flat, "another client can run between them") {
		t.Errorf("the why of step 3 is not on screen:\n%s", screen)
	}

	writeFile(t, filepath.Join(ws, "step3.redis"), answerStep3)
	_, took = term.waitScreen("the re-grade after the right step3.redis", 5*time.Second, func(s string) bool { return strings.Contains(s, "3/4 steps") })
	t.Logf("step3.redis fixed: re-graded on screen after %v", took)
	if took > 2*time.Second {
		t.Errorf("the re-grade took %v to show", took)
	}
	if now := serverOf(); len(now) != 1 || now[0] != servers[0] {
		t.Errorf("redis-servers were %v, now %v: the watch should keep one warm server", servers, now)
	}

	term.tmux("send-keys", "-t", "rg", "C-c")
	out, code = term.finish(watchMark, 10*time.Second)
	if code != 0 {
		t.Errorf("Ctrl-C in watch mode: exit %d, want 0\n%s", code, out)
	}
	mustContain(t, "watch after Ctrl-C", term.screen(false), "stopped watching")
	for deadline := time.Now().Add(3 * time.Second); alive(servers[0]); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("redis-server %d still runs after the watch ended", servers[0])
			break
		}
	}

	// Hints: for the first unfinished step, one more each time.
	out, code = term.run("redisgrade hint --engine process", 30*time.Second)
	if code != 0 {
		t.Errorf("hint: exit %d", code)
	}
	mustContain(t, "the first hint", out, "Step 4: Return the updated values from the script (step4.lua)", "Hint 1 of 2:", step4HintOpening)
	second, code := term.run("redisgrade hint --engine process", 30*time.Second)
	if code != 0 {
		t.Errorf("second hint: exit %d", code)
	}
	mustContain(t, "the second hint", second, "Hint 2 of 2:", "then return {stock, sales}")
	if second == out {
		t.Error("the second hint says the same as the first")
	}
	state, err := os.ReadFile(filepath.Join(ws, ".redisgrade.json"))
	if err != nil || !strings.Contains(string(state), `"return-values": 2`) {
		t.Errorf("hints seen not remembered: %s %v", state, err)
	}
	out, _ = term.run("redisgrade hint 1", 10*time.Second)
	mustContain(t, "hint 1", out, "Step 1: Set up the stock and sales keys", step1Hint)

	writeFile(t, filepath.Join(ws, "step4.lua"), answerStep4)
	out, code = term.run("redisgrade check --engine process", 30*time.Second)
	if code != 0 {
		t.Errorf("check with every step done: exit %d, want 0", code)
	}
	mustContain(t, "the last check", out, "✔ Step 1", "✔ Step 2", "✔ Step 3", "✔ Step 4", "[■■■■] 4/4 steps  all steps done!", "redisgrade demo lua-atomicity")
	if strings.Contains(out, "✘") {
		t.Errorf("a cross when all is done:\n%s", out)
	}
}
