//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// aliasBomb is a spec whose typed reply expands to a billion nodes through
// nested aliases, in a few hundred bytes: decoded, it would take gigabytes.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("id: bomb\ntitle: Bomb\nsteps:\n  - id: one\n    title: One\n    file: step1.redis\n    points: 1\n    checks:\n")
	b.WriteString("      - reply: &l0 [\"lol\"]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "      - reply: &l%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return b.String()
}

// TestEverySpecPathRefusesBadSpecs: every command that loads a spec (from
// its arguments, or from the workspace's state file) refuses a spec of
// nested aliases, a named pipe and /dev/zero at once with exit 2, saying
// where and why: nothing blocks, nothing grows until the memory is gone.
func TestEverySpecPathRefusesBadSpecs(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.yaml")
	if err := os.WriteFile(bomb, []byte(aliasBomb()), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	specs := []struct{ name, path, want string }{
		{"nested aliases", bomb, "bomb.yaml:14:26: the aliases up to *l4 expand to over 100000 nodes"},
		{"a named pipe", fifo, "fifo.yaml is a named pipe, not a regular file: not read"},
		{"/dev/zero", zero, "zero.yaml is a device, not a regular file: not read"},
	}
	for _, spec := range specs {
		ws := filepath.Join(dir, spec.name+" workspace")
		if err := os.MkdirAll(ws, 0o755); err != nil {
			t.Fatal(err)
		}
		state := fmt.Sprintf(`{"version": 1, "exercise": %q}`, spec.path)
		if err := os.WriteFile(filepath.Join(ws, ".redisgrade.json"), []byte(state), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"grade", "--engine", "process", "-e", spec.path, examples + "correct"},
			{"batch", "--engine", "process", "-e", spec.path, examples, "--out", filepath.Join(dir, "out")},
			{"play", "--no-open", "--engine", "process", spec.path},
			{"exercise", "lint", spec.path},
			{"exercise", "test", "--engine", "process", spec.path},
			{"show", spec.path},
			{"init", spec.path, filepath.Join(dir, "new")},
			{"bundle", "gradescope", "-e", spec.path, "-o", filepath.Join(dir, "bundle")},
			{"check", "--engine", "process", "-C", ws},
			{"hint", "-C", ws},
			{"play", "--no-open", "--engine", "process", "-C", ws},
		} {
			t.Run(spec.name+": "+args[0]+" "+args[1], func(t *testing.T) {
				type result struct {
					code   int
					stderr string
				}
				done := make(chan result, 1)
				go func() {
					code, stdout, stderr := runCLI(t, args...)
					done <- result{code, stdout + stderr} // lint lists its problems on stdout
				}()
				select {
				case r := <-done:
					if r.code != exitUsage || !strings.Contains(r.stderr, spec.want) {
						t.Errorf("%q: exit %d, stderr %q; want exit 2 saying %q", args, r.code, r.stderr, spec.want)
					}
				case <-time.After(time.Minute):
					t.Fatalf("%q did not return within a minute", args)
				}
			})
		}
	}
}

// TestPagesAndClassesRegularOnly: exercise import reads a page, and batch a
// class .zip, only from a regular file, at once: a named pipe or /dev/zero
// is refused with exit 2, saying what it is.
func TestPagesAndClassesRegularOnly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "page.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	classFifo := filepath.Join(dir, "class.zip")
	if err := syscall.Mkfifo(classFifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"exercise", "import", fifo}, "page.txt is a named pipe, not a regular file: not read"},
		{[]string{"exercise", "import", "/dev/zero"}, "/dev/zero is a device, not a regular file: not read"},
		{[]string{"batch", "--engine", "process", "-e", "lua-atomicity", classFifo, "--out", filepath.Join(dir, "out")}, "class.zip: a named pipe, not a folder or a .zip"},
	} {
		done := make(chan string, 1)
		go func() {
			code, stdout, stderr := runCLI(t, tt.args...)
			done <- fmt.Sprintf("exit %d: %s%s", code, stdout, stderr)
		}()
		select {
		case got := <-done:
			if !strings.HasPrefix(got, "exit 2: ") || !strings.Contains(got, tt.want) {
				t.Errorf("%q: %s; want exit 2 saying %q", tt.args, got, tt.want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%q did not return within a minute", tt.args)
		}
	}
}
