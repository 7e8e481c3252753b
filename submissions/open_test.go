package submissions

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/ziptest"
)

// kind builds a submission called name under dir and returns its path.
type kind struct {
	name  string
	build func(t *testing.T, dir, name string, entries ...entry) string
}

// kinds lists the ways to build a submission.
func kinds() []kind {
	return []kind{
		{"folder", func(t *testing.T, dir, name string, entries ...entry) string {
			return writeFolder(t, filepath.Join(dir, name), entries...)
		}},
		{"zip", func(t *testing.T, dir, name string, entries ...entry) string {
			return writeZip(t, filepath.Join(dir, name+".zip"), entries...)
		}},
		{"tar.gz", func(t *testing.T, dir, name string, entries ...entry) string {
			return writeTarGz(t, filepath.Join(dir, name+".tar.gz"), entries...)
		}},
		{"tgz", func(t *testing.T, dir, name string, entries ...entry) string {
			return writeTarGz(t, filepath.Join(dir, name+".tgz"), entries...)
		}},
	}
}

func mustOpen(t *testing.T, path string) *Submission {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func mustText(t *testing.T, s *Submission, name string) string {
	t.Helper()
	text, err := s.Text(name)
	if err != nil {
		t.Fatalf("Text(%s): %v", name, err)
	}
	return text
}

func TestOpenKinds(t *testing.T) {
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) {
			path := k.build(t, t.TempDir(), "alice",
				fileEntry("step1.redis", "SET a b\n"),
				fileEntry("step2.lua", "return 1\n"),
				fileEntry("README", "hi"),
			)
			s := mustOpen(t, path)
			if s.Name() != "alice" {
				t.Errorf("Name() = %q, want alice", s.Name())
			}
			if s.Path() != path {
				t.Errorf("Path() = %q, want %q", s.Path(), path)
			}
			if want := []string{"README", "step1.redis", "step2.lua"}; !reflect.DeepEqual(s.Files(), want) {
				t.Errorf("Files() = %q, want %q", s.Files(), want)
			}
			if got := mustText(t, s, "step1.redis"); got != "SET a b\n" {
				t.Errorf("Text(step1.redis) = %q", got)
			}
			if got := mustText(t, s, "step2.lua"); got != "return 1\n" {
				t.Errorf("Text(step2.lua) = %q", got)
			}
		})
	}
}

func TestName(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ path, want string }{
		{writeZip(t, filepath.Join(dir, "carol.ZIP"), fileEntry("a", "x")), "carol"},
		{writeTarGz(t, filepath.Join(dir, "bob.TGZ"), fileEntry("a", "x")), "bob"},
		{writeTarGz(t, filepath.Join(dir, "eve.v2.Tar.Gz"), fileEntry("a", "x")), "eve.v2"},
		{writeFolder(t, filepath.Join(dir, "dave.zip.d"), fileEntry("a", "x")) + string(filepath.Separator), "dave.zip.d"},
		// Not UTF-8, a control character, a "%": escaped, so it survives JSON.
		{writeZip(t, filepath.Join(dir, "ana\xff\x1b[2J100%.zip"), fileEntry("a", "x")), "ana%FF%1B[2J100%25"},
	}
	for _, tt := range tests {
		if got := mustOpen(t, tt.path).Name(); got != tt.want {
			t.Errorf("Name() of %s = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestOpenRoot(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		want    []string
	}{
		{"flat", []entry{fileEntry("step1.redis", "PING"), fileEntry("step2.lua", "return 1")},
			[]string{"step1.redis", "step2.lua"}},
		{"single top folder", []entry{fileEntry("alice/step1.redis", "PING"), fileEntry("alice/step2.lua", "return 1")},
			[]string{"step1.redis", "step2.lua"}},
		{"explicit folder entries", []entry{dirEntry("alice"), dirEntry("alice/empty"), fileEntry("alice/step1.redis", "PING")},
			[]string{"step1.redis"}},
		{"__MACOSX and dot-files ignored", []entry{
			fileEntry("alice/step1.redis", "PING"),
			fileEntry("__MACOSX/alice/._step1.redis", "junk"),
			fileEntry(".DS_Store", "junk"),
			dirEntry(".git"),
			fileEntry("alice/.DS_Store", "junk"),
		}, []string{".DS_Store", "step1.redis"}},
		{"a top-level file stops the descent", []entry{fileEntry("README.txt", "hi"), fileEntry("alice/step1.redis", "PING")},
			[]string{"README.txt"}},
		{"two folders: no descent", []entry{fileEntry("a/step1.redis", "PING"), fileEntry("b/step2.lua", "return 1")},
			nil},
		{"descends only once", []entry{fileEntry("a/b/step1.redis", "PING")},
			nil},
		{"nested files do not count", []entry{fileEntry("step1.redis", "PING"), fileEntry("extra/step2.lua", "return 1")},
			[]string{"step1.redis"}},
		{"names are case-sensitive", []entry{fileEntry("Step1.redis", "PING"), fileEntry("step1.REDIS", "PING")},
			[]string{"Step1.redis", "step1.REDIS"}},
	}
	for _, k := range kinds() {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				s := mustOpen(t, k.build(t, t.TempDir(), "sub", tt.entries...))
				got := s.Files()
				if len(got) == 0 {
					got = nil
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("Files() = %q, want %q", got, tt.want)
				}
				if !slices.Contains(tt.want, "step1.redis") {
					if _, err := s.Text("step1.redis"); err == nil {
						t.Fatalf("Text(step1.redis) succeeded; it is not at the root")
					}
				}
			})
		}
	}
}

