// Package submissions reads what a student hands in: a folder, a .zip or a
// .tar.gz, opened with bounds on every size and count (student input is
// untrusted), and the commands of a .redis file, split as redis-cli splits
// them.
package submissions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redisgrade/redisgrade/internal/regularfile"
)

// MaxFileSize is the largest submission file that is kept: 1 MiB.
const MaxFileSize = 1 << 20

// Bounds on what Open reads, because student input is untrusted.
const (
	maxEntries    = 1000     // entries in an archive, or in a folder
	maxTotalBytes = 64 << 20 // bytes read from an archive (uncompressed) or folder
)

// Submission is an opened submission: a folder or an archive whose root files
// have been read into memory, within the bounds above. It does not change
// after Open and is safe for concurrent use.
type Submission struct {
	name  string
	path  string
	files map[string]*file
	notes []string
}

// file is one regular file at the root of a submission.
type file struct {
	data     []byte // nil when tooLarge
	size     int64  // for "too large" messages; not over MaxFileSize if unknown
	tooLarge bool
}

// Open opens a folder, a .zip, or a .tar.gz/.tgz (the kind comes from the
// name, in any letter case). Its errors name the path and wrap the cause.
//
// If the top level holds no regular files but exactly one directory
// (ignoring __MACOSX and names starting with a dot), Open descends into that
// directory once, since students zip their folder. Only regular files
// directly in that root count; Files lists them all, dot-files included.
//
// Bounds: an archive or folder may hold at most 1000 entries, and at most
// 64 MiB are read in total (for .tar.gz that counts every decompressed byte,
// as the stream must be read through). Files over MaxFileSize are remembered
// as too large but not kept, and reads are bounded whatever headers claim.
// A zip whose central directory is over 1 MiB (far more than 1000 entries
// need) is refused before it is loaded.
//
// Zip names without the UTF-8 flag are decoded from code page 437 (see
// ZipEntryName). Folders named __MACOSX or starting with a dot (.git) are
// skipped, and their entries do not count against the 1000.
//
// Archive entries with unsafe names (absolute, or climbing out with "..")
// are ignored, backslashes count as separators, and a root file listed twice
// makes Open fail. Symlinks and other non-regular files are ignored, in
// folders and archives alike, so Text reports them missing. Nothing is left
// out without a word: Notes says which entries were skipped and why.
func Open(path string) (*Submission, error) {
	s, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("open submission %s: %w", path, err)
	}
	return s, nil
}

func open(path string) (*Submission, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, trimPathError(err, path)
	}
	s := &Submission{name: filepath.Base(path), path: path}
	suffix := ArchiveSuffix(path)
	switch {
	case info.IsDir():
		s.files, s.notes, err = readFolder(path)
	case !info.Mode().IsRegular():
		return nil, errors.New("not a folder or a regular file")
	case suffix == ".zip":
		s.files, s.notes, err = readZip(path)
	case suffix != "":
		s.files, s.notes, err = readTarGz(path)
	default:
		return nil, errors.New("not a folder, .zip, .tar.gz or .tgz")
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		s.name = s.name[:len(s.name)-len(suffix)]
	}
	return s, nil
}

// OpenArchive opens a .zip, .tar.gz or .tgz held in memory (an upload):
// name gives its kind and the submission's name, as a path does for Open,
// and the bounds, notes and errors are Open's.
func OpenArchive(name string, data []byte) (*Submission, error) {
	s, err := openArchive(name, data)
	if err != nil {
		return nil, fmt.Errorf("open submission %s: %w", name, err)
	}
	return s, nil
}

