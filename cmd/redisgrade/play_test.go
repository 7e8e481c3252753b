package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"
)

// TestPlayPrintsItsAddress: play prints the page's address with a random
// token on its first line, serves the workspace's exercise there, and stops
// cleanly on Ctrl-C (the context).
func TestPlayPrintsItsAddress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	if code, _, stderr := runCLI(t, "init", "lua-atomicity", dir); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"play", "--no-open", "--engine", "process", "--dir", dir}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatal("play printed nothing")
	}
	first := lines.Text()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	m := regexp.MustCompile(`^(http://127\.0\.0\.1:\d+)/\?token=([0-9a-f]{48})$`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line %q: want http://127.0.0.1:PORT/?token=TOKEN", first)
	}
	get := func(auth string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", m[1]+"/play/api/exercises", nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if status, _ := get(""); status != http.StatusUnauthorized {
		t.Errorf("the API without the token: %d, want 401", status)
	}
	if status, body := get(m[2]); status != 200 || body["start"] != "lua-atomicity" || body["workspace"] != "lua-atomicity" {
		t.Errorf("the API with the token: %d %v", status, body)
	}
	// Another site's name rebound to the page's port reads nothing.
	req, _ := http.NewRequest("GET", m[1]+"/play/api/exercises", nil)
	req.Host = "rebind.example"
	req.Header.Set("Authorization", "Bearer "+m[2])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("the API by another name: %v %v, want 403", res, err)
	} else {
		res.Body.Close()
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("play stopped with exit %d, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("play did not stop within 30s of Ctrl-C")
	}
}

func TestPlayBadInput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"play", "a", "b"}, "play takes at most one exercise"},
		{[]string{"play", "nope", "--no-open"}, `"nope"`},
		{[]string{"play", "--no-open", "--engine", "warp"}, "warp"},
		{[]string{"play", "--no-open", "--addr", "256.1.1.1:x"}, "--addr 256.1.1.1:x: the page cannot start"},
		{[]string{"play", "--no-open", "--dir", "."}, "no redisgrade workspace"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, stderr, tt.msg)
		}
	}
}

// TestPlayOpensTheBrowserWithoutTheToken: the browser is opened on a file
// only this user can read, which forwards to the page: the token is never
// in a process's arguments (ps shows them to every user), and the file is
// gone when play stops.
func TestPlayOpensTheBrowserWithoutTheToken(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the opener is xdg-open on Linux")
	}
	bin, out := t.TempDir(), filepath.Join(t.TempDir(), "opened")
	opener := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + out + ".args\nstat -c %a \"$1\" > " + out + ".mode\n" +
		"stat -c %a \"$(dirname \"$1\")\" > " + out + ".dirmode\ncp \"$1\" " + out + ".html\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(opener), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"play", "--engine", "process", "lua-atomicity"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatal("play printed nothing")
	}
	url := lines.Text()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	token := url[strings.Index(url, "token=")+len("token="):]
	var args []byte
	redistest.Eventually(t, 30*time.Second, "the opener ran", func() bool {
		args, _ = os.ReadFile(out + ".args")
		_, err := os.Stat(out + ".html")
		return len(args) > 0 && err == nil
	})
	if strings.Contains(string(args), token) {
		t.Errorf("the opener's arguments hold the token: %q", args)
	}
	opened := strings.TrimSpace(string(args))
	mode, _ := os.ReadFile(out + ".mode")
	dirMode, _ := os.ReadFile(out + ".dirmode")
	if strings.TrimSpace(string(mode)) != "600" || strings.TrimSpace(string(dirMode)) != "700" {
		t.Errorf("%s: mode %s in a folder of mode %s, want 600 in 700", opened, mode, dirMode)
	}
	page, _ := os.ReadFile(out + ".html")
	if !strings.Contains(string(page), `http-equiv="refresh" content="0;url=`+url+`"`) {
		t.Errorf("the file does not forward to %s:\n%s", url, page)
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("play stopped with exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("play did not stop within 30s of Ctrl-C")
	}
	if _, err := os.Stat(opened); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there after play stopped (%v)", opened, err)
	}
}