// TestArchivePathTricks: entries that climb out, absolute names, and
// Windows separators. Nothing is written to disk, but such names must not
// count as root files.
func TestArchivePathTricks(t *testing.T) {
	tricks := []entry{
		fileEntry("../step1.redis", "EVIL"),
		fileEntry("/step2.lua", "EVIL"),
		fileEntry("x/../../step3.redis", "EVIL"),
		fileEntry("./step4.lua", "return 4"),
		fileEntry("a/../step5.redis", "PING"),
	}
	backslashes := []entry{fileEntry(`alice\step1.redis`, "PING"), fileEntry(`alice\step2.lua`, "return 1")}
	for _, godebug := range []string{"", "zipinsecurepath=0,tarinsecurepath=0"} {
		for _, k := range kinds()[1:] {
			t.Run(k.name+"/GODEBUG="+godebug, func(t *testing.T) {
				t.Setenv("GODEBUG", godebug)
				s := mustOpen(t, k.build(t, t.TempDir(), "sub", tricks...))
				if want := []string{"step4.lua", "step5.redis"}; !reflect.DeepEqual(s.Files(), want) {
					t.Fatalf("Files() = %q, want %q", s.Files(), want)
				}
				s = mustOpen(t, k.build(t, t.TempDir(), "sub", backslashes...))
				if want := []string{"step1.redis", "step2.lua"}; !reflect.DeepEqual(s.Files(), want) {
					t.Fatalf("backslashes: Files() = %q, want %q", s.Files(), want)
				}
			})
		}
	}
}

