package batch

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/redisgrade/redisgrade/internal/ziptest"
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

func idsOf(c *Class) string {
	var ids []string
	for _, e := range c.Entries {
		ids = append(ids, e.Student)
	}
	return strings.Join(ids, " ")
}

// TestListClassZipFromWindows: a class zip made by Windows' "Compressed
// folder" (CP437 names, no UTF-8 flag), students' folders and archives
// mixed with ASCII names: every student is listed under the real name.
func TestListClassZipFromWindows(t *testing.T) {
	correct := exampleFiles(t, "correct")
	entries := []ziptest.Entry{
		{Name: "Müller.zip", Data: string(zipOf(t, correct))},
		{Name: "Möller.zip", Data: string(zipOf(t, correct))},
		{Name: "alice/"},
	}
	for name, content := range correct {
		entries = append(entries, ziptest.Entry{Name: "Übung Ünal/" + name, Data: content}, ziptest.Entry{Name: "alice/" + name, Data: content})
	}
	data, err := ziptest.Windows(entries...)
	if err != nil {
		t.Fatal(err)
	}
	class := filepath.Join(t.TempDir(), "class.zip")
	writeFile(t, class, data)
	c, err := List(class)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, want := idsOf(c), "Möller Müller alice Übung Ünal"; got != want {
		t.Fatalf("students %q, want %q", got, want)
	}
	for _, e := range c.Entries {
		sub, err := submissions.Open(e.Path)
		if err != nil || e.Err != nil {
			t.Errorf("%s: %v %v", e.Student, err, e.Err)
			continue
		}
		if text, err := sub.Text("step4.lua"); err != nil || text != correct["step4.lua"] {
			t.Errorf("%s: step4.lua = %q, %v", e.Student, text, err)
		}
	}
}

// TestStudentIDs: ids are unique and survive JSON whatever the names:
// bytes that are not UTF-8 and "%" are escaped reversibly, and names that
// lose the same extension keep their full names.
func TestStudentIDs(t *testing.T) {
	dir := t.TempDir()
	correct := zipOf(t, exampleFiles(t, "correct"))
	for _, name := range []string{"ana\xff", "ana\xfe", "ana%FF", "z", "x.zip"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"z.zip", "z.zip.zip", "x.zip.zip", "x.zip.tgz", "bell\a.zip", "y.ZIP"} {
		writeFile(t, filepath.Join(dir, name), correct)
	}
	c, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "ana%25FF ana%FE ana%FF bell%07 x.zip x.zip.tgz x.zip.zip y z z.zip z.zip.zip"
	if got := idsOf(c); got != want {
		t.Fatalf("students %q, want %q", got, want)
	}
	for _, e := range c.Entries {
		name, err := url.PathUnescape(e.Student)
		if err != nil || !utf8.ValidString(e.Student) {
			t.Errorf("id %q: not valid UTF-8 or not reversible (%v)", e.Student, err)
		}
		// The id is the entry's name, or that name without its extension.
		if base := filepath.Base(e.Path); name != base && name != base[:len(base)-len(archiveExt(base))] {
			t.Errorf("id %q is not the name of %s", e.Student, base)
		}
	}
}

// TestListClassZipWrapped: a lone top folder holding students and a stray
// file is an export to enter (the stray file is an error, as at the top);
// one holding a step file is one student's own folder.
func TestListClassZipWrapped(t *testing.T) {
	correct := exampleFiles(t, "correct")
	files := map[string]string{
		"export/alice.zip":   string(zipOf(t, correct)),
		"export/notes.txt":   "the instructor's notes",
		"export/bob/x.redis": "PING",
	}
	class := filepath.Join(t.TempDir(), "class.zip")
	writeFile(t, class, zipOf(t, files))
	c, err := List(class)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, want := idsOf(c), "alice bob notes.txt"; got != want {
		t.Fatalf("students %q, want %q", got, want)
	}
	if err := entryMap(c)["notes.txt"].Err; err == nil || !strings.Contains(err.Error(), "not a folder, .zip") {
		t.Errorf("notes.txt: %v, want an error", err)
	}

	files = map[string]string{"solo/step1.redis": "PING", "solo/notes.txt": "mine", "solo/tests/a.redis": "x"}
	writeFile(t, class, zipOf(t, files))
	c, err = List(class)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := idsOf(c); got != "solo" {
		t.Fatalf("students %q, want solo", got)
	}
}

