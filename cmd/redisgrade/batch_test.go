package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/redisgrade/redisgrade/batch"
)

// buildBinary builds redisgrade into a temp folder, for tests that signal a
// real process.
func buildBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "redisgrade")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// generateClass writes n students copied from the examples.
func generateClass(t *testing.T, n int) (string, map[string]batch.Example) {
	t.Helper()
	examples, err := batch.LoadExamples(examples)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "class")
	of, err := batch.GenerateClass(dir, examples, n)
	if err != nil {
		t.Fatal(err)
	}
	return dir, of
}

// startBatch starts the binary on a class; TMPDIR is set so that the
// servers it starts can be found by their socket paths.
func startBatch(t *testing.T, bin, tmp string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// waitForLines waits until results.jsonl holds at least n lines.
func waitForLines(t *testing.T, path string, n int, cmd *exec.Cmd) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(path)
		if bytes.Count(data, []byte("\n")) >= n {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("results.jsonl never reached %d lines", n)
}

// serversUnder lists the redis-server processes whose command line names a
// path under dir (their socket).
func serversUnder(dir string) []string {
	var out []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line := string(bytes.ReplaceAll(data, []byte{0}, []byte{' '}))
		if strings.Contains(line, "redis-server") && strings.Contains(line, dir) {
			out = append(out, filepath.Base(filepath.Dir(p))+": "+line)
		}
	}
	return out
}

func waitNoServers(t *testing.T, dir string) {
	t.Helper()
	var left []string
	for i := 0; i < 100; i++ {
		if left = serversUnder(dir); len(left) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("redis-server processes left running:\n%s", strings.Join(left, "\n"))
}

// checkFinal checks results.jsonl (every student exactly once, verdicts as
// the examples expect) and grades.csv (one row per student).
func checkFinal(t *testing.T, out string, of map[string]batch.Example) {
	t.Helper()
	if problems := batch.CheckResults(out, of); len(problems) > 0 {
		t.Errorf("final results:\n%s", strings.Join(problems, "\n"))
	}
	f, err := os.Open(filepath.Join(out, batch.GradesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		if seen[row[0]] || of[row[0]].Name == "" {
			t.Errorf("grades.csv: row %v twice or for no student", row)
		}
		seen[row[0]] = true
	}
	if len(seen) != len(of) {
		t.Errorf("grades.csv has %d students, want %d", len(seen), len(of))
	}
}

// TestBatchSIGKILLResume kills a batch with SIGKILL part-way, resumes it,
// and checks that every student ends in the results exactly once.
func TestBatchSIGKILLResume(t *testing.T) {
	bin := buildBinary(t)
	class, of := generateClass(t, 60)
	tmp := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	results := filepath.Join(out, batch.ResultsFile)
	args := []string{"batch", "-e", "lua-atomicity", class, "--out", out, "-j", "2", "--engine", "process"}

	cmd, _, _ := startBatch(t, bin, tmp, args...)
	waitForLines(t, results, 8, cmd)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The kernel kills the servers of a killed grader (PR_SET_PDEATHSIG).
	waitNoServers(t, tmp)
	data, _ := os.ReadFile(results)
	saved := bytes.Count(data, []byte("\n"))
	if saved >= 60 {
		t.Fatalf("the batch finished (%d lines) before it was killed: nothing was tested", saved)
	}
	t.Logf("killed after %d results", saved)

	cmd, stdout, stderr := startBatch(t, bin, tmp, append(args, "--resume")...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("resume: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "graded before") {
		t.Errorf("resume summary does not say students were graded before:\n%s", stdout)
	}
	checkFinal(t, out, of)
	waitNoServers(t, tmp)
}

// TestBatchCrashInjection kills the batch with SIGKILL at many random
// moments (start-up, grading, saving, writing the outputs), each time
// resuming it: after every kill each line of results.jsonl is a whole
// result, and at the end every student is in it exactly once. The seed is
// logged; the number of kills is bounded so the test takes seconds.
func TestBatchCrashInjection(t *testing.T) {
	const kills = 14
	bin := buildBinary(t)
	class, of := generateClass(t, 24)
	tmp := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	results := filepath.Join(out, batch.ResultsFile)
	args := []string{"batch", "-e", "lua-atomicity", class, "--out", out, "-j", "2", "--engine", "process", "-q"}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 0))

	finished := false
	for i := 0; i < kills && !finished; i++ {
		run := args
		if _, err := os.Stat(results); err == nil {
			run = append(run, "--resume")
		}
		lines := countLines(results)
		cmd, stdout, stderr := startBatch(t, bin, tmp, run...)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Half the kills come at a random time, from start-up on; half
		// just after a random number of further results are saved.
		if rnd.IntN(2) == 0 {
			time.Sleep(time.Duration(rnd.IntN(400)) * time.Millisecond)
		} else {
			for want := lines + 1 + rnd.IntN(5); countLines(results) < want; {
				select {
				case err := <-exited:
					exited <- err // it ended first: seen below
					want = 0
				case <-time.After(time.Millisecond):
				}
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-exited
		var ee *exec.ExitError
		switch {
		case err == nil:
			finished = true // done before the kill
		case !errorsAs(err, &ee) || ee.ExitCode() != -1:
			t.Fatalf("kill %d: %v (not killed)\n%s\n%s", i+1, err, stdout, stderr)
		}
		checkWholeLines(t, results, fmt.Sprintf("after kill %d", i+1))
		if n := countLines(results); n < lines {
			t.Errorf("kill %d: %d results, %d before that run: saved results were lost", i+1, n, lines)
		}
		t.Logf("kill %d: %d results saved", i+1, countLines(results))
	}
	waitNoServers(t, tmp)
	run := args
	if _, err := os.Stat(results); err == nil {
		run = append(run, "--resume")
	}
	cmd, stdout, stderr := startBatch(t, bin, tmp, run...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final resume: %v\n%s\n%s", err, stdout, stderr)
	}
	checkWholeLines(t, results, "at the end")
	checkFinal(t, out, of)
	waitNoServers(t, tmp)
}

func countLines(path string) int {
	data, _ := os.ReadFile(path)
	return bytes.Count(data, []byte("\n"))
}

// checkWholeLines checks that every line of results.jsonl is a whole
// result, the last one included.
func checkWholeLines(t *testing.T, path, when string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || len(data) == 0 {
		return
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Errorf("%s: results.jsonl ends in a cut line: %.80q...", when, data[bytes.LastIndexByte(data, '\n')+1:])
	}
	for n, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r batch.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Student == "" {
			t.Errorf("%s: line %d is not a whole result: %.80q...", when, n+1, line)
		}
	}
}

// TestBatchInterrupt: SIGINT stops the batch cleanly, with whole results, no
// server left, and the exact command to resume; running it finishes the job.
func TestBatchInterrupt(t *testing.T) {
	bin := buildBinary(t)
	class, of := generateClass(t, 60)
	tmp := t.TempDir()
	out := filepath.Join(t.TempDir(), "out dir") // a space: the command must quote it
	results := filepath.Join(out, batch.ResultsFile)
	cmd, _, stderr := startBatch(t, bin, tmp, "batch", "-e", "lua-atomicity", class, "--out", out, "-j", "2", "--engine", "process")
	waitForLines(t, results, 5, cmd)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != exitInfra {
		t.Fatalf("exit %v, want %d\n%s", err, exitInfra, stderr)
	}
	waitNoServers(t, tmp)
	msg := stderr.String()
	i := strings.Index(msg, "resume with:\nredisgrade:   ")
	if !strings.Contains(msg, "interrupted:") || i < 0 {
		t.Fatalf("stderr does not say how to resume:\n%s", msg)
	}
	resume := strings.TrimSpace(msg[i+len("resume with:\nredisgrade:   "):])
	want := "redisgrade batch --exercise lua-atomicity --out '" + out + "' --jobs 2 --engine process --resume " + class
	if resume != want {
		t.Errorf("resume command\n  %s\nwant\n  %s", resume, want)
	}
	// Every line saved is a whole result.
	data, _ := os.ReadFile(results)
	for n, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r batch.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Student == "" {
			t.Errorf("line %d is not a whole result: %q", n+1, line)
		}
	}
	if !strings.HasSuffix(string(data), "\n") {
		t.Error("results.jsonl ends in a cut line")
	}

	// Run the printed command (through a shell, as the user would).
	sh := exec.Command("sh", "-c", strings.Replace(resume, "redisgrade", bin, 1))
	sh.Env = append(os.Environ(), "TMPDIR="+tmp)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", resume, err, b)
	}
	checkFinal(t, out, of)
}

func errorsAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}

func TestBatchUsage(t *testing.T) {
	class, _ := generateClass(t, 3)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "batch", "-e", "lua-atomicity", class, "--out", out, "-q"); code != exitPassed {
		t.Fatalf("first batch: exit %d: %s", code, stderr)
	}
	spec, err := os.ReadFile("../../exercises/lua-atomicity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, bytes.Replace(spec, []byte("id: lua-atomicity"), []byte("id: other-exercise"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	mine := t.TempDir()
	if err := os.WriteFile(filepath.Join(mine, "grades.csv"), []byte("my own"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "new")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"not a batch folder", []string{"batch", "-e", "lua-atomicity", class, "--out", mine}, exitUsage, "is not empty and holds no batch (grades.csv)"},
		{"resume nothing", []string{"batch", "-e", "lua-atomicity", class, "--out", fresh, "--resume"}, exitUsage, "holds no results.jsonl"},
		{"forced", []string{"batch", "-e", "lua-atomicity", class, "--out", mine, "--force", "-q"}, exitPassed, ""},
		{"results exist", []string{"batch", "-e", "lua-atomicity", class, "--out", out}, exitUsage, "add --resume to continue it"},
		{"resume done", []string{"batch", "-e", "lua-atomicity", class, "--out", out, "--resume", "-q"}, exitPassed, ""},
		{"other exercise", []string{"batch", "-e", other, class, "--out", out, "--resume"}, exitUsage, `holds results of exercise "lua-atomicity", not "other-exercise"`},
		{"no out", []string{"batch", "-e", "lua-atomicity", class}, exitUsage, `required flag(s) "out" not set`},
		{"no class", []string{"batch", "-e", "lua-atomicity", "/no/class", "--out", out}, exitUsage, "/no/class"},
		{"two classes", []string{"batch", "-e", "lua-atomicity", class, class, "--out", out}, exitUsage, "batch takes one SUBMISSIONS"},
		{"bad jobs", []string{"batch", "-e", "lua-atomicity", class, "--out", out, "-j", "0"}, exitUsage, "-j must be at least 1"},
		{"bad engine", []string{"batch", "-e", "lua-atomicity", class, "--out", out, "--engine", "vm"}, exitUsage, "--engine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestBench runs a small benchmark: every mode prints a rate or says why it
// is unavailable, the results are checked, and the floor is printed.
func TestBench(t *testing.T) {
	// The process engine runs the server --redis-server names: here a script that says it ran, then runs
	// redis-server.
	dir := t.TempDir()
	marker, server := filepath.Join(dir, "ran"), filepath.Join(dir, "my-redis-server")
	script := "#!/bin/sh\ntouch '" + marker + "'\nexec redis-server \"$@\"\n"
	if err := os.WriteFile(server, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"bench", "-n", "20", "--fresh-n", "4", "--docker-n", "2", "-j", "2", "--examples", examples, "--redis-server", server}
	if image := os.Getenv("REDISGRADE_TEST_IMAGE"); image != "" {
		// CI builds a local image (no registry): the container row runs on it.
		args = append(args, "--image", image)
	}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitPassed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"warm pool with reset", "warm pool, no probe", "fresh redis-server per submission", "fresh container per submission",
		"check warm pool with reset: all 20 students in results.jsonl once",
		"check fresh redis-server per submission: all 4 students",
		"floor: one grading of ", "EVAL ", "the same sent straight to the same server", "grader overhead", "the probe: ",
		"each with its own server; process: Redis 7.",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench output lacks %q:\n%s", want, stdout)
		}
	}
	// Each measured row has its time, its rate and its ratio to the warm pool.
	for _, row := range []string{`warm pool with reset\s+process\s+20\s+[\d.]+s\s+[\d.]+\s+1×`,
		`fresh redis-server per submission\s+process\s+4\s+[\d.]+s\s+[\d.]+\s+(warm is [\d.]+× faster|[\d.]+× the warm rate)`,
		`fresh container per submission\s+docker\s+(unavailable: .+|2\s+[\d.]+s\s+[\d.]+\s+(warm is [\d.]+× faster|[\d.]+× the warm rate))`} {
		if !regexp.MustCompile(row).MatchString(stdout) {
			t.Errorf("bench output has no row matching %s:\n%s", row, stdout)
		}
	}
	if strings.Contains(stdout, "PROBLEM") {
		t.Errorf("bench found wrong results:\n%s", stdout)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("bench did not run the server --redis-server names: %v", err)
	}
}