func TestSymlinksNotFollowed(t *testing.T) {
	dir := t.TempDir()
	secret := writeFolder(t, filepath.Join(dir, "outside"), fileEntry("secret.redis", "SECRET"), fileEntry("alice/step1.redis", "SECRET"))
	t.Run("folder", func(t *testing.T) {
		path := writeFolder(t, filepath.Join(dir, "sub"),
			fileEntry("step1.redis", "PING"),
			linkEntry("step2.lua", filepath.Join(secret, "secret.redis")),
			linkEntry("step3.redis", "../outside/secret.redis"),
			linkEntry("loop.redis", "loop.redis"),
		)
		s := mustOpen(t, path)
		if want := []string{"step1.redis"}; !reflect.DeepEqual(s.Files(), want) {
			t.Fatalf("Files() = %q, want %q", s.Files(), want)
		}
		for _, name := range []string{"step2.lua", "step3.redis", "loop.redis"} {
			_, err := s.Text(name)
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason != "missing" {
				t.Errorf("Text(%s) = %v, want missing", name, err)
			}
		}
	})
	t.Run("folder with only a symlinked folder", func(t *testing.T) {
		path := writeFolder(t, filepath.Join(dir, "sub2"), linkEntry("alice", filepath.Join(secret, "alice")))
		if files := mustOpen(t, path).Files(); len(files) != 0 {
			t.Fatalf("Files() = %q, want none: the symlinked folder must not be entered", files)
		}
	})
	for _, k := range kinds()[1:] {
		t.Run(k.name, func(t *testing.T) {
			path := k.build(t, dir, "links-"+k.name, fileEntry("step1.redis", "PING"), linkEntry("step2.lua", "/etc/passwd"))
			s := mustOpen(t, path)
			if want := []string{"step1.redis"}; !reflect.DeepEqual(s.Files(), want) {
				t.Fatalf("Files() = %q, want %q", s.Files(), want)
			}
		})
	}
}

