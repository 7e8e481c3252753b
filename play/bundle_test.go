package play

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/redisgrade/redisgrade/internal/tiers"
)

// TestBundleIsFresh rebuilds the page's bundle from web/ with the locked
// esbuild and CodeMirror and compares it with the committed assets: a change
// to web/src or to the npm packages must come with `npm run build:play`.
func TestBundleIsFresh(t *testing.T) {
	node := tiers.Needs(t, "node", "apt-get install -y nodejs npm (the page's bundle is rebuilt to check it is fresh)")
	if _, err := os.Stat(filepath.Join("..", "node_modules", "esbuild", "package.json")); err != nil {
		tiers.Missing(t, "node_modules/esbuild is missing: run npm ci at the repository's root (./test.sh does)")
	}
	out := t.TempDir()
	cmd := exec.Command(node, filepath.Join("web", "build.mjs"), out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node web/build.mjs: %v\n%s", err, msg)
	}
	for _, name := range []string{"play.js", "play.css"} {
		built, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := assets.ReadFile("assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, committed) {
			t.Errorf("play/assets/%s is stale (%d bytes committed, %d built): run npm run build:play and commit it", name, len(committed), len(built))
		}
	}
	if fi, _ := os.Stat(filepath.Join(out, "play.js")); fi != nil && fi.Size() > 400<<10 {
		t.Errorf("play.js is %d KiB: keep the bundle small (minified, only the editor parts used)", fi.Size()>>10)
	}
}
