package submissions

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
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
	kind    string    // what a non-regular entry is, for the note that skips it
	zf      *zip.File // zip: read on demand
	file    *file     // tar: read while streaming (nil if not needed)
}

// CleanEntryName turns an archive entry name into a safe relative path, or
// reports false for names that are absolute, climb out with "..", or are
// not valid UTF-8 (decode zip names with ZipEntryName first).
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

// unsafeNameNote is the note for an entry CleanEntryName refused.
func unsafeNameNote(raw string) string {
	why := "its name is absolute or climbs out of the archive with .."
	if !utf8.ValidString(raw) {
		why = "its name is not valid UTF-8"
	}
	return fmt.Sprintf("skipped entry %q: %s", raw, why)
}

// zip flag bit 11 (APPNOTE 4.4.4): the name and comment are UTF-8.
const zipFlagUTF8 = 0x800

// zipUnicodePathID is the Info-ZIP Unicode Path extra field (APPNOTE
// 4.6.9), which 7-Zip, WinRAR and Info-ZIP write next to a legacy name.
const zipUnicodePathID = 0x7075

// ZipEntryName is a zip entry's name as UTF-8 text. APPNOTE says a name
// without the UTF-8 flag (bit 11) is in code page 437, which is what
// Windows' "Compressed folder" writes (Übung1 is the bytes 9A 62 75 ...).
// In order: a Unicode Path extra field that matches the name wins; a name
// flagged UTF-8 is taken as it is; an unflagged name that is valid UTF-8
// is taken as it is too, as macOS and Info-ZIP write UTF-8 without the
// flag and a real CP437 name is almost never valid UTF-8 (its accented
// letters are bytes 0x80-0xA5, which UTF-8 only allows after a lead byte);
// any other name is decoded from CP437.
func ZipEntryName(h *zip.FileHeader) string {
	if name, ok := unicodePathExtra(h); ok {
		return name
	}
	if h.Flags&zipFlagUTF8 != 0 || utf8.ValidString(h.Name) {
		return h.Name
	}
	name, err := charmap.CodePage437.NewDecoder().String(h.Name)
	if err != nil { // cannot happen: every byte is a CP437 character
		return h.Name
	}
	return name
}

// unicodePathExtra returns the UTF-8 name of an Info-ZIP Unicode Path
// extra field, if there is one for the name as it stands (its CRC-32 is of
// the legacy name, so a renamed entry's stale field is ignored).
func unicodePathExtra(h *zip.FileHeader) (string, bool) {
	extra := h.Extra
	for len(extra) >= 4 {
		id, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if size > len(extra) {
			return "", false
		}
		field := extra[:size]
		extra = extra[size:]
		if id != zipUnicodePathID || len(field) < 5 || field[0] != 1 {
			continue
		}
		name := string(field[5:])
		if binary.LittleEndian.Uint32(field[1:]) == crc32.ChecksumIEEE([]byte(h.Name)) && utf8.ValidString(name) {
			return name, true
		}
	}
	return "", false
}

// skippedFolder reports whether a folder is never read: macOS resource
// forks and dot-folders (.git, .idea, .vscode).
func skippedFolder(name string) bool {
	return name == "__MACOSX" || strings.HasPrefix(name, ".")
}

// inSkippedFolder returns the path of the first skipped folder a cleaned
// entry name lies in (".git" for ".git/objects/ab/cd"), or "".
func inSkippedFolder(name string) string {
	elems := strings.Split(name, "/")
	for i, el := range elems[:len(elems)-1] {
		if skippedFolder(el) {
			return strings.Join(elems[:i+1], "/")
		}
	}
	return ""
}

// folderNotes counts the entries skipped under each folder, to say so once
// per folder rather than once per entry (a .git holds thousands).
type folderNotes struct {
	order []string
	count map[string]int
	why   map[string]string
}