func TestText(t *testing.T) {
	maxText := strings.Repeat("a", MaxFileSize)
	entries := []entry{
		fileEntry("ok.redis", "SET a b\n"),
		fileEntry("bom.redis", "\uFEFFSET a b\n"),
		fileEntry("two-boms.redis", "\uFEFF\uFEFFx"),
		fileEntry("max.redis", maxText),
		fileEntry("over.redis", maxText+"a"),
		fileEntry("empty.redis", ""),
		fileEntry("blank.redis", " \n\t\r\n"),
		fileEntry("bom-only.redis", "\uFEFF"),
		fileEntry("bom-blank.redis", "\uFEFF \n\uFEFF\n"),
		fileEntry("png.lua", "\x89PNG\r\n\x1a\n\x00\x00"),
		fileEntry("nul.redis", "SET a\x00b"),
		fileEntry("latin1.redis", "h\xc3\xa9llo \xe9"),
		fileEntry("cut.redis", "abc\xe2\x82"),
		fileEntry("nul-after-bad.lua", "a\xffb\x00"),
	}
	tests := []struct {
		name    string
		want    string // the text, or the error text when reason is set
		reason  string
		wantLen int // instead of want, for big files
	}{
		{"ok.redis", "SET a b\n", "", 0},
		{"bom.redis", "SET a b\n", "", 0},
		{"two-boms.redis", "\uFEFFx", "", 0},
		{"max.redis", "", "", MaxFileSize},
		{"over.redis", "over.redis: the file is too large (1.0 MiB; the limit is 1 MiB)", "too large", 0},
		{"missing.redis", "missing.redis: the file is missing", "missing", 0},
		{"OK.redis", "OK.redis: the file is missing", "missing", 0},
		{"empty.redis", "empty.redis: the file is empty", "empty", 0},
		{"blank.redis", "blank.redis: the file is empty", "empty", 0},
		{"bom-only.redis", "bom-only.redis: the file is empty", "empty", 0},
		{"bom-blank.redis", "bom-blank.redis: the file is empty", "empty", 0},
		{"png.lua", "png.lua: the file is not text (invalid UTF-8 at byte 1)", "binary", 0},
		{"nul.redis", "nul.redis: the file is not text (contains a NUL byte at byte 6)", "binary", 0},
		{"latin1.redis", "latin1.redis: the file is not text (invalid UTF-8 at byte 8)", "binary", 0},
		{"cut.redis", "cut.redis: the file is not text (invalid UTF-8 at byte 4)", "binary", 0},
		{"nul-after-bad.lua", "nul-after-bad.lua: the file is not text (invalid UTF-8 at byte 2)", "binary", 0},
	}
	for _, k := range kinds() {
		s := mustOpen(t, k.build(t, t.TempDir(), "sub", entries...))
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				got, err := s.Text(tt.name)
				if tt.reason == "" {
					switch {
					case err != nil:
						t.Fatalf("Text: %v", err)
					case tt.wantLen != 0 && len(got) != tt.wantLen:
						t.Fatalf("Text: %d bytes, want %d", len(got), tt.wantLen)
					case tt.wantLen == 0 && got != tt.want:
						t.Fatalf("Text = %q, want %q", got, tt.want)
					}
					return
				}
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Text = %q, %v; want a *FileError", got, err)
				}
				if err.Error() != tt.want || fe.Reason != tt.reason || fe.File != tt.name {
					t.Fatalf("error %q (reason %q, file %q), want %q (reason %q)", err, fe.Reason, fe.File, tt.want, tt.reason)
				}
				if want := strings.TrimPrefix(tt.want, tt.name+": "); fe.Detail != want {
					t.Fatalf("Detail = %q, want %q", fe.Detail, want)
				}
			})
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	var tarGz bytes.Buffer
	tarGz.Write(mustRead(t, writeTarGz(t, filepath.Join(dir, "whole.tar.gz"), fileEntry("step1.redis", strings.Repeat("PING\n", 5000)))))
	manyFiles := make([]entry, maxEntries+1)
	for i := range manyFiles {
		manyFiles[i] = fileEntry(fmt.Sprintf("f%04d", i), "x")
	}
	tests := []struct {
		name string
		path string
		want string // after "open submission <path>: "
		is   error
	}{
		{"missing path", filepath.Join(dir, "nope.zip"), "no such file or directory", fs.ErrNotExist},
		{"missing folder", filepath.Join(dir, "nope"), "no such file or directory", fs.ErrNotExist},
		{"not an archive", writeBytes(t, filepath.Join(dir, "notes.txt"), []byte("hi")), "not a folder, .zip, .tar.gz or .tgz", nil},
		{"garbage zip", writeBytes(t, filepath.Join(dir, "bad.zip"), []byte("this is not a zip")), "zip: not a valid zip file", zip.ErrFormat},
		{"empty zip file", writeBytes(t, filepath.Join(dir, "empty.zip"), nil), "zip: not a valid zip file", zip.ErrFormat},
		{"garbage tar.gz", writeBytes(t, filepath.Join(dir, "bad.tar.gz"), []byte("this is not gzip")), "gzip: invalid header", nil},
		{"truncated tar.gz", writeBytes(t, filepath.Join(dir, "cut.tgz"), tarGz.Bytes()[:tarGz.Len()/2]), "unexpected EOF", nil},
		{"too many zip entries", writeZip(t, filepath.Join(dir, "many.zip"), manyFiles...), "too many entries (the limit is 1000)", nil},
		{"too many tar entries", writeTarGz(t, filepath.Join(dir, "many.tgz"), manyFiles...), "too many entries (the limit is 1000)", nil},
		{"too many folder entries", writeFolder(t, filepath.Join(dir, "many"), manyFiles...), "too many entries (the limit is 1000)", nil},
		{"too many entries in the lone folder", writeFolder(t, filepath.Join(dir, "many2"), prefixed("alice/", manyFiles)...), "alice: too many entries (the limit is 1000)", nil},
		{"duplicate zip entry", writeZip(t, filepath.Join(dir, "dup.zip"), fileEntry("step1.redis", "PING"), fileEntry("./step1.redis", "EVIL")), "the archive holds step1.redis twice", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.path)
			if err == nil {
				t.Fatalf("Open succeeded with files %q", s.Files())
			}
			if want := "open submission " + tt.path + ": " + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %q, want it to start %q", err, want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %q is not %v", err, tt.is)
			}
		})
	}
}

