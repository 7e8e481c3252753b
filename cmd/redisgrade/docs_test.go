package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/report/reporttest"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the outputs shown in README.md and docs/ from the binary")

// A block of output in the docs is marked with the command that makes it:
//
//	<!-- output: grade -e lua-atomicity --color never submissions/examples/lua-atomicity/two-commands -->
//	```
//	...what it prints...
//	```
//
// Paths are from the repository's root. What varies from run to run (the
// time taken, the server's version, race counts) is compared as placeholders
// (reporttest.Scrub).
var outputBlockRe = regexp.MustCompile("(?s)<!-- output: ([^\n]*?) -->\n```([a-z]*)\n(.*?)```")

// TestDocsShowWhatTheBinaryPrints runs each marked command and compares its
// output with the block shown, so that the docs cannot drift from the code.
// go test ./cmd/redisgrade -run TestDocsShow -update-docs rewrites them.
func TestDocsShowWhatTheBinaryPrints(t *testing.T) {
	root := "../.."
	files := []string{filepath.Join(root, "README.md")}
	more, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, more...)
	blocks := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		changed := false
		text = outputBlockRe.ReplaceAllStringFunc(text, func(block string) string {
			m := outputBlockRe.FindStringSubmatch(block)
			blocks++
			args := strings.Fields(m[1])
			for i, a := range args {
				// The command's name is never a path, even where a folder is named like it (matrix).
				if i == 0 {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, a)); err == nil && !strings.HasPrefix(a, "-") {
					args[i] = filepath.Join(root, a)
				}
			}
			_, stdout, stderr := runCLI(t, args...)
			got := stdout + stderr
			if reporttest.Scrub(got) == reporttest.Scrub(m[3]) {
				return block
			}
			if *updateDocs {
				changed = true
				return "<!-- output: " + m[1] + " -->\n```" + m[2] + "\n" + got + "```"
			}
			t.Errorf("%s: the output of `redisgrade %s` differs from the one shown (rewrite with -update-docs):\n--- shown\n%s--- printed\n%s",
				filepath.Base(file), m[1], m[3], got)
			return block
		})
		if changed {
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if blocks == 0 {
		t.Fatal("no output blocks found in the docs: the marker pattern is broken")
	}
}