func openArchive(name string, data []byte) (*Submission, error) {
	s := &Submission{name: name}
	var err error
	switch suffix := ArchiveSuffix(name); suffix {
	case "":
		return nil, errors.New("not a .zip, .tar.gz or .tgz")
	case ".zip":
		s.files, s.notes, err = readZipAt(bytes.NewReader(data), int64(len(data)))
		s.name = name[:len(name)-len(suffix)]
	default:
		s.files, s.notes, err = readTarGzFrom(bytes.NewReader(data))
		s.name = name[:len(name)-len(suffix)]
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenFiles opens loose files held in memory, by name, as Open opens a
// folder named name holding just them: the same bounds and errors. A file
// name must be a plain name, with no folder in it.
func OpenFiles(name string, files map[string][]byte) (*Submission, error) {
	s, err := openFiles(name, files)
	if err != nil {
		return nil, fmt.Errorf("open submission %s: %w", name, err)
	}
	return s, nil
}

func openFiles(name string, files map[string][]byte) (*Submission, error) {
	if len(files) > maxEntries {
		return nil, tooManyEntries()
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names) // the same error for the same files, whatever the map's order
	s := &Submission{name: name, files: make(map[string]*file, len(files))}
	b := &budget{left: maxTotalBytes}
	for _, n := range names {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
			return nil, fmt.Errorf("file name %q is not a plain name", n)
		}
		data := files[n]
		if len(data) > MaxFileSize {
			s.files[n] = &file{size: int64(len(data)), tooLarge: true}
			continue
		}
		kept, err := b.readBounded(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		s.files[n] = newFile(kept, 0)
	}
	return s, nil
}

// ArchiveSuffix returns the archive extension Open and OpenArchive read
// (.zip, .tar.gz, .tgz, in any letter case) as written at the end of path,
// or "".
func ArchiveSuffix(path string) string {
	for _, ext := range []string{".zip", ".tar.gz", ".tgz"} {
		if len(path) >= len(ext) && strings.EqualFold(path[len(path)-len(ext):], ext) {
			return ext
		}
	}
	return ""
}

// trimPathError drops an *fs.PathError about path itself, since the caller's
// message already names it; errors.Is still sees the cause.
func trimPathError(err error, path string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err
	}
	return err
}

// Name is the submission's name: the base name of the path without
// .zip/.tar.gz/.tgz, through EscapeName.
func (s *Submission) Name() string { return EscapeName(s.name) }

// EscapeName makes a file name into text that names it alone: the name
// itself, except that bytes that are not UTF-8, control characters,
// invisible format characters (bidi controls such as U+202E, which would
// reorder a list of names, zero-width spaces and joiners, and other
// characters that show nothing), line separators and "%" are written %XX,
// byte by byte ("ana\xff" is "ana%FF", "100%" is "100%25", "\u202e" is
// "%E2%80%AE"). The result is valid UTF-8 (it survives JSON), prints as it
// is and in order, two names never share it, and url.PathUnescape gives
// the name back.
func EscapeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); {
		r, n := utf8.DecodeRuneInString(name[i:])
		if (r == utf8.RuneError && n == 1) || r == '%' || unicode.IsControl(r) || invisible(r) {
			for _, c := range []byte(name[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		} else {
			b.WriteString(name[i : i+n])
		}
		i += n
	}
	return b.String()
}

// invisible reports characters that print nothing yet change what is
// shown: format characters (Cf: bidi controls, zero-width space and
// joiners, soft hyphen, tags), line and paragraph separators, and the
// other default-ignorable ones (Hangul fillers, variation selectors).
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// Notes says, one line each, what Open left out and why: entries with
// unsafe names, symlinks and other non-regular files, folders it did not
// read (with how many entries they hold). Names are quoted Go-style, so
// they are plain text whatever bytes they hold.
func (s *Submission) Notes() []string { return slices.Clone(s.notes) }

// Path is the path it was opened from.
func (s *Submission) Path() string { return s.path }

// Files lists the names of the regular files at the root, sorted.
func (s *Submission) Files() []string {
	names := make([]string, 0, len(s.files))
	for name := range s.files {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Text returns a file's content as text, a leading UTF-8 byte-order mark
// removed. It fails with a *FileError when the file is missing, too large,
// binary (not valid UTF-8, or containing a NUL byte) or empty (no bytes, or
// only white space and byte-order marks), checked in that order.
func (s *Submission) Text(name string) (string, error) {
	f, ok := s.files[name]
	if !ok {
		return "", &FileError{File: name, Reason: reasonMissing, Detail: "the file is missing"}
	}
	if f.tooLarge {
		size := "more than 1 MiB"
		if f.size > MaxFileSize {
			size = fmt.Sprintf("%.1f MiB", float64(f.size)/(1<<20))
		}
		return "", &FileError{File: name, Reason: reasonTooLarge,
			Detail: fmt.Sprintf("the file is too large (%s; the limit is %d MiB)", size, MaxFileSize>>20)}
	}
	if detail := binaryDetail(f.data); detail != "" {
		return "", &FileError{File: name, Reason: reasonBinary, Detail: "the file is not text (" + detail + ")"}
	}
	text := strings.TrimPrefix(string(f.data), utf8BOM)
	blank := strings.TrimFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
	if blank == "" {
		return "", &FileError{File: name, Reason: reasonEmpty, Detail: "the file is empty"}
	}
	return text, nil
}

// binaryDetail describes the first byte that makes data not text, or
// returns "". Positions count from 1.
func binaryDetail(data []byte) string {
	for i := 0; i < len(data); {
		if data[i] == 0 {
			return fmt.Sprintf("contains a NUL byte at byte %d", i+1)
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Sprintf("invalid UTF-8 at byte %d", i+1)
		}
		i += n
	}
	return ""
}

// tooManyEntries is the error for going over maxEntries.
func tooManyEntries() error {
	return fmt.Errorf("too many entries (the limit is %d)", maxEntries)
}

// budget counts bytes read against maxTotalBytes.
type budget struct{ left int64 }

// tooMuchData is the error for going over maxTotalBytes.
func tooMuchData() error {
	return fmt.Errorf("more than %d MiB of data to read (the limit)", maxTotalBytes>>20)
}

// readBounded reads at most MaxFileSize+1 bytes from r, charging them to b.
// A result longer than MaxFileSize means the file is too large.
func (b *budget) readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	b.left -= int64(len(data))
	if err != nil {
		return nil, err
	}
	if b.left < 0 {
		return nil, tooMuchData()
	}
	return data, nil
}

// newFile turns bounded content into a file; size is what the source says
// the file's size is. If that is not over MaxFileSize but the content is,
// the source lied or changed, and the size is left unknown.
func newFile(data []byte, size int64) *file {
	if len(data) > MaxFileSize {
		return &file{size: size, tooLarge: true}
	}
	return &file{data: data, size: int64(len(data))}
}

// ignoredForDescent reports names that do not stop Open from descending
// into a lone top-level folder: macOS resource forks and dot-files.
func ignoredForDescent(name string) bool {
	return name == "__MACOSX" || strings.HasPrefix(name, ".")
}

// loneDir returns the directory to descend into, given the names of the
// regular files and directories at the top level.
func loneDir(regular, dirs []string) (string, bool) {
	for _, name := range regular {
		if !ignoredForDescent(name) {
			return "", false
		}
	}
	var only string
	n := 0
	for _, name := range dirs {
		if !ignoredForDescent(name) {
			only = name
			n++
		}
	}
	return only, n == 1
}

func readFolder(root string) (map[string]*file, []string, error) {
	entries, err := readDirBounded(root)
	if err != nil {
		return nil, nil, err
	}
	var regular, dirs []string
	for _, e := range entries {
		switch {
		case e.Type().IsRegular():
			regular = append(regular, e.Name())
		case e.IsDir():
			dirs = append(dirs, e.Name())
		}
	}
	var notes []string
	if sub, ok := loneDir(regular, dirs); ok {
		for _, e := range entries {
			if e.Name() != sub {
				notes = append(notes, folderEntryNote(e, fmt.Sprintf(whyOutside, sub+"/")))
			}
		}
		root = filepath.Join(root, sub)
		if entries, err = readDirBounded(root); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", sub, err)
		}
	}
	files := make(map[string]*file)
	b := &budget{left: maxTotalBytes}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			notes = append(notes, folderEntryNote(e, ""))
			continue
		}
		f, err := readFolderFile(filepath.Join(root, e.Name()), b)
		if err != nil {
			return nil, nil, err
		}
		if f == nil {
			notes = append(notes, fmt.Sprintf("skipped %q: it stopped being a regular file while it was read", e.Name()))
			continue
		}
		files[e.Name()] = f
	}
	return files, notes, nil
}