func prefixed(prefix string, entries []entry) []entry {
	out := make([]entry, len(entries))
	for i, e := range entries {
		e.name = prefix + e.name
		out[i] = e
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTooLargeFolder: a 40 MiB file is reported without being read.
func TestTooLargeFolder(t *testing.T) {
	path := writeFolder(t, t.TempDir(), fileEntry("step1.redis", "PING"))
	big := filepath.Join(path, "step3.redis")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 40<<20); err != nil { // sparse: cheap to make
		t.Fatal(err)
	}
	var s *Submission
	if n := allocated(func() { s = mustOpen(t, path) }); n > 256<<10 {
		t.Fatalf("Open allocated %d bytes; the big file must not be read", n)
	}
	checkTooLarge(t, s, "step3.redis", "40.0 MiB")
	if got := mustText(t, s, "step1.redis"); got != "PING" {
		t.Fatalf("Text(step1.redis) = %q", got)
	}
}

func checkTooLarge(t *testing.T, s *Submission, name, size string) {
	t.Helper()
	_, err := s.Text(name)
	want := name + ": the file is too large (" + size + "; the limit is 1 MiB)"
	var fe *FileError
	if !errors.As(err, &fe) || fe.Reason != "too large" || err.Error() != want {
		t.Fatalf("Text(%s) error %v, want %q", name, err, want)
	}
}

// TestTooLargeArchives: big and bomb-like entries cost little memory and
// time, whatever their headers say.
func TestTooLargeArchives(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		size    string // in the "too large" message; "" when Open must fail
		wantErr string
	}{
		{"zip, 40 MiB", writeZeroZip(t, filepath.Join(dir, "big.zip"), "step3.redis", 40, 40<<20), "40.0 MiB", ""},
		{"zip bomb, 100 MiB of zeros", writeZeroZip(t, filepath.Join(dir, "bomb.zip"), "step3.redis", 100, 100<<20), "100.0 MiB", ""},
		{"zip bomb whose header claims 1 MiB", writeZeroZip(t, filepath.Join(dir, "liar.zip"), "step3.redis", 100, MaxFileSize), "", "step3.redis: zip: not a valid zip file"},
		{"zip bomb whose header claims 10 bytes", writeZeroZip(t, filepath.Join(dir, "liar2.zip"), "step3.redis", 100, 10), "", "step3.redis: zip: not a valid zip file"},
		{"tar.gz, 40 MiB", writeZeroTarGz(t, filepath.Join(dir, "big.tgz"), "step3.redis", 40), "40.0 MiB", ""},
		{"tar.gz bomb, 100 MiB of zeros", writeZeroTarGz(t, filepath.Join(dir, "bomb.tgz"), "step3.redis", 100), "", "more than 64 MiB of data to read (the limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				s   *Submission
				err error
			)
			start := time.Now()
			n := allocated(func() { s, err = Open(tt.path) })
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("Open took %v", elapsed)
			}
			if n > 16<<20 {
				t.Errorf("Open allocated %d MiB", n>>20)
			}
			if tt.wantErr != "" {
				if want := "open submission " + tt.path + ": " + tt.wantErr; err == nil || err.Error() != want {
					t.Fatalf("Open error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTooLarge(t, s, "step3.redis", tt.size)
		})
	}
}

// TestTotalBudget: at most 64 MiB are read in total.
func TestTotalBudget(t *testing.T) {
	dir := t.TempDir()
	var entries []entry
	for i := range maxTotalBytes/MaxFileSize + 1 {
		entries = append(entries, fileEntry(fmt.Sprintf("f%02d", i), strings.Repeat("a", MaxFileSize)))
	}
	path := writeFolder(t, filepath.Join(dir, "sub"), entries...)
	_, err := Open(path)
	if want := "open submission " + path + ": f"; err == nil || !strings.HasPrefix(err.Error(), want) ||
		!strings.HasSuffix(err.Error(), ": more than 64 MiB of data to read (the limit)") {
		t.Fatalf("Open error %v, want the 64 MiB limit", err)
	}
	// One file fewer fits.
	if err := os.Remove(filepath.Join(path, "f00")); err != nil {
		t.Fatal(err)
	}
	if s := mustOpen(t, path); len(s.Files()) != maxTotalBytes/MaxFileSize {
		t.Fatalf("got %d files", len(s.Files()))
	}
}

