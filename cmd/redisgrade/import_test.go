package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exercise import writes a spec that lint then reports unfinished, and
// never overwrites a file.
func TestExerciseImport(t *testing.T) {
	dir := t.TempDir()
	page := "../../authoring/testdata/import/views.txt"
	spec := filepath.Join(dir, "views.yaml")
	code, _, stderr := runCLI(t, "exercise", "import", page, "-o", spec)
	if code != 0 || !strings.Contains(stderr, "3 steps from") {
		t.Fatalf("import: exit %d, stderr %q", code, stderr)
	}
	code, out, _ := runCLI(t, "exercise", "lint", spec)
	if code != 2 || strings.Count(out, "is still a TODO") != 3 {
		t.Errorf("lint of the skeleton: exit %d, output:\n%s", code, out)
	}
	before, _ := os.ReadFile(spec)
	code, _, stderr = runCLI(t, "exercise", "import", page, "-o", spec)
	after, _ := os.ReadFile(spec)
	if code != 2 || !strings.Contains(stderr, "does not overwrite") || string(before) != string(after) {
		t.Errorf("second import: exit %d, stderr %q; the spec must stay as it was", code, stderr)
	}
	code, stdout, _ := runCLI(t, "exercise", "import", page)
	if code != 0 || stdout != string(before) {
		t.Errorf("import to standard output: exit %d, output differs from the file", code)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("Title\nProgress0 / 2 steps\n1\nA\nDo a.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "exercise", "import", bad)
	if code != 2 || !strings.Contains(stderr, bad+":2: the page says 2 steps, but 1 follow\nredisgrade:     Progress0 / 2 steps\n") {
		t.Errorf("bad page: exit %d, stderr %q", code, stderr)
	}
	if err := os.WriteFile(bad, []byte("Beginner ~ 12 mins\nScenario: a shop\nProgress 0 / 1 steps\n1\nA\nDo a.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "exercise", "import", bad)
	if code != 2 || !strings.Contains(stderr, bad+":1: no title: the page names its exercise on the line before its scenario\nredisgrade:     Beginner ~ 12 mins\n") {
		t.Errorf("no title: exit %d, stderr %q", code, stderr)
	}
	// A page's terminal control is shown where it stands, as an escape.
	if err := os.WriteFile(bad, []byte("Title\nProgress 0 / 1 steps\n1\nA\nDo \x1b[2Ja.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "exercise", "import", bad)
	if code != 2 || !strings.Contains(stderr, bad+":5: U+001B at column 4 is a terminal control") ||
		!strings.Contains(stderr, "\nredisgrade:     Do \\x1b[2Ja.\n") || strings.Contains(stderr, "\x1b") {
		t.Errorf("terminal control: exit %d, stderr %q", code, stderr)
	}
}
