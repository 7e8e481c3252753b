//go:build unix

package play

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/report"
)

// TestWorkspaceSpecialFiles: a step file that is a named pipe or a symlink
// is treated as grading treats it: not followed, not read, and said. The
// page is told which file and why (nothing blocks, with or without the
// workspace's lock held), the file a symlink points to is never shown, and
// Check grades the folder with those files missing.
func TestWorkspaceSpecialFiles(t *testing.T) {
	ws := newWorkspace(t)
	ts := startPlay(t, ws, "")
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("the neighbour's password"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(ws.Dir, "step2.lua")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(ws.Dir, "step2.lua")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(ws.Dir, "step3.redis")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(ws.Dir, "step3.redis"), 0o644); err != nil {
		t.Fatal(err)
	}

	within := func(what string, f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			f()
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("%s did not return within a minute", what)
		}
	}
	var e apiError
	within("GET the exercise", func() {
		e = decode[apiError](t, call(t, ts, "GET", "/play/api/exercises/lua-atomicity", ""), http.StatusConflict)
	})
	if !strings.Contains(e.Error, "step2.lua is a symlink, not a regular file") || strings.Contains(e.Error, "password") {
		t.Errorf("GET with a symlinked step file: %q", e.Error)
	}
	if err := os.Remove(filepath.Join(ws.Dir, "step2.lua")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(ws.Dir, "step2.lua")); err != nil {
		t.Fatal(err)
	}

	type result struct {
		Report    report.Report `json:"report"`
		Untouched []string      `json:"untouched"`
	}
	var res result
	within("Check", func() {
		res = decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade",
			filesBody(t, map[string]string{"step1.redis": "SET stock 100\nSET sales 0\n"})), http.StatusOK)
	})
	if s := res.Report.Steps; len(s) != 4 || !s[0].Passed || s[1].Passed || s[2].Passed {
		t.Fatalf("graded: %+v", res.Report.Steps)
	}
	var notes strings.Builder
	for _, n := range res.Report.Notes {
		notes.WriteString(n + "\n")
	}
	for _, want := range []string{`"step2.lua": a symlink, not a regular file`, `"step3.redis": a named pipe, not a regular file`} {
		if !strings.Contains(notes.String(), want) {
			t.Errorf("the report's notes lack %q:\n%s", want, notes.String())
		}
	}
	// The lock was given back: the next request is answered.
	within("GET after", func() {
		e = decode[apiError](t, call(t, ts, "GET", "/play/api/exercises/lua-atomicity", ""), http.StatusConflict)
	})
	if !strings.Contains(e.Error, "is a") || strings.Contains(e.Error, "password") {
		t.Errorf("GET after: %q", e.Error)
	}
}