func TestConcurrentUse(t *testing.T) {
	s := mustOpen(t, writeZip(t, filepath.Join(t.TempDir(), "a.zip"), fileEntry("step1.redis", "PING"), fileEntry("step2.lua", "")))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if text, err := s.Text("step1.redis"); err != nil || text != "PING" {
					t.Errorf("Text = %q, %v", text, err)
				}
				if _, err := s.Text("step2.lua"); err == nil {
					t.Errorf("Text(step2.lua) succeeded")
				}
				_ = s.Files()
			}
		})
	}
	wg.Wait()
}

// TestZipHugeDirectory: a zip listing far more than 1000 entries is refused
// before archive/zip builds them all in memory.
func TestZipHugeDirectory(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range 100_000 { // about 24 MiB of entries without the cap
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%06d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, filepath.Join(t.TempDir(), "huge.zip"), buf.Bytes())
	var err error
	if n := allocated(func() { _, err = Open(path) }); n > 16<<20 {
		t.Errorf("Open allocated %d MiB", n>>20)
	}
	if want := "open submission " + path + ": too many entries (the limit is 1000)"; err == nil || err.Error() != want {
		t.Fatalf("Open error %v, want %q", err, want)
	}
}

// TestTooLargeUnknownSize: when content is over the limit but its source
// claimed less (a header that lied, a file that grew), the size is unknown.
func TestTooLargeUnknownSize(t *testing.T) {
	over := make([]byte, MaxFileSize+1)
	s := &Submission{files: map[string]*file{
		"liar.redis":  newFile(over, 10),
		"grown.redis": newFile(over, 3<<20),
		"fine.redis":  newFile([]byte("PING"), 4),
	}}
	checkTooLarge(t, s, "liar.redis", "more than 1 MiB")
	checkTooLarge(t, s, "grown.redis", "3.0 MiB")
	if got := mustText(t, s, "fine.redis"); got != "PING" {
		t.Fatalf("Text = %q", got)
	}
}

// TestZipNamesFromWindows: Windows' "Compressed folder" writes names in
// code page 437 without the UTF-8 flag; 7-Zip adds a Unicode Path extra
// field. Both are read under their real names.
func TestZipNamesFromWindows(t *testing.T) {
	entries := []ziptest.Entry{
		{Name: "Übung1/"},
		{Name: "Übung1/step1.redis", Data: "SET stock 100"},
		{Name: "Übung1/step2.lua", Data: "return 1"},
		{Name: "Übung1/Lösung für Straße.redis", Data: "PING"},
	}
	for _, tool := range []struct {
		name  string
		write func(...ziptest.Entry) ([]byte, error)
	}{{"compressed folder", ziptest.Windows}, {"unicode path extra", ziptest.UnicodePathExtra}} {
		t.Run(tool.name, func(t *testing.T) {
			data, err := tool.write(entries...)
			if err != nil {
				t.Fatal(err)
			}
			s := mustOpen(t, writeBytes(t, filepath.Join(t.TempDir(), "ana.zip"), data))
			if want := []string{"Lösung für Straße.redis", "step1.redis", "step2.lua"}; !reflect.DeepEqual(s.Files(), want) {
				t.Fatalf("Files() = %q, want %q (notes %q)", s.Files(), want, s.Notes())
			}
			if got := mustText(t, s, "step1.redis"); got != "SET stock 100" {
				t.Fatalf("step1.redis = %q", got)
			}
			if len(s.Notes()) != 0 {
				t.Errorf("notes %q, want none", s.Notes())
			}
		})
	}
}

// TestZipEntryName covers each rule of ZipEntryName.
func TestZipEntryName(t *testing.T) {
	tests := []struct {
		name string
		h    zip.FileHeader
		want string
	}{
		{"ascii", zip.FileHeader{Name: "step1.redis"}, "step1.redis"},
		{"flagged utf-8", zip.FileHeader{Name: "Übung/a", Flags: 0x800}, "Übung/a"},
		{"unflagged utf-8 (macOS, Info-ZIP)", zip.FileHeader{Name: "Übung/a"}, "Übung/a"},
		{"cp437", zip.FileHeader{Name: "\x9abung/M\x81ller \xe1"}, "Übung/Müller ß"},
		{"flagged but not utf-8 stays as is", zip.FileHeader{Name: "a\xff", Flags: 0x800}, "a\xff"},
	}
	for _, tt := range tests {
		if got := ZipEntryName(&tt.h); got != tt.want {
			t.Errorf("%s: ZipEntryName(%q) = %q, want %q", tt.name, tt.h.Name, got, tt.want)
		}
	}
}

