// Package batch grades a whole class of submissions: in parallel on warm
// servers, each result saved the moment it is graded, resumable after a
// crash, with grades, feedback files and a class report at the end.
package batch

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/redisgrade/redisgrade/submissions"
)

// Entry is one student's submission in a class.
type Entry struct {
	// Student is the entry's name without its archive extension (alice for
	// alice.zip), made unique within the class.
	Student string
	// Path is what submissions.Open is given.
	Path string
	// Err, when set, is why the entry cannot be graded at all; it is
	// recorded for the student as an error result.
	Err error
}

// Class is the list of a class's submissions. Close removes what List
// extracted.
type Class struct {
	Entries []Entry
	tmp     string
}

// Close removes the temporary folder a class .zip was extracted into.
func (c *Class) Close() error {
	if c.tmp == "" {
		return nil
	}
	return os.RemoveAll(c.tmp)
}

// Bounds on a class .zip, which holds every student's work: far above any
// class, far below what would fill a disk.
const (
	maxClassEntries = 200_000
	maxClassBytes   = 2 << 30 // bytes written while extracting, in all
	maxClassDir     = 64 << 20
	// A student's own archive inside the class zip is copied as is; the
	// submissions package bounds what it reads of it.
	maxNestedArchive = 256 << 20
	// A student's file above this size is not copied: a sparse file of the
	// size the zip claims stands in for it, so the student is told "too
	// large (40.0 MiB)" without 40 MB being written.
	maxCopiedFile = 1<<20 + 1
)

var archiveExts = []string{".zip", ".tar.gz", ".tgz"}

// archiveExt returns name's archive extension as written, or "".
func archiveExt(name string) string {
	for _, ext := range archiveExts {
		if len(name) > len(ext) && strings.EqualFold(name[len(name)-len(ext):], ext) {
			return name[len(name)-len(ext):]
		}
	}
	return ""
}

// ignored reports names that are never a student: macOS resource forks
// and dot-files (.DS_Store, .git).
func ignored(name string) bool {
	return name == "__MACOSX" || strings.HasPrefix(name, ".")
}

// List lists a class: a folder with one entry per student (a folder, .zip,
// .tar.gz or .tgz each), or one .zip holding such entries, which is
// extracted with bounds into a temporary folder (Close removes it). In a
// class .zip, a lone top-level folder that holds no plain files of its own
// (an LMS export wrapped in a folder) is entered.
//
// Other files in the folder become entries with an error, so that the
// instructor sees them in the results rather than have them dropped.
func List(classPath string) (*Class, error) {
	info, err := os.Stat(classPath)
	if err != nil {
		return nil, fmt.Errorf("open class %s: %w", classPath, trimPathErr(err, classPath))
	}
	if info.IsDir() {
		entries, err := listFolder(classPath)
		if err != nil {
			return nil, fmt.Errorf("open class %s: %w", classPath, err)
		}
		return &Class{Entries: entries}, nil
	}
	if !strings.EqualFold(filepath.Ext(classPath), ".zip") {
		return nil, fmt.Errorf("open class %s: not a folder or a .zip of submissions", classPath)
	}
	tmp, err := os.MkdirTemp("", "redisgrade-class-")
	if err != nil {
		return nil, fmt.Errorf("open class %s: %w", classPath, err)
	}
	c := &Class{tmp: tmp}
	root, problems, err := extractClassZip(classPath, tmp)
	if err == nil {
		c.Entries, err = listFolder(root)
	}
	for i, e := range c.Entries {
		if p := problems[filepath.Base(e.Path)]; p != nil && e.Err == nil {
			c.Entries[i].Err = p
		}
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open class %s: %w", classPath, err)
	}
	return c, nil
}

func trimPathErr(err error, p string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == p {
		return pe.Err
	}
	return err
}

// listFolder lists the students in a folder, sorted by id.
func listFolder(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, trimPathErr(err, dir)
	}
	var entries []Entry
	for _, de := range des {
		name := de.Name()
		if ignored(name) {
			continue
		}
		p := filepath.Join(dir, name)
		e := Entry{Student: name, Path: p}
		// Stat follows a symlink the instructor made to a student's folder.
		info, err := os.Stat(p)
		switch {
		case err != nil:
			e.Err = fmt.Errorf("%s: %w", name, trimPathErr(err, p))
		case info.IsDir():
		case info.Mode().IsRegular() && archiveExt(name) != "":
			e.Student = name[:len(name)-len(archiveExt(name))]
		default:
			e.Err = fmt.Errorf("%s is not a folder, .zip, .tar.gz or .tgz", name)
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, errors.New("no submissions in it (one folder, .zip, .tar.gz or .tgz per student)")
	}
	uniqueIDs(entries)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Student < entries[j].Student })
	return entries, nil
}

