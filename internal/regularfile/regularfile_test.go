//go:build unix

package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOnlyRegularFilesBounded: a named pipe, /dev/zero, a folder and (when
// not followed) a symlink are refused at once, saying what they are; a file
// over the bound is refused; a regular file is read.
func TestOnlyRegularFilesBounded(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte("id: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(plain, link); err != nil {
		t.Fatal(err)
	}
	linkToZero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", linkToZero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, 101), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		read     func(string, int64) ([]byte, error)
		path     string
		want     string // the error's text, or "" and the content
		wantData string
	}{
		{"a regular file", Read, plain, "", "id: x\n"},
		{"a symlink followed", Read, link, "", "id: x\n"},
		{"a symlink not followed", ReadNoFollow, link, "is a symlink, not a regular file", ""},
		{"a named pipe", Read, fifo, "is a named pipe, not a regular file", ""},
		{"a named pipe, not followed", ReadNoFollow, fifo, "is a named pipe, not a regular file", ""},
		{"/dev/zero", Read, "/dev/zero", "is a device, not a regular file", ""},
		{"a link to /dev/zero", Read, linkToZero, "is a device, not a regular file", ""},
		{"a folder", Read, dir, "is a folder, not a regular file", ""},
		{"over the bound", Read, big, "is over 100 bytes (the limit)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = tt.read(tt.path, 100)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the read blocked")
			}
			if tt.want == "" {
				if err != nil || string(data) != tt.wantData {
					t.Errorf("%q, %v; want %q", data, err, tt.wantData)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %v, want one naming %s and saying %q", err, tt.path, tt.want)
			}
			var nre *NotRegularError
			var tle *TooLargeError
			if !errors.As(err, &nre) && !errors.As(err, &tle) {
				t.Errorf("%T is neither NotRegularError nor TooLargeError", err)
			}
		})
	}
	if _, err := Read(filepath.Join(dir, "missing.yaml"), 100); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want ErrNotExist", err)
	}
}