// TestNotes: whatever Open leaves out, it says so, once per entry or once
// per folder with a count.
func TestNotes(t *testing.T) {
	t.Run("archives", func(t *testing.T) {
		entries := []entry{
			fileEntry("ana/step1.redis", "PING"),
			fileEntry("ana/tests/a.redis", "x"),
			fileEntry("ana/tests/b.redis", "x"),
			linkEntry("ana/step2.lua", "/etc/passwd"),
			fileEntry("../evil.redis", "x"),
			fileEntry(".DS_Store", "x"),
			fileEntry("__MACOSX/ana/._step1.redis", "x"),
		}
		for _, k := range kinds()[1:] {
			t.Run(k.name, func(t *testing.T) {
				s := mustOpen(t, k.build(t, t.TempDir(), "sub", entries...))
				if want := []string{"step1.redis"}; !reflect.DeepEqual(s.Files(), want) {
					t.Fatalf("Files() = %q, want %q", s.Files(), want)
				}
				want := []string{
					`skipped entry "../evil.redis": its name is absolute or climbs out of the archive with ..`,
					`skipped "ana/step2.lua": a symlink, not a regular file`,
					`skipped ".DS_Store": only the folder "ana/" is read, as it holds the submission`,
					`skipped folder "ana/tests/" (2 entries): only files at the submission's root are read`,
					`skipped folder "__MACOSX/" (1 entry): folders named __MACOSX or starting with a dot are not read`,
				}
				checkNotes(t, s.Notes(), want)
			})
		}
	})
	t.Run("folder", func(t *testing.T) {
		path := writeFolder(t, filepath.Join(t.TempDir(), "sub"),
			fileEntry("step1.redis", "PING"),
			fileEntry("tests/a.redis", "x"),
			fileEntry(".git/HEAD", "x"),
			linkEntry("step2.lua", "/etc/passwd"),
		)
		s := mustOpen(t, path)
		checkNotes(t, s.Notes(), []string{
			`skipped folder ".git/": folders named __MACOSX or starting with a dot are not read`,
			`skipped entry "step2.lua": a symlink, not a regular file`,
			`skipped folder "tests/": only files at the submission's root are read`,
		})
	})
}

func checkNotes(t *testing.T, got, want []string) {
	t.Helper()
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Notes():\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestDotFolderNotCounted: a student's zip or tarball that carries its .git
// (1000 objects, as many as the entry limit) is read, the .git skipped.
func TestDotFolderNotCounted(t *testing.T) {
	entries := []entry{fileEntry("ana/step1.redis", "PING")}
	for i := range maxEntries {
		entries = append(entries, fileEntry(fmt.Sprintf("ana/.git/objects/%02x/%038x", i%256, i), "blob"))
	}
	for _, k := range kinds()[1:3] {
		t.Run(k.name, func(t *testing.T) {
			s := mustOpen(t, k.build(t, t.TempDir(), "ana", entries...))
			if want := []string{"step1.redis"}; !reflect.DeepEqual(s.Files(), want) {
				t.Fatalf("Files() = %q, want %q", s.Files(), want)
			}
			checkNotes(t, s.Notes(), []string{`skipped folder "ana/.git/" (1000 entries): folders named __MACOSX or starting with a dot are not read`})
		})
	}
	// Without a dot, as many entries are still too many.
	for i := range entries[1:] {
		entries[i+1].name = strings.Replace(entries[i+1].name, ".git", "git", 1)
	}
	for _, k := range kinds()[1:3] {
		_, err := Open(k.build(t, t.TempDir(), "ana", entries...))
		if err == nil || !strings.Contains(err.Error(), "too many entries") {
			t.Errorf("%s: Open error %v, want too many entries", k.name, err)
		}
	}
}
