package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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
