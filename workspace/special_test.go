//go:build unix

package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
)

// TestSpecialFilesNotRead: a step file that is a named pipe, or a symlink,
// is not read (the check screen asks whether it is untouched: a pipe would
// block it for ever), nor is a state file that is one.
func TestSpecialFilesNotRead(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Init(dir, ex, "lua-atomicity"); err != nil {
		t.Fatal(err)
	}
	starter := filepath.Join(dir, "step1.redis")
	if !Untouched(dir, &ex.Steps[0]) {
		t.Fatal("a starter file is not untouched")
	}
	elsewhere := filepath.Join(t.TempDir(), "step1.redis")
	data, _ := os.ReadFile(starter)
	if err := os.WriteFile(elsewhere, data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(starter)
	if err := os.Symlink(elsewhere, starter); err != nil {
		t.Fatal(err)
	}
	if Untouched(dir, &ex.Steps[0]) {
		t.Error("a symlink to a starter file reads as untouched: it was followed")
	}
	os.Remove(starter)
	if err := syscall.Mkfifo(starter, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool, 1)
	go func() { done <- Untouched(dir, &ex.Steps[0]) }()
	select {
	case untouched := <-done:
		if untouched {
			t.Error("a named pipe reads as untouched")
		}
	case <-time.After(time.Minute):
		t.Fatal("Untouched blocked on a named pipe")
	}

	state := filepath.Join(dir, StateFile)
	os.Remove(state)
	if err := syscall.Mkfifo(state, 0o644); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		_, err := Open(dir)
		opened <- err
	}()
	select {
	case err := <-opened:
		if err == nil || !strings.Contains(err.Error(), "is a named pipe, not a regular file") {
			t.Errorf("Open with a named pipe for a state file: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Open blocked on a named pipe")
	}
}