func (f *folderNotes) add(folder, why string) {
	if f.count == nil {
		f.count, f.why = map[string]int{}, map[string]string{}
	}
	if _, ok := f.count[folder]; !ok {
		f.order = append(f.order, folder)
		f.why[folder] = why
	}
	f.count[folder]++
}

func (f *folderNotes) notes() []string {
	var out []string
	for _, folder := range f.order {
		n := f.count[folder]
		entries := "entries"
		if n == 1 {
			entries = "entry"
		}
		out = append(out, fmt.Sprintf("skipped folder %q (%d %s): %s", folder+"/", n, entries, f.why[folder]))
	}
	return out
}

const (
	whySkippedFolder = "folders named __MACOSX or starting with a dot are not read"
	whyNested        = "only files at the submission's root are read"
	whyOutside       = "only the folder %q is read, as it holds the submission"
)

// rootEntries picks the submission root among archive entries (descending
// into a lone top-level folder, as for folders) and returns the regular
// files directly in it, and a note for every entry left out: an entry is
// never dropped without a word. Entries inside skipped folders must not be
// in entries; skipped counts them by folder.
func rootEntries(entries []archiveEntry, skipped *folderNotes) ([]archiveEntry, []string, error) {
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
	var notes []string
	seen := make(map[string]bool)
	for _, e := range entries {
		base, ok := strings.CutPrefix(e.name, prefix)
		switch {
		case e.dir && (ok || e.name+"/" == prefix):
			// A folder's own entry loses nothing; its files are noted.
		case !ok:
			top, _, _ := strings.Cut(e.name, "/")
			if e.dir || top != e.name {
				skipped.add(top, fmt.Sprintf(whyOutside, prefix))
			} else {
				notes = append(notes, fmt.Sprintf("skipped %q: "+whyOutside, e.name, prefix))
			}
		case strings.Contains(base, "/"):
			sub, _, _ := strings.Cut(base, "/")
			skipped.add(prefix+sub, whyNested)
		case !e.regular:
			notes = append(notes, fmt.Sprintf("skipped %q: %s, not a regular file", e.name, e.kind))
		case seen[base]:
			return nil, nil, fmt.Errorf("the archive holds %s twice", e.name)
		default:
			seen[base] = true
			root = append(root, e)
		}
	}
	return root, append(notes, skipped.notes()...), nil
}

// baseName is the last element of a cleaned entry name.
func baseName(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

func readZip(p string) (map[string]*file, []string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, trimPathError(err, p)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	return readZipAt(f, info.Size())
}

// readZipAt reads a zip of size bytes from r, a file or memory alike.
func readZipAt(r io.ReaderAt, size int64) (map[string]*file, []string, error) {
	zr, err := NewZipReader(r, size, maxZipDirectory)
	if errors.Is(err, ErrZipDirectoryTooLarge) {
		return nil, nil, tooManyEntries()
	}
	if err != nil {
		return nil, nil, err
	}
	var entries []archiveEntry
	var notes []string
	var skipped folderNotes
	for _, zf := range zr.File {
		raw := ZipEntryName(&zf.FileHeader)
		name, ok := CleanEntryName(raw)
		if !ok {
			notes = append(notes, unsafeNameNote(raw))
			continue
		}
		if folder := inSkippedFolder(name); folder != "" {
			skipped.add(folder, whySkippedFolder) // not counted against the limit
			continue
		}
		mode := zf.Mode()
		dir := strings.HasSuffix(raw, "/") || mode.IsDir()
		if dir && skippedFolder(baseName(name)) {
			continue // the folder's own entry: its contents are noted
		}
		entries = append(entries, archiveEntry{name: name, dir: dir, regular: !dir && mode.IsRegular(), kind: FileKind(mode), zf: zf})
	}
	if len(entries)+len(notes) > maxEntries {
		return nil, nil, tooManyEntries()
	}
	root, rootNotes, err := rootEntries(entries, &skipped)
	if err != nil {
		return nil, nil, err
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
			return nil, nil, fmt.Errorf("%s: %w", e.name, err)
		}
		files[baseName(e.name)] = newFile(data, 0)
	}
	return files, append(notes, rootNotes...), nil
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

func readTarGz(p string) (map[string]*file, []string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, trimPathError(err, p)
	}
	defer f.Close()
	return readTarGzFrom(bufio.NewReader(f))
}