// TestListClassZipNotes: entries of a class zip that are not extracted are
// named, in the student's notes or else the class's.
func TestListClassZipNotes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, mode fs.FileMode, data string) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	add("bob/step1.redis", 0o644, "PING")
	add("bob/step2.lua", fs.ModeSymlink|0o777, "/etc/passwd")
	add("bob/../../evil.redis", 0o644, "x")
	add("../evil.redis", 0o644, "x")
	add("__MACOSX/bob/._step1.redis", 0o644, "x")
	add("link", fs.ModeSymlink|0o777, "/etc")
	add("carol/step1.redis", fs.ModeSymlink|0o777, "/etc/passwd")
	add("/abs/step1.redis", 0o644, "x")
	add("dan/../../x.redis", 0o644, "x")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	class := filepath.Join(t.TempDir(), "class.zip")
	writeFile(t, class, buf.Bytes())
	c, err := List(class)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Every student met has a row: carol's only entry is a symlink, dan's
	// only one climbs out, and "link" is a symlink where an entry stands.
	if got := idsOf(c); got != "bob carol dan link" {
		t.Fatalf("students %q, want bob carol dan link", got)
	}
	m := entryMap(c)
	for id, want := range map[string]string{
		"carol": "carol: no file of this student's could be read from the class zip (the notes say why)",
		"dan":   "dan: no file of this student's could be read from the class zip",
		"link":  "link is a symlink in the class zip, not a folder or an archive: not followed",
	} {
		if err := m[id].Err; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", id, err, want)
		}
	}
	if got := m["carol"].Notes; len(got) != 1 || got[0] != `skipped "carol/step1.redis" of the class zip: a symlink, not a regular file` {
		t.Errorf("carol's notes: %q", got)
	}
	if got := m["dan"].Notes; len(got) != 1 || !strings.Contains(got[0], `"dan/../../x.redis"`) {
		t.Errorf("dan's notes: %q", got)
	}
	wantBob := []string{
		`skipped entry "bob/../../evil.redis" of the class zip: its name is absolute, climbs out with .. or is not valid UTF-8`,
		`skipped "bob/step2.lua" of the class zip: a symlink, not a regular file`,
	}
	if got := c.Entries[0].Notes; !slices.Equal(got, wantBob) {
		t.Errorf("bob's notes:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(wantBob, "\n  "))
	}
	wantClass := []string{
		`skipped entry "../evil.redis" of the class zip: its name is absolute, climbs out with .. or is not valid UTF-8`,
		`skipped entry "/abs/step1.redis" of the class zip: its name is absolute, climbs out with .. or is not valid UTF-8`,
		`skipped "__MACOSX" of the class zip (entries: 1): names starting with a dot and __MACOSX are never a student`,
	}
	if got := c.Notes; !slices.Equal(got, wantClass) {
		t.Errorf("class notes:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(wantClass, "\n  "))
	}
}

// TestClassLookalikesNeverMerged: two folders of a class zip whose names
// read the same once decoded (Müller in code page 437 and in UTF-8; café
// in NFC and in NFD) are not merged into one student: none is graded, and
// each row says why. In a class folder, where the file system keeps them
// apart, both are graded, each told of the other.
func TestClassLookalikesNeverMerged(t *testing.T) {
	cp437, err := ziptest.Windows(ziptest.Entry{Name: "Müller/step1.redis", Data: "SET stock 100"})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(cp437), int64(len(cp437)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(h *zip.FileHeader, data string) {
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	add(&zip.FileHeader{Name: zr.File[0].Name, NonUTF8: true, Method: zip.Deflate}, "SET stock 100") // CP437: M\x81ller
	add(&zip.FileHeader{Name: "Müller/step2.lua", Method: zip.Deflate}, "return 1")                  // UTF-8
	add(&zip.FileHeader{Name: "caf\u00e9/step1.redis", Method: zip.Deflate}, "SET a 1")              // NFC
	add(&zip.FileHeader{Name: "cafe\u0301/step1.redis", Method: zip.Deflate}, "SET b 2")             // NFD
	add(&zip.FileHeader{Name: "zoe/step1.redis", Method: zip.Deflate}, "SET c 3")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	class := filepath.Join(t.TempDir(), "class.zip")
	writeFile(t, class, buf.Bytes())
	c, err := List(class)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := entryMap(c)
	if len(c.Entries) != 4 {
		t.Fatalf("students %q, want Müller, café twice and zoe", idsOf(c))
	}
	for id, want := range map[string]string{
		"Müller":     `Müller: 2 folders of the class zip read as this name (spelled "M\x81ller", "M\u00fcller"): none is graded`,
		"caf\u00e9":  `2 folders of the class zip read as this name (spelled "cafe\u0301", "caf\u00e9")`,
		"cafe\u0301": `2 folders of the class zip read as this name (spelled "cafe\u0301", "caf\u00e9")`,
	} {
		if err := m[id].Err; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+q: %v, want an error saying %q", id, err, want)
		}
	}
	if m["zoe"].Err != nil {
		t.Errorf("zoe: %v", m["zoe"].Err)
	}

	dir := t.TempDir()
	for _, name := range []string{"caf\u00e9", "cafe\u0301"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c, err = List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Entries {
		if e.Err != nil || len(e.Notes) != 1 || !strings.Contains(e.Notes[0], "reads the same as this one") {
			t.Errorf("%+q: %v, notes %q; want graded, with a note of the other", e.Student, e.Err, e.Notes)
		}
	}
}
