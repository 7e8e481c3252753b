// Package docs holds the tests of the project's documentation: README.md and
// docs/*.md. Their links must resolve, so that a page moved or a heading
// renamed fails a test instead of a reader.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the module's root, from this package's folder.
const root = "../.."

// pages lists README.md and every Markdown file under docs/.
func pages(t *testing.T) []string {
	t.Helper()
	out := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			out = append(out, p)
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

var (
	// [text](target) and ![alt](target); a target has no spaces.
	linkRe    = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)\)`)
	headingRe = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	fenceRe   = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	codeRe    = regexp.MustCompile("`[^`\n]*`")
)

// anchors gives the ids GitHub makes for a page's headings: lower case,
// punctuation dropped, spaces as dashes, and -1, -2 for repeats.
func anchors(text string) map[string]bool {
	text = fenceRe.ReplaceAllString(text, "")
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range headingRe.FindAllStringSubmatch(text, -1) {
		id := slug(m[1])
		if n := seen[id]; n > 0 {
			out[id+"-"+itoa(n)] = true
		} else {
			out[id] = true
		}
		seen[id]++
	}
	return out
}

func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Quick start": "quick-start",
		"`redisgrade check [--watch] [--dir DIR]`": "redisgrade-check---watch---dir-dir",
		"Scaling out: workers on a Redis Stream":   "scaling-out-workers-on-a-redis-stream",
		"Learning platforms and CI":                "learning-platforms-and-ci",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLinksResolve: every relative link in README.md and docs/ names a file
// that exists, and every #anchor a heading of the page it points into.
func TestLinksResolve(t *testing.T) {
	all := pages(t)
	anchorsOf := map[string]map[string]bool{}
	for _, p := range all {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		anchorsOf[filepath.Clean(p)] = anchors(string(data))
	}
	links := 0
	for _, p := range all {
		data, _ := os.ReadFile(p)
		text := codeRe.ReplaceAllString(fenceRe.ReplaceAllString(string(data), ""), "")
		for _, m := range linkRe.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			file, anchor, _ := strings.Cut(target, "#")
			dest := filepath.Clean(p)
			if file != "" {
				dest = filepath.Clean(filepath.Join(filepath.Dir(p), file))
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %q: %s does not exist", rel(p), target, rel(dest))
					continue
				}
			}
			if anchor == "" {
				continue
			}
			ids, ok := anchorsOf[dest]
			if !ok {
				t.Errorf("%s: link %q: an anchor into a file that is not a page", rel(p), target)
				continue
			}
			if !ids[anchor] {
				t.Errorf("%s: link %q: %s has no heading #%s", rel(p), target, rel(dest), anchor)
			}
		}
	}
	if links == 0 {
		t.Fatal("no relative links found: the link pattern is broken")
	}
}

func rel(p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}