// TestBatchSaysWhatItSkips: what belongs to no student is named on stderr.
func TestBatchSaysWhatItSkips(t *testing.T) {
	class, _ := generateClass(t, 1)
	if err := os.WriteFile(filepath.Join(class, ".DS_Store"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "batch", "-e", "lua-atomicity", class, "--out", out, "--engine", "process")
	if code != exitPassed || !strings.Contains(stderr, `redisgrade: skipped ".DS_Store": names starting with a dot and __MACOSX are never a student`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestBatchIDsCannotSpoof: a student folder named with a bidi override, a
// zero-width space or another invisible character reaches no output raw
// (grades.csv, results.jsonl, mistakes.json, report.html, the feedback
// files, the terminal): the id escapes it, as %XX, so the names keep their
// order and no two look alike.
func TestBatchIDsCannotSpoof(t *testing.T) {
	class := filepath.Join(t.TempDir(), "class")
	names := map[string]string{
		"ali\u202eecila":  "two-commands", // a browser would show "alicee" reversed after "ali"
		"bob\u200b":       "correct",
		"carol\u2066x":    "two-commands",
		"dan\ufeff\u00ad": "correct",
	}
	for name, example := range names {
		dst := filepath.Join(class, name)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(examples + example)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(examples+example, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "batch", "-e", "lua-atomicity", class, "--out", out, "--engine", "process", "-v")
	if code != exitPassed {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	texts := map[string]string{"stdout": stdout, "stderr": stderr}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		texts[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range texts {
		for _, r := range text {
			if unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) && r != '\ufeff' {
				t.Errorf("%s holds %U raw", where, r)
				break
			}
		}
		if strings.ContainsRune(text, '\ufeff') && !strings.HasSuffix(where, ".csv") {
			t.Errorf("%s holds U+FEFF raw", where)
		}
	}
	for _, id := range []string{"ali%E2%80%AEecila", "bob%E2%80%8B", "carol%E2%81%A6x", "dan%EF%BB%BF%C2%AD"} {
		if !strings.Contains(texts[filepath.Join(out, "grades.csv")], id) || !strings.Contains(texts[filepath.Join(out, "results.jsonl")], id) {
			t.Errorf("grades.csv or results.jsonl lacks the id %s", id)
		}
	}
}