// folderEntryNote says why an entry of a submission folder is not read;
// why, if set, is the reason for any entry.
func folderEntryNote(e fs.DirEntry, why string) string {
	kind := "folder"
	if !e.IsDir() {
		kind = "entry"
	}
	switch {
	case why != "":
	case e.IsDir() && skippedFolder(e.Name()):
		why = whySkippedFolder
	case e.IsDir():
		why = whyNested
	default:
		why = FileKind(e.Type()) + ", not a regular file"
	}
	name := e.Name()
	if e.IsDir() {
		name += "/"
	}
	return fmt.Sprintf("skipped %s %q: %s", kind, name, why)
}

// FileKind names a non-regular file: "a symlink", "a named pipe" ...
func FileKind(mode fs.FileMode) string { return regularfile.Kind(mode) }

// readDirBounded lists a directory, refusing more than maxEntries entries
// without reading them all.
func readDirBounded(dir string) ([]fs.DirEntry, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, trimPathError(err, dir)
	}
	defer d.Close()
	entries, err := d.ReadDir(maxEntries + 1)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(entries) > maxEntries {
		return nil, tooManyEntries()
	}
	return entries, nil
}

// readFolderFile reads one regular file, or returns nil if it is no longer
// one (replaced by a symlink or something else since the listing): the
// Lstat/SameFile check keeps symlinks from being followed.
func readFolderFile(path string, b *budget) (*file, error) {
	linfo, err := os.Lstat(path)
	if err != nil || !linfo.Mode().IsRegular() {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || !os.SameFile(info, linfo) {
		return nil, nil
	}
	if info.Size() > MaxFileSize {
		return &file{size: info.Size(), tooLarge: true}, nil // not read at all
	}
	data, err := b.readBounded(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return newFile(data, info.Size()), nil
}