// uniqueIDs keeps ids unique: when alice/ and alice.zip are both there,
// the archive keeps its full name as its id.
func uniqueIDs(entries []Entry) {
	count := map[string]int{}
	for _, e := range entries {
		count[e.Student]++
	}
	for i, e := range entries {
		if base := filepath.Base(e.Path); count[e.Student] > 1 && base != e.Student {
			entries[i].Student = base
		}
	}
}

// extractClassZip extracts a class .zip into dir, bounded, and returns the
// folder that holds the students' entries, and the problems met extracting
// one student's entry, by the entry's top-level name.
func extractClassZip(zipPath, dir string) (root string, problems map[string]error, err error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return "", nil, trimPathErr(err, zipPath)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	ra := &cappedReaderAt{r: f, left: maxClassDir}
	zr, err := zip.NewReader(ra, info.Size())
	if ra.exceeded {
		return "", nil, fmt.Errorf("its directory is over %d MiB (the limit)", maxClassDir>>20)
	}
	// ErrInsecurePath comes with a usable reader; names are checked below.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return "", nil, err
	}
	ra.left = -1
	if len(zr.File) > maxClassEntries {
		return "", nil, fmt.Errorf("too many entries (%d; the limit is %d)", len(zr.File), maxClassEntries)
	}

	type item struct {
		name string
		dir  bool
		zf   *zip.File
	}
	var items []item
	tops := map[string]bool{}
	topFiles := 0
	for _, zf := range zr.File {
		name, ok := submissions.CleanEntryName(zf.Name)
		if !ok {
			continue
		}
		top, _, nested := strings.Cut(name, "/")
		if ignored(top) {
			continue
		}
		isDir := strings.HasSuffix(zf.Name, "/") || zf.Mode().IsDir()
		switch {
		case nested || isDir:
			tops[top] = true
		case zf.Mode().IsRegular():
			topFiles++
		}
		if isDir || zf.Mode().IsRegular() {
			items = append(items, item{name, isDir, zf})
		}
	}
	// An export wrapped in one folder: enter it if it holds only folders
	// and archives (one student's own folder holds plain files).
	prefix := ""
	if topFiles == 0 && len(tops) == 1 {
		var only string
		for t := range tops {
			only = t
		}
		plain := false
		for _, it := range items {
			rest, ok := strings.CutPrefix(it.name, only+"/")
			if ok && !it.dir && !strings.Contains(rest, "/") && archiveExt(rest) == "" && !ignored(rest) {
				plain = true
				break
			}
		}
		if !plain {
			prefix = only + "/"
		}
	}

	problems = map[string]error{}
	written := int64(0)
	for _, it := range items {
		rel, ok := strings.CutPrefix(it.name, prefix)
		if !ok || rel == "" {
			continue
		}
		student, _, _ := strings.Cut(rel, "/")
		if ignored(student) || problems[student] != nil {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if it.dir {
			if err := os.MkdirAll(dst, 0o700); err != nil {
				problems[student] = fmt.Errorf("extract %s: %w", it.name, err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			problems[student] = fmt.Errorf("extract %s: %w", it.name, err)
			continue
		}
		n, err := extractFile(it.zf, dst, !strings.Contains(rel, "/") && archiveExt(rel) != "", maxClassBytes-written)
		written += n
		if written > maxClassBytes {
			return "", nil, fmt.Errorf("more than %d MiB to extract (the limit)", maxClassBytes>>20)
		}
		if err != nil {
			// One student's broken entry: recorded for that student.
			problems[student] = fmt.Errorf("extract %s from the class zip: %w", it.name, err)
		}
	}
	return dir, problems, nil
}

// extractFile writes one zip entry to dst and returns the bytes written.
// A student's archive is copied up to maxNestedArchive; a student's file
// larger than maxCopiedFile becomes a sparse file of the claimed size.
func extractFile(zf *zip.File, dst string, nestedArchive bool, budget int64) (int64, error) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	limit := int64(maxCopiedFile)
	if nestedArchive {
		limit = maxNestedArchive
	}
	if !nestedArchive && zf.UncompressedSize64 > maxCopiedFile {
		size := int64(min(zf.UncompressedSize64, 1<<40))
		return 0, out.Truncate(size)
	}
	rc, err := zf.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	// One byte over the budget is enough for the caller to see it.
	n, err := io.Copy(out, io.LimitReader(rc, min(limit, budget)+1))
	if err != nil || n > budget {
		return n, err
	}
	if n > limit && nestedArchive {
		return n, fmt.Errorf("over %d MiB (the limit for one student's archive)", maxNestedArchive>>20)
	}
	// A file whose header understated its size ends over MaxFileSize here,
	// and is reported too large as it should be.
	return n, out.Close()
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
	if int64(len(p)) > c.left {
		c.exceeded = true
		return 0, errors.New("zip directory too large")
	}
	n, err := c.r.ReadAt(p, off)
	c.left -= int64(n)
	return n, err
}
