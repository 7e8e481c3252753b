package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/tiers"
)

func TestVersion(t *testing.T) {
	code, out, stderr := runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "redisgrade ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("--version: exit %d, %q %q", code, out, stderr)
	}
}

// TestDidYouMean: a near miss of a name is answered with the name meant,
// and names of exercises match whatever their case.
func TestDidYouMean(t *testing.T) {
	ws := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"exercise", []string{"grade", "-e", "lua-atomicty", examples + "correct"}, `no exercise named "lua-atomicty" (did you mean "lua-atomicity"?)`},
		{"init", []string{"init", "lua-atomicty", filepath.Join(ws, "a")}, `(did you mean "lua-atomicity"?)`},
		{"show", []string{"show", "leaderbord"}, `(did you mean "leaderboard"?)`},
		{"format", []string{"grade", "-e", "lua-atomicity", "-f", "jsn", examples + "correct"}, `--format: unknown format "jsn" (did you mean "json"?)`},
		{"engine", []string{"grade", "-e", "lua-atomicity", "--engine", "proces", examples + "correct"}, `--engine: unknown engine "proces" (did you mean "process"?)`},
		{"engine of check", []string{"check", "-C", ws, "--engine", "embeded"}, `(did you mean "embedded"?)`},
		{"colour", []string{"grade", "-e", "lua-atomicity", "--color", "alwyas", examples + "correct"}, `(did you mean "always"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tc.stderr)
			}
		})
	}
	code, out, stderr := runCLI(t, "show", "LUA-Atomicity")
	if code != 0 || !strings.Contains(out, "(lua-atomicity)") {
		t.Errorf("show LUA-Atomicity: exit %d, %q %q", code, out, stderr)
	}
	code, _, stderr = runCLI(t, "grade", "-e", "lua-atomicity", "--engine", "Embedded", "-f", "JSON", examples+"correct")
	if code != 0 {
		t.Errorf("--engine Embedded -f JSON: exit %d, %s", code, stderr)
	}
}

// TestHelpNamesEachDefaultOnce: a flag that says its default in words does
// not also get cobra's "(default ...)".
func TestHelpNamesEachDefaultOnce(t *testing.T) {
	root := newRoot(nil, nil)
	walk := func(path []string) {
		code, out, _ := runCLI(t, append(path, "--help")...)
		if code != 0 {
			t.Fatalf("%v --help: exit %d", path, code)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("%s --help: %q", strings.Join(path, " "), strings.TrimSpace(line))
			}
		}
	}
	for _, c := range root.Commands() {
		walk([]string{c.Name()})
		for _, sub := range c.Commands() {
			walk([]string{c.Name(), sub.Name()})
		}
	}
}

// TestEveryErrorLineIsPrefixed: an error of several lines (a spec with two
// problems) names redisgrade on each.
func TestEveryErrorLineIsPrefixed(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(spec, []byte("id: x\ntitle: X\nstepz: []\nfoo: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "grade", "-e", spec, examples+"correct")
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if code != exitUsage || len(lines) < 2 {
		t.Fatalf("exit %d, stderr %q: want exit 2 and two problems", code, stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "redisgrade: ") {
			t.Errorf("line %q does not start with redisgrade:", l)
		}
	}
}

func TestBundleToAMissingFolderIsBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "missing", "dir", "a.zip")
	code, _, stderr := runCLI(t, "bundle", "gradescope", "-e", "lua-atomicity", "-o", out, "--binary", testBinary(t))
	if code != exitUsage || !strings.Contains(stderr, "does not exist") {
		t.Errorf("exit %d, %q; want 2 and the missing folder named", code, stderr)
	}
}

func TestLintCountsInWords(t *testing.T) {
	good, err := os.ReadFile("../../exercises/lua-atomicity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(spec, append(good, "stepz: []\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "exercise", "lint", spec)
	if code != exitUsage || !strings.Contains(stderr, "redisgrade: 1 problem\n") {
		t.Errorf("exit %d, %q; want 1 problem", code, stderr)
	}
	code, out, _ := runCLI(t, "exercise", "lint", "lua-atomicity")
	if code != 0 || !strings.Contains(out, "1 spec: no problems") {
		t.Errorf("exit %d, %q", code, out)
	}
}

// complete asks the CLI's completion entry point, as every shell script
// does, and returns the values offered.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d, %s", args, code, stderr)
	}
	var values []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" && !strings.HasPrefix(line, ":") {
			values = append(values, strings.SplitN(line, "\t", 2)[0])
		}
	}
	return values
}

func TestCompletionOfValues(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "ws")
	if code, _, stderr := runCLI(t, "init", "lua-atomicity", ws); code != 0 {
		t.Fatal(stderr)
	}
	has := func(got []string, want ...string) bool {
		for _, w := range want {
			if !contains(got, w) {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"grade", "--exercise", ""}, []string{"lua-atomicity", "leaderboard"}},
		{[]string{"batch", "-e", ""}, []string{"lua-atomicity"}},
		{[]string{"grade", "--format", ""}, []string{"json", "tap", "gradescope"}},
		{[]string{"grade", "--engine", ""}, []string{"auto", "process", "embedded", "docker"}},
		{[]string{"check", "--color", ""}, []string{"auto", "always", "never"}},
		{[]string{"init", ""}, []string{"lua-atomicity", "watch-retry"}},
		{[]string{"show", ""}, []string{"lua-atomicity"}},
		{[]string{"exercise", "test", ""}, []string{"lua-atomicity"}},
		{[]string{"hint", "-C", ws, ""}, []string{"1", "2", "3", "4", "step1.redis", "step4.lua"}},
	} {
		if got := complete(t, tc.args...); !has(got, tc.want...) {
			t.Errorf("complete %v = %v, want %v among them", tc.args, got, tc.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestShellCompletionScripts runs the generated scripts in the real shells:
// bash without the bash-completion package (--norc: none of its functions
// are defined) and fish complete what a user types; zsh loads its script.
func TestShellCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "fish", "zsh"} {
		tiers.Needs(t, sh, "apt-get install "+sh+" (./test.sh installs it)")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+dir)
	script := func(shell string) string {
		out, err := exec.Command(bin, "completion", shell).Output()
		if err != nil {
			t.Fatalf("completion %s: %v", shell, err)
		}
		p := filepath.Join(dir, "redisgrade."+shell)
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shell := func(name string, args ...string) []string {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr // bash's compopt complains outside a real completion: not our output
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, stderr.String())
		}
		lines := strings.Fields(strings.TrimSpace(string(out)))
		sort.Strings(lines)
		return lines
	}

	bashScript := script("bash")
	got := shell("bash", "--norc", "--noprofile", "-c", `
		source "$1"
		if declare -F _init_completion >/dev/null; then echo "bash-completion is loaded: the test proves nothing"; exit 1; fi
		COMP_WORDS=(redisgrade grade --format j); COMP_CWORD=3
		COMP_LINE="redisgrade grade --format j"; COMP_POINT=${#COMP_LINE}
		__start_redisgrade redisgrade j grade
		printf '%s\n' "${COMPREPLY[@]}"`, "bash", bashScript)
	if strings.Join(got, " ") != "json junit" {
		t.Errorf("bash: --format j completes to %v, want json junit", got)
	}

	fishScript := script("fish")
	got = shell("fish", "--no-config", "-c", `source $argv[1]; complete -C "redisgrade init lua-a"`, fishScript)
	if len(got) == 0 || got[0] != "lua-atomicity" {
		t.Errorf("fish: init lua-a completes to %v, want lua-atomicity", got)
	}

	zshScript := script("zsh")
	shell("zsh", "-f", "-c", `autoload -U compinit && compinit -u -d "$HOME/.zcompdump" && source "$1" && whence -w _redisgrade`, "zsh", zshScript)
}

// TestGradeSaysWhatWasLeftOut: an entry of the submission that is not read
// is never dropped in silence: text, JSON and Gradescope say which and why.
func TestGradeSaysWhatWasLeftOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	if err := os.CopyFS(dir, os.DirFS(examples+"correct")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link.redis")); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json", "gradescope"} {
		code, out, stderr := runCLI(t, "grade", "-e", "lua-atomicity", "--engine", "embedded", "-f", format, dir)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		for _, want := range []string{`.git/`, `link.redis`, "a symlink"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output does not name %q:\n%s", format, want, out)
			}
		}
	}
}

// A spec's error shows its line with a caret under the column, on stderr
// (each line said to be redisgrade's) and in lint's list; a control
// character on that line is shown as an escape.
func TestSpecErrorsShowTheirLine(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(spec, []byte("id: x\ntitle: X\nsteps:\n  - id: a\n    titel: A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "grade", "-e", spec, examples+"correct")
	want := "redisgrade: " + spec + ":5:5: unknown field \"titel\"" // the known fields follow
	if code != exitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "\nredisgrade:         titel: A\nredisgrade:         ^\n") {
		t.Errorf("grade: exit %d, stderr:\n%s", code, stderr)
	}
	code, out, _ := runCLI(t, "exercise", "lint", spec)
	if code != exitUsage || !strings.Contains(out, "\n        titel: A\n        ^\n") {
		t.Errorf("lint: exit %d, stdout:\n%s", code, out)
	}

	loud := filepath.Join(dir, "loud.yaml")
	if err := os.WriteFile(loud, []byte("id: x\ntitle: \x1b[2J\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "grade", "-e", loud, examples+"correct")
	if code != exitUsage || !strings.Contains(stderr, "redisgrade:     title: \\x1b[2J\nredisgrade:            ^\n") || strings.Contains(stderr, "\x1b") {
		t.Errorf("control character: exit %d, stderr %q", code, stderr)
	}
}
