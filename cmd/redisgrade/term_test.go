package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/tiers"
)

// The student commands are tested as a student uses them: the real binary,
// in a real terminal (tmux), typed in and read off the screen.

// terminal is a tmux session on its own server, running bash with the
// binary on PATH.
type terminal struct {
	t    *testing.T
	sock string
	n    int
}

const paneHeight = 60

func newTerminal(t *testing.T, dir string, paneWidth int) *terminal {
	t.Helper()
	tmuxPath := tiers.Needs(t, "tmux", "apt-get install tmux (it drives the terminal these tests type in)")
	bin := buildBinary(t)
	sockDir, err := os.MkdirTemp("", "rgtmux-") // short: a socket path is limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, sock: filepath.Join(sockDir, "s")}
	t.Cleanup(func() {
		_ = exec.Command(tmuxPath, "-S", term.sock, "kill-server").Run()
		os.RemoveAll(sockDir)
	})
	term.tmux("-f", "/dev/null", "new-session", "-d", "-s", "rg", "-x", strconv.Itoa(paneWidth), "-y", strconv.Itoa(paneHeight),
		"-c", dir, "env", "-u", "NO_COLOR", "PS1=$ ", "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"),
		"bash", "--norc", "--noprofile")
	term.tmux("set-option", "-t", "rg", "history-limit", "20000")
	return term
}

func (m *terminal) tmux(args ...string) string {
	m.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", m.sock}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// typeLine types a line and presses Enter.
func (m *terminal) typeLine(line string) {
	m.tmux("send-keys", "-t", "rg", "-l", line)
	m.tmux("send-keys", "-t", "rg", "Enter")
}

// screen is what the terminal shows now (colour codes too, with ansi).
func (m *terminal) screen(ansi bool) string {
	args := []string{"capture-pane", "-p", "-J", "-t", "rg"}
	if ansi {
		args = append(args, "-e")
	}
	return m.tmux(args...)
}

// history is the whole scrollback and screen.
func (m *terminal) history(ansi bool) string {
	args := []string{"capture-pane", "-p", "-J", "-S", "-", "-t", "rg"}
	if ansi {
		args = append(args, "-e")
	}
	return m.tmux(args...)
}

// run types a command, waits for it to end and returns what it printed and
// its exit code.
func (m *terminal) run(line string, timeout time.Duration) (string, int) {
	m.t.Helper()
	m.n++
	mark := fmt.Sprintf("__rc_%d=", m.n)
	m.typeLine(line + "; echo " + mark + "$?")
	out, code := m.finish(mark, timeout)
	m.t.Logf("$ %s  (exit %d)\n%s", line, code, out)
	return out, code
}

// finish waits for the marker of a command typed with one and returns the
// output between the command line and the marker.
func (m *terminal) finish(mark string, timeout time.Duration) (string, int) {
	m.t.Helper()
	done := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mark) + `(\d+)\s*$`)
	deadline := time.Now().Add(timeout)
	for {
		hist := m.history(false)
		if loc := done.FindStringSubmatchIndex(hist); loc != nil {
			code, _ := strconv.Atoi(hist[loc[2]:loc[3]])
			start := strings.LastIndex(hist[:loc[0]], mark+"$?")
			if start < 0 {
				start = 0
			} else if nl := strings.IndexByte(hist[start:], '\n'); nl >= 0 {
				start += nl + 1
			}
			return hist[start:loc[0]], code
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("no %s after %v; the terminal shows:\n%s", mark, timeout, m.screen(false))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitScreen waits until the screen satisfies ok and returns it and how long it took.
func (m *terminal) waitScreen(what string, timeout time.Duration, ok func(string) bool) (string, time.Duration) {
	m.t.Helper()
	began := time.Now()
	for {
		s := m.screen(false)
		if ok(s) {
			return s, time.Since(began)
		}
		if time.Since(began) > timeout {
			m.t.Fatalf("%s: not on screen after %v; the terminal shows:\n%s", what, timeout, s)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// children lists the pids whose parent is pid, with their command names.
func children(pid int) map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		j := strings.IndexByte(s, '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out[child] = s[j+1 : i]
		}
	}
	return out
}

func alive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}
