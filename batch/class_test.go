package batch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/submissions"
)

func entryMap(c *Class) map[string]Entry {
	m := map[string]Entry{}
	for _, e := range c.Entries {
		m[e.Student] = e
	}
	return m
}

func TestListFolder(t *testing.T) {
	dir := t.TempDir()
	correct := exampleFiles(t, "correct")
	for name, content := range correct {
		writeFile(t, filepath.Join(dir, "alice", name), []byte(content))
		writeFile(t, filepath.Join(dir, "alice-again", "work", name), []byte(content))
	}
	writeFile(t, filepath.Join(dir, "bob.zip"), zipOf(t, correct))
	writeFile(t, filepath.Join(dir, "carol.tar.gz"), tarGzOf(t, correct))
	writeFile(t, filepath.Join(dir, "alice.zip"), zipOf(t, correct)) // same id as alice/
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not a submission"))
	writeFile(t, filepath.Join(dir, ".DS_Store"), []byte("x"))
	if err := os.MkdirAll(filepath.Join(dir, "__MACOSX"), 0o755); err != nil {
		t.Fatal(err)
	}

	c, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var ids []string
	for _, e := range c.Entries {
		ids = append(ids, e.Student)
	}
	want := "alice alice-again alice.zip bob carol notes.txt"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("students %q, want %q (sorted, unique, archive extension dropped, dot-files ignored)", got, want)
	}
	m := entryMap(c)
	if m["notes.txt"].Err == nil || !strings.Contains(m["notes.txt"].Err.Error(), "not a folder, .zip, .tar.gz or .tgz") {
		t.Errorf("notes.txt: %v, want an error for that student", m["notes.txt"].Err)
	}
	for _, id := range []string{"alice", "alice-again", "alice.zip", "bob", "carol"} {
		e := m[id]
		if e.Err != nil {
			t.Errorf("%s: %v", id, e.Err)
			continue
		}
		sub, err := submissions.Open(e.Path)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if text, err := sub.Text("step3.redis"); err != nil || !strings.Contains(text, "EVAL") {
			t.Errorf("%s: step3.redis = %q, %v", id, text, err)
		}
	}
}

func TestListEmptyAndMissing(t *testing.T) {
	if _, err := List(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no submissions") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := List("/no/such/class"); err == nil || !strings.Contains(err.Error(), "/no/such/class") {
		t.Errorf("missing folder: %v", err)
	}
	f := filepath.Join(t.TempDir(), "class.tar")
	writeFile(t, f, []byte("x"))
	if _, err := List(f); err == nil || !strings.Contains(err.Error(), "not a folder or a .zip") {
		t.Errorf("a .tar: %v", err)
	}
}

func TestListClassZip(t *testing.T) {
	correct := exampleFiles(t, "correct")
	files := map[string]string{
		"export/dave.zip":           string(zipOf(t, correct)),
		"export/erin.tar.gz":        string(tarGzOf(t, correct)),
		"export/__MACOSX/._x":       "fork",
		"export/.hidden":            "dot",
		"../evil/step1.redis":       "SET stock 100",
		"/abs/step1.redis":          "SET stock 100",
		"export/frank/step1.redis":  correct["step1.redis"],
		"export/frank/step2.lua":    correct["step2.lua"],
		"export/frank/step3.redis":  correct["step3.redis"],
		"export/frank/step4.lua":    correct["step4.lua"],
		"export/grace/work/x.redis": "nested one deeper",
		"export/broken.zip":         "this is not a zip",
	}
	class := filepath.Join(t.TempDir(), "class.zip")
	writeFile(t, class, zipOf(t, files))
	c, err := List(class)
	if err != nil {
		t.Fatal(err)
	}
	tmp := c.tmp
	m := entryMap(c)
	var ids []string
	for _, e := range c.Entries {
		ids = append(ids, e.Student)
	}
	// The lone export/ folder holds only folders and archives: entered.
	if got, want := strings.Join(ids, " "), "broken dave erin frank grace"; got != want {
		t.Fatalf("students %q, want %q", got, want)
	}
	for _, id := range []string{"dave", "erin", "frank"} {
		sub, err := submissions.Open(m[id].Path)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if text, err := sub.Text("step4.lua"); err != nil || text != correct["step4.lua"] {
			t.Errorf("%s: step4.lua = %q, %v", id, text, err)
		}
	}
	if _, err := submissions.Open(m["broken"].Path); err == nil {
		t.Error("broken.zip opened")
	}
	// Nothing escaped the temporary folder.
	if _, err := os.Stat(filepath.Join(filepath.Dir(tmp), "evil")); err == nil {
		t.Error("../evil was extracted outside the class folder")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", tmp, err)
	}
}

// A student's own folder zipped alone is one student, not an export to
// enter; a huge file is not written out but still reported as too large.
func TestListClassZipOneStudentAndBigFile(t *testing.T) {
	big := strings.Repeat("x", 3<<20) // compresses to almost nothing
	files := map[string]string{
		"solo/step1.redis": "SET stock 100\nSET sales 0\n",
		"solo/step2.lua":   big,
	}
	class := filepath.Join(t.TempDir(), "class.zip")
	writeFile(t, class, zipOf(t, files))
	c, err := List(class)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.Entries) != 1 || c.Entries[0].Student != "solo" {
		t.Fatalf("entries %+v, want the one student solo", c.Entries)
	}
	info, err := os.Stat(filepath.Join(c.Entries[0].Path, "step2.lua"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != int64(len(big)) {
		t.Errorf("step2.lua stands in with size %d, want the claimed %d", info.Size(), len(big))
	}
	sub, err := submissions.Open(c.Entries[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Text("step2.lua"); err == nil || !strings.Contains(err.Error(), "too large (3.0 MiB") {
		t.Errorf("step2.lua: %v, want too large (3.0 MiB ...)", err)
	}
}

func TestFeedbackName(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"alice", "alice.md"},
		{"bob.smith@uni.edu", "bob.smith@uni.edu.md"},
		{"Zoë Ünal", "Zo___nal-"},
		{"../../etc/passwd", "_.._etc_passwd-"},
		{".hidden", "hidden-"},
	} {
		got := FeedbackName(tt.id)
		if !strings.HasPrefix(got, tt.want) || strings.ContainsAny(got, "/\\ ") || !strings.HasSuffix(got, ".md") {
			t.Errorf("FeedbackName(%q) = %q, want %q...", tt.id, got, tt.want)
		}
	}
	if FeedbackName("a b") == FeedbackName("a_b") {
		t.Error("two ids share a feedback file")
	}
}