// readTarGzFrom reads a .tar.gz stream, from a file or memory alike.
func readTarGzFrom(r io.Reader) (map[string]*file, []string, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	defer gz.Close()
	// A tar stream can only be skipped through by decompressing it, so
	// every decompressed byte counts against the budget.
	cr := &cappedReader{r: gz, left: maxTotalBytes}
	var skipped folderNotes
	entries, notes, err := readTarEntries(tar.NewReader(cr), &skipped)
	if cr.exceeded {
		return nil, nil, tooMuchData()
	}
	if err != nil {
		return nil, nil, err
	}
	root, rootNotes, err := rootEntries(entries, &skipped)
	if err != nil {
		return nil, nil, err
	}
	files := make(map[string]*file)
	for _, e := range root {
		files[baseName(e.name)] = e.file
	}
	return files, append(notes, rootNotes...), nil
}

// tarKind names a non-regular tar entry.
func tarKind(flag byte) string {
	switch flag {
	case tar.TypeSymlink:
		return "a symlink"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeFifo:
		return "a named pipe"
	case tar.TypeChar, tar.TypeBlock:
		return "a device"
	}
	return "a special file"
}

// readTarEntries lists a tar stream. Regular files that may end up at the
// root (at most one folder deep) are read, bounded, as they stream past.
// Entries in skipped folders are counted in skipped, not listed, and do not
// count against maxEntries.
func readTarEntries(tr *tar.Reader, skipped *folderNotes) ([]archiveEntry, []string, error) {
	var entries []archiveEntry
	var notes []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries, notes, nil
		}
		// ErrInsecurePath comes with a usable header; names are checked below.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return nil, nil, err
		}
		name, ok := CleanEntryName(hdr.Name)
		if ok {
			if folder := inSkippedFolder(name); folder != "" {
				skipped.add(folder, whySkippedFolder)
				continue
			}
			if hdr.Typeflag == tar.TypeDir && skippedFolder(baseName(name)) {
				continue
			}
		}
		if len(entries)+len(notes) >= maxEntries {
			return nil, nil, tooManyEntries()
		}
		if !ok {
			notes = append(notes, unsafeNameNote(hdr.Name))
			continue
		}
		e := archiveEntry{name: name, dir: hdr.Typeflag == tar.TypeDir, regular: hdr.Typeflag == tar.TypeReg, kind: tarKind(hdr.Typeflag)}
		if e.regular && strings.Count(name, "/") <= 1 {
			data, err := io.ReadAll(io.LimitReader(tr, MaxFileSize+1))
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name, err)
			}
			e.file = newFile(data, hdr.Size)
		}
		entries = append(entries, e)
	}
}

// ErrZipDirectoryTooLarge is NewZipReader's error for a central directory
// over its bound.
var ErrZipDirectoryTooLarge = errors.New("the zip's directory is too large")

// NewZipReader reads a zip's central directory from r (size bytes), reading
// at most maxDirectory bytes to do it: zip.NewReader loads a directory of
// whatever size the archive claims. Over the bound it fails with
// ErrZipDirectoryTooLarge. zip.ErrInsecurePath is no error here (the reader
// is usable): the caller checks each entry's name. Reading the entries
// afterwards is not capped; the caller bounds each file's read.
func NewZipReader(r io.ReaderAt, size, maxDirectory int64) (*zip.Reader, error) {
	ra := &cappedReaderAt{r: r, left: maxDirectory}
	zr, err := zip.NewReader(ra, size)
	if ra.exceeded {
		return nil, ErrZipDirectoryTooLarge
	}
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	ra.left = -1
	return zr, nil
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
		err = ErrZipDirectoryTooLarge
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
