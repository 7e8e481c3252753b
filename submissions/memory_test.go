package submissions

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameSubmission fails unless a and b hold the same name, files, texts (or
// text errors) and notes.
func sameSubmission(t *testing.T, a, b *Submission) {
	t.Helper()
	if a.Name() != b.Name() || !reflect.DeepEqual(a.Files(), b.Files()) || !reflect.DeepEqual(a.Notes(), b.Notes()) {
		t.Fatalf("from disk %q %q %q, from memory %q %q %q", a.Name(), a.Files(), a.Notes(), b.Name(), b.Files(), b.Notes())
	}
	for _, name := range a.Files() {
		ta, ea := a.Text(name)
		tb, eb := b.Text(name)
		if ta != tb || fmt.Sprint(ea) != fmt.Sprint(eb) {
			t.Errorf("%s: from disk %q (%v), from memory %q (%v)", name, ta, ea, tb, eb)
		}
	}
}

// TestOpenArchiveFromMemory: an archive in memory opens as the same bytes
// on disk do: files, notes, bounds and errors.
func TestOpenArchiveFromMemory(t *testing.T) {
	dir := t.TempDir()
	manyFiles := make([]entry, maxEntries+1)
	for i := range manyFiles {
		manyFiles[i] = fileEntry(fmt.Sprintf("f%04d", i), "x")
	}
	whole := mustRead(t, writeTarGz(t, filepath.Join(dir, "whole.tar.gz"), fileEntry("step1.redis", strings.Repeat("PING\n", 5000))))
	paths := []string{
		writeZip(t, filepath.Join(dir, "alice.zip"), fileEntry("step1.redis", "SET a 1\n"), fileEntry("step2.lua", "return 1")),
		writeTarGz(t, filepath.Join(dir, "bob.tar.gz"), dirEntry("bob/"), fileEntry("bob/step1.redis", "PING"), fileEntry("bob/.hidden", "x")),
		writeTarGz(t, filepath.Join(dir, "Carol.TGZ"), fileEntry("step1.redis", "PING")),
		writeZip(t, filepath.Join(dir, "tricks.zip"), fileEntry("../evil", "x"), fileEntry("/abs", "y"), fileEntry("__MACOSX/._a", "z"), fileEntry("step1.redis", "PING"), linkEntry("link", "/etc/passwd")),
		writeZip(t, filepath.Join(dir, "big.zip"), fileEntry("step1.redis", strings.Repeat("a", MaxFileSize+1))),
		writeZeroZip(t, filepath.Join(dir, "liar.zip"), "step1.redis", 2, 10),
		writeZeroTarGz(t, filepath.Join(dir, "bomb.tar.gz"), "step1.redis", 65),
		writeZip(t, filepath.Join(dir, "many.zip"), manyFiles...),
		writeZip(t, filepath.Join(dir, "dup.zip"), fileEntry("step1.redis", "PING"), fileEntry("./step1.redis", "EVIL")),
		writeBytes(t, filepath.Join(dir, "garbage.zip"), []byte("this is not a zip")),
		writeBytes(t, filepath.Join(dir, "garbage.tar.gz"), []byte("this is not gzip")),
		writeBytes(t, filepath.Join(dir, "cut.tgz"), whole[:len(whole)/2]),
	}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			onDisk, diskErr := Open(path)
			inMemory, memErr := OpenArchive(name, mustRead(t, path))
			if (diskErr == nil) != (memErr == nil) {
				t.Fatalf("from disk: %v; from memory: %v", diskErr, memErr)
			}
			if diskErr != nil {
				want := strings.TrimPrefix(diskErr.Error(), "open submission "+path+": ")
				if memErr.Error() != "open submission "+name+": "+want {
					t.Errorf("from memory %q, want the error from disk %q", memErr, want)
				}
				if errors.Is(diskErr, zip.ErrFormat) != errors.Is(memErr, zip.ErrFormat) {
					t.Errorf("errors.Is(zip.ErrFormat): from disk %v, from memory %v", diskErr, memErr)
				}
				return
			}
			sameSubmission(t, onDisk, inMemory)
		})
	}
	if _, err := OpenArchive("notes.txt", []byte("hi")); err == nil || err.Error() != "open submission notes.txt: not a .zip, .tar.gz or .tgz" {
		t.Errorf("not an archive: %v", err)
	}
}

// TestOpenFilesFromMemory: loose files in memory open as a folder of them
// does, within the same bounds.
func TestOpenFilesFromMemory(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("a", MaxFileSize)
	budget := map[string]string{}
	for i := range maxTotalBytes/MaxFileSize + 1 {
		budget[fmt.Sprintf("f%02d", i)] = big
	}
	many := map[string]string{}
	for i := range maxEntries + 1 {
		many[fmt.Sprintf("f%04d", i)] = "x"
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string // the error after "open submission <name>: ", or "" for none
	}{
		{"plain", map[string]string{"step1.redis": "SET a 1\n", "step2.lua": "return 1", "notes.txt": "\xff\xfe"}, ""},
		{"too large", map[string]string{"step1.redis": big + "a", "step2.lua": "return 1"}, ""},
		{"budget", budget, "more than 64 MiB of data to read (the limit)"},
		{"many", many, "too many entries (the limit is 1000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			var entries []entry
			for n, data := range tt.files {
				files[n] = []byte(data)
				entries = append(entries, fileEntry(n, data))
			}
			inMemory, err := OpenFiles(tt.name, files)
			if tt.want != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "open submission "+tt.name+": ") || !strings.HasSuffix(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameSubmission(t, mustOpen(t, writeFolder(t, filepath.Join(dir, tt.name), entries...)), inMemory)
		})
	}
	for _, bad := range []string{"a/b", `a\b`, "..", ".", ""} {
		if _, err := OpenFiles("s", map[string][]byte{bad: []byte("x")}); err == nil || !strings.Contains(err.Error(), "is not a plain name") {
			t.Errorf("file name %q: %v", bad, err)
		}
	}
	// What the caller holds is copied: changing it later changes nothing.
	files := map[string][]byte{"step1.redis": []byte("PING")}
	s, err := OpenFiles("s", files)
	if err != nil {
		t.Fatal(err)
	}
	files["step1.redis"][0] = 'X'
	if text := mustText(t, s, "step1.redis"); text != "PING" {
		t.Errorf("the submission changed with its caller's bytes: %q", text)
	}
}

// TestNewZipReader: the directory's read is bounded; an insecure name is
// the caller's to check, not an error.
func TestNewZipReader(t *testing.T) {
	data := mustRead(t, writeZip(t, filepath.Join(t.TempDir(), "a.zip"), fileEntry("../evil", "x"), fileEntry("step1.redis", "PING")))
	// The least bound the directory fits in: no room left for the entries.
	var zr *zip.Reader
	var err error
	for bound := int64(1); zr == nil; bound++ {
		if bound > 4*int64(len(data)) {
			t.Fatalf("NewZipReader: %v", err)
		}
		zr, err = NewZipReader(bytes.NewReader(data), int64(len(data)), bound)
	}
	if len(zr.File) != 2 {
		t.Fatalf("%d entries", len(zr.File))
	}
	// Reading the entries afterwards is not capped by the directory's bound.
	rc, err := zr.File[1].Open()
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := NewZipReader(bytes.NewReader(data), int64(len(data)), 40); !errors.Is(err, ErrZipDirectoryTooLarge) {
		t.Errorf("a directory over 40 bytes: %v", err)
	}
}
