package submissions

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strings"
)

// maxZipDirectory bounds the bytes archive/zip may read to load a zip's
// central directory. It keeps every entry in memory and its count field
// is not trusted, so without this a large crafted zip could cost hundreds
// of MiB before we get to count entries. 1000 honest entries need about
// 200 KiB.
const maxZipDirectory = 1 << 20

// archiveEntry is one entry of an archive, under its cleaned name.
type archiveEntry struct {
	name    string // slash-separated, no "." or ".." elements
	dir     bool
	regular bool
	zf      *zip.File // zip: read on demand
	file    *file     // tar: read while streaming (nil if not needed)
}

// CleanEntryName turns an archive entry name into a safe relative path, or
// reports false for names that are absolute or climb out with "..".
// Backslashes count as separators, as some Windows tools write them.
func CleanEntryName(raw string) (string, bool) {
	name := strings.ReplaceAll(raw, `\`, "/")
	if strings.HasPrefix(name, "/") {
		return "", false
	}
	name = path.Clean(name)
	if name == "." || !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

// rootEntries picks the submission root among archive entries (descending
// into a lone top-level folder, as for folders) and returns the regular
// files directly in it.
func rootEntries(entries []archiveEntry) ([]archiveEntry, error) {
	var regular []string
	dirs := make(map[string]bool)
	for _, e := range entries {
		top, _, nested := strings.Cut(e.name, "/")
		switch {
		case nested || e.dir:
			dirs[top] = true
		case e.regular:
			regular = append(regular, top)
		}
	}
	var dirNames []string
	for d := range dirs {
		dirNames = append(dirNames, d)
	}
	prefix := ""
	if sub, ok := loneDir(regular, dirNames); ok {
		prefix = sub + "/"
	}
	var root []archiveEntry
	seen := make(map[string]bool)
	for _, e := range entries {
		base, ok := strings.CutPrefix(e.name, prefix)
		if !ok || !e.regular || strings.Contains(base, "/") {
			continue
		}
		if seen[base] {
			return nil, fmt.Errorf("the archive holds %s twice", e.name)
		}
		seen[base] = true
		root = append(root, e)
	}
	return root, nil
}

// baseName is the last element of a cleaned entry name.
func baseName(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

func readZip(p string) (map[string]*file, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, trimPathError(err, p)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	ra := &cappedReaderAt{r: f, left: maxZipDirectory}
	zr, err := zip.NewReader(ra, info.Size())
	if ra.exceeded {
		return nil, tooManyEntries()
	}
	// ErrInsecurePath comes with a usable reader; names are checked below.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	ra.left = -1 // from here each file's read is bounded instead
	if len(zr.File) > maxEntries {
		return nil, tooManyEntries()
	}
	var entries []archiveEntry
	for _, zf := range zr.File {
		name, ok := CleanEntryName(zf.Name)
		if !ok {
			continue
		}
		mode := zf.Mode()
		dir := strings.HasSuffix(zf.Name, "/") || mode.IsDir()
		entries = append(entries, archiveEntry{name: name, dir: dir, regular: !dir && mode.IsRegular(), zf: zf})
	}
	root, err := rootEntries(entries)
	if err != nil {
		return nil, err
	}
	files := make(map[string]*file)
	b := &budget{left: maxTotalBytes}
	for _, e := range root {
		if e.zf.UncompressedSize64 > MaxFileSize {
			// A header claiming too much is believed: reading cannot make
			// the file acceptable, and a lie only hurts the student.
			size := int64(min(e.zf.UncompressedSize64, math.MaxInt64))
			files[baseName(e.name)] = &file{size: size, tooLarge: true}
			continue
		}
		data, err := readZipFile(e.zf, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		files[baseName(e.name)] = newFile(data, 0)
	}
	return files, nil
}

// readZipFile reads at most MaxFileSize+1 bytes of a zip entry, whatever
// its header says.
func readZipFile(zf *zip.File, b *budget) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return b.readBounded(rc)
}

func readTarGz(p string) (map[string]*file, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, trimPathError(err, p)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	// A tar stream can only be skipped through by decompressing it, so
	// every decompressed byte counts against the budget.
	cr := &cappedReader{r: gz, left: maxTotalBytes}
	entries, err := readTarEntries(tar.NewReader(cr))
	if cr.exceeded {
		return nil, tooMuchData()
	}
	if err != nil {
		return nil, err
	}
	root, err := rootEntries(entries)
	if err != nil {
		return nil, err
	}
	files := make(map[string]*file)
	for _, e := range root {
		files[baseName(e.name)] = e.file
	}
	return files, nil
}

// readTarEntries lists a tar stream. Regular files that may end up at the
// root (at most one folder deep) are read, bounded, as they stream past.
func readTarEntries(tr *tar.Reader) ([]archiveEntry, error) {
	var entries []archiveEntry
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries, nil
		}
		// ErrInsecurePath comes with a usable header; names are checked below.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return nil, err
		}
		if n >= maxEntries {
			return nil, tooManyEntries()
		}
		name, ok := CleanEntryName(hdr.Name)
		if !ok {
			continue
		}
		e := archiveEntry{name: name, dir: hdr.Typeflag == tar.TypeDir, regular: hdr.Typeflag == tar.TypeReg}
		if e.regular && strings.Count(name, "/") <= 1 {
			data, err := io.ReadAll(io.LimitReader(tr, MaxFileSize+1))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			e.file = newFile(data, hdr.Size)
		}
		entries = append(entries, e)
	}
}

// cappedReaderAt fails reads once left bytes have been read; left < 0
// means no cap.
type cappedReaderAt struct {
	r        io.ReaderAt
	left     int64
	exceeded bool
}

func (c *cappedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if c.left < 0 {
		return c.r.ReadAt(p, off)
	}
	if int64(len(p)) <= c.left {
		n, err := c.r.ReadAt(p, off)
		c.left -= int64(n)
		return n, err
	}
	n, err := c.r.ReadAt(p[:c.left], off)
	c.left -= int64(n)
	if err == nil {
		c.exceeded = true
		err = tooMuchData()
	}
	return n, err
}

// cappedReader fails once more than left bytes would be read.
type cappedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.exceeded = true
		return 0, tooMuchData()
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
