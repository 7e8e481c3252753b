package play

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/tiers"
	"github.com/redisgrade/redisgrade/workspace"
)

// shotsEnv names the folder the end-to-end test keeps its screenshots in.
const shotsEnv = "REDISGRADE_PLAY_SHOTS"

// TestPageInChromium drives the page in Debian's Chromium with Playwright
// (testdata/e2e.mjs), as a student: from an empty workspace to 4/4 on
// lua-atomicity, DECR and INCR as two commands failing step 3 with the
// atomicity explanation on the way, hints, a reload, the demo, then work kept
// in the browser and its .zip; no console error. Then it checks that the
// workspace's files hold what was typed, as check would read them.
func TestPageInChromium(t *testing.T) {
	node := tiers.Needs(t, "node", "apt-get install -y nodejs npm (the play page is tested in Chromium through Playwright)")
	tiers.Needs(t, "chromium", "apt-get install -y chromium (the play page is tested in it)")
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		tiers.Missing(t, "/usr/bin/chromium not found: apt-get install -y chromium (the play page is tested in it)")
	}
	if _, err := os.Stat(filepath.Join("..", "node_modules", "playwright-core", "package.json")); err != nil {
		tiers.Missing(t, "node_modules/playwright-core is missing: run npm ci at the repository's root (./test.sh does)")
	}
	shots := os.Getenv(shotsEnv)
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "redisgrade-play-shots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s (set %s to choose)", shots, shotsEnv)

	ws := newWorkspace(t)
	inWorkspace := startPlay(t, ws, "lua-atomicity")
	inBrowser := startPlay(t, nil, "")
	shared := startPlayWith(t, Config{Shared: true}) // a class server's page
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "e2e.mjs"),
		inWorkspace.URL+"/?token="+testToken, inBrowser.URL+"/?token="+testToken, shots, t.TempDir(), ws.Dir, shared.URL+"/?token="+testToken)
	out, err := cmd.CombinedOutput()
	t.Logf("e2e.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the page failed in Chromium: %v (screenshots in %s)", err, shots)
	}

	want := map[string]string{
		"step1.redis": "SET stock 100\nSET sales 0",
		"step2.lua":   "redis.call('DECR', 'stock')\nredis.call('INCR', 'sales')",
		"step3.redis": `EVAL "redis.call('DECR', 'stock') redis.call('INCR', 'sales')" 0`,
		"step4.lua":   "return {stock, sales}",
	}
	for name, text := range want {
		data, err := os.ReadFile(filepath.Join(ws.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), text) {
			t.Errorf("%s in the workspace does not hold what was typed (%q):\n%s", name, text, data)
		}
	}
	reopened, err := workspace.Open(ws.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := reopened.State.HintsSeen["setup"]; got != 2 {
		t.Errorf("the workspace records %d hints seen for step 1, want 2 (the page asked twice)", got)
	}
	zr, err := zip.OpenReader(filepath.Join(shots, "lua-atomicity.zip"))
	if err != nil {
		t.Fatalf("the downloaded submission: %v", err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "step1.redis" {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			if !strings.Contains(string(data), "SET stock 100\nSET sales 0") {
				t.Errorf("step1.redis in the .zip lacks what was typed:\n%s", data)
			}
		}
	}
	if strings.Join(names, " ") != "step1.redis step2.lua step3.redis step4.lua" {
		t.Errorf("the .zip holds %q, want the four step files", names)
	}
}
