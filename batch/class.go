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
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

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
	// Notes say what of the student's entry was left out extracting the
	// class zip, and why; they go into the student's result.
	Notes []string
}

// Class is the list of a class's submissions. Close removes what List
// extracted.
type Class struct {
	Entries []Entry
	// Notes say what List skipped that belongs to no student (.DS_Store,
	// __MACOSX, an entry whose name climbs out of the class zip).
	Notes []string
	tmp   string
	lock  *os.File // held while tmp is in use; see CleanStale
}

// Close removes the temporary folder a class .zip was extracted into.
func (c *Class) Close() error {
	if c.tmp == "" {
		return nil
	}
	err := os.RemoveAll(c.tmp)
	if c.lock != nil {
		c.lock.Close()
	}
	return err
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
		entries, notes, err := listFolder(classPath)
		if err == nil && len(entries) == 0 {
			err = errNoSubmissions
		}
		if err != nil {
			return nil, fmt.Errorf("open class %s: %w", classPath, err)
		}
		return &Class{Entries: entries, Notes: notes}, nil
	}
	if !strings.EqualFold(filepath.Ext(classPath), ".zip") {
		return nil, fmt.Errorf("open class %s: not a folder or a .zip of submissions", classPath)
	}
	if !info.Mode().IsRegular() {
		// A named pipe would block the read for ever.
		return nil, fmt.Errorf("open class %s: %s, not a folder or a .zip of submissions", classPath, submissions.FileKind(info.Mode()))
	}
	tmp, lock, err := makeClassTemp()
	if err != nil {
		return nil, fmt.Errorf("open class %s: %w", classPath, err)
	}
	c := &Class{tmp: tmp, lock: lock}
	root, x, err := extractClassZip(classPath, filepath.Join(tmp, "class"))
	if err == nil {
		c.Entries, c.Notes, err = listFolder(root)
		c.Notes = append(x.classNotes, c.Notes...)
	}
	if err == nil {
		c.Entries = x.apply(c.Entries, root)
		if len(c.Entries) == 0 {
			err = errNoSubmissions
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

var errNoSubmissions = errors.New("no submissions in it (one folder, .zip, .tar.gz or .tgz per student)")

// listFolder lists the students in a folder, sorted by id, and says what
// it skipped.
func listFolder(dir string) ([]Entry, []string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, trimPathErr(err, dir)
	}
	var entries []Entry
	var names, notes []string
	for _, de := range des {
		name := de.Name()
		if ignored(name) {
			notes = append(notes, fmt.Sprintf("skipped %q: names starting with a dot and __MACOSX are never a student", name))
			continue
		}
		p := filepath.Join(dir, name)
		stem := name
		var entryErr error
		// Stat follows a symlink the instructor made to a student's folder.
		info, err := os.Stat(p)
		switch {
		case err != nil:
			entryErr = fmt.Errorf("%s: %w", StudentID(name), trimPathErr(err, p))
		case info.IsDir():
		case info.Mode().IsRegular() && archiveExt(name) != "":
			stem = name[:len(name)-len(archiveExt(name))]
		default:
			entryErr = fmt.Errorf("%s is not a folder, .zip, .tar.gz or .tgz", StudentID(name))
		}
		entries = append(entries, Entry{Student: StudentID(stem), Path: p, Err: entryErr})
		names = append(names, name)
	}
	uniqueIDs(entries, names)
	noteLookalikes(entries)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Student < entries[j].Student })
	return entries, notes, nil
}

// noteLookalikes tells entries whose ids differ only in how their letters
// are encoded (NFC é and NFD e + U+0301 print the same) that another reads
// the same: they are graded apart, and the instructor should know.
func noteLookalikes(entries []Entry) {
	byLook := map[string][]int{}
	for i, e := range entries {
		look := norm.NFC.String(e.Student)
		byLook[look] = append(byLook[look], i)
	}
	for _, same := range byLook {
		if len(same) < 2 {
			continue
		}
		for _, i := range same {
			for _, j := range same {
				if i != j {
					entries[i].Notes = append(entries[i].Notes, fmt.Sprintf("another entry, %+q, reads the same as this one (%+q): they are graded apart; check which is this student's", entries[j].Student, entries[i].Student))
				}
			}
		}
	}
}

// StudentID is the id of a student whose entry is called name (without its
// archive extension): submissions.EscapeName of it (ana\xff is ana%FF), so
// that an id survives JSON, a terminal and a spreadsheet, two names never
// share an id, and url.PathUnescape gives the name back.
func StudentID(name string) string { return submissions.EscapeName(name) }

// uniqueIDs makes ids unique, whatever the names: while two entries share
// an id, those of them whose id is not their full name (an archive's, with
// its extension dropped) take their full name. Full names are unique in a
// folder, and each round moves at least one entry to its full name, so
// this ends; the outcome does not depend on the order of the entries.
// names[i] is entries[i]'s file name.
func uniqueIDs(entries []Entry, names []string) {
	for {
		count := map[string]int{}
		for _, e := range entries {
			count[e.Student]++
		}
		changed := false
		for i, e := range entries {
			if full := StudentID(names[i]); count[e.Student] > 1 && e.Student != full {
				entries[i].Student = full
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// extracted is what extractClassZip met besides the files it wrote, by
// the top-level name of the student's entry.
type extracted struct {
	problems   map[string]error    // why the student's entry is broken
	notes      map[string][]string // entries of the student's left out
	classNotes []string            // entries left out that are no student's
}

// apply gives the listed entries what the extraction met, and a row to
// every student it met but could extract nothing of (their only entry a
// symlink, or refused), saying why: no student vanishes.
func (x *extracted) apply(entries []Entry, root string) []Entry {
	listed := map[string]bool{}
	for i, e := range entries {
		top := filepath.Base(e.Path)
		listed[top] = true
		if p := x.problems[top]; p != nil && e.Err == nil {
			entries[i].Err = p
		}
		entries[i].Notes = append(x.notes[top], e.Notes...)
	}
	tops := slices.Collect(maps.Keys(x.notes))
	for top := range x.problems {
		if x.notes[top] == nil {
			tops = append(tops, top)
		}
	}
	slices.Sort(tops)
	for _, top := range tops {
		if listed[top] {
			continue
		}
		err := x.problems[top]
		if err == nil {
			err = fmt.Errorf("%s: no file of this student's could be read from the class zip (the notes say why)", StudentID(top))
		}
		entries = append(entries, Entry{Student: StudentID(top), Path: filepath.Join(root, top), Err: err, Notes: x.notes[top]})
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = filepath.Base(e.Path)
	}
	uniqueIDs(entries, names)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Student < entries[j].Student })
	return entries
}

// extractClassZip extracts a class .zip into dir, bounded, and returns the
// folder that holds the students' entries, and what it met on the way.
func extractClassZip(zipPath, dir string) (root string, x *extracted, err error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return "", nil, trimPathErr(err, zipPath)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	// ErrInsecurePath is no error: names are checked below.
	zr, err := submissions.NewZipReader(f, info.Size(), maxClassDir)
	if errors.Is(err, submissions.ErrZipDirectoryTooLarge) {
		return "", nil, fmt.Errorf("its directory is over %d MiB (the limit)", maxClassDir>>20)
	}
	if err != nil {
		return "", nil, err
	}
	if len(zr.File) > maxClassEntries {
		return "", nil, fmt.Errorf("too many entries (%d; the limit is %d)", len(zr.File), maxClassEntries)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	cz := sortClassZip(zr)
	x = &extracted{problems: map[string]error{}, notes: map[string][]string{}}
	x.noteUnsafe(cz)
	x.refuseLookalikes(cz)
	if err := x.extract(cz, dir); err != nil {
		return "", nil, err
	}
	for _, top := range slices.Sorted(maps.Keys(cz.skippedTops)) {
		x.classNotes = append(x.classNotes, fmt.Sprintf("skipped %q of the class zip (entries: %d): names starting with a dot and __MACOSX are never a student", top, cz.skippedTops[top]))
	}
	return dir, x, nil
}

// classItem is an entry of a class zip whose name is safe.
type classItem struct {
	name string // cleaned, slash-separated
	dir  bool
	zf   *zip.File
}

// classZip is a class zip's entries, sorted out before anything is written.
type classZip struct {
	items       []classItem
	unsafe      []string       // names CleanEntryName refused, decoded
	skippedTops map[string]int // dot-files and __MACOSX, with their entries
	prefix      string         // the export folder entered ("export/"), or ""
}

// sortClassZip sorts a class zip's entries: safe ones, unsafe ones and
// skipped ones, and finds the export folder to enter, if any.
func sortClassZip(zr *zip.Reader) *classZip {
	cz := &classZip{skippedTops: map[string]int{}}
	tops := map[string]bool{}
	topFiles := 0
	for _, zf := range zr.File {
		raw := submissions.ZipEntryName(&zf.FileHeader)
		name, ok := submissions.CleanEntryName(raw)
		if !ok {
			cz.unsafe = append(cz.unsafe, raw)
			continue
		}
		top, _, nested := strings.Cut(name, "/")
		if ignored(top) {
			cz.skippedTops[top]++
			continue
		}
		isDir := strings.HasSuffix(raw, "/") || zf.Mode().IsDir()
		switch {
		case nested || isDir:
			tops[top] = true
		case zf.Mode().IsRegular():
			topFiles++
		}
		cz.items = append(cz.items, classItem{name, isDir, zf})
	}
	// An export wrapped in one folder is entered, unless that folder is
	// one student's own: it holds a .redis or .lua file (every step file
	// is one). Other plain files in it are then recorded as errors, as
	// they are at the top level.
	if topFiles == 0 && len(tops) == 1 {
		only := slices.Collect(maps.Keys(tops))[0]
		ownFolder := slices.ContainsFunc(cz.items, func(it classItem) bool {
			rest, ok := strings.CutPrefix(it.name, only+"/")
			return ok && !it.dir && !strings.Contains(rest, "/") && isStepFile(rest)
		})
		if !ownFolder {
			cz.prefix = only + "/"
		}
	}
	return cz
}

// noteUnsafe names each entry whose name is unsafe: in the notes of the
// student it seems to belong to, or else the class's.
func (x *extracted) noteUnsafe(cz *classZip) {
	for _, raw := range cz.unsafe {
		note := fmt.Sprintf("skipped entry %q of the class zip: its name is absolute, climbs out with .. or is not valid UTF-8", raw)
		slashed := strings.ReplaceAll(raw, `\`, "/")
		elems := strings.FieldsFunc(strings.TrimPrefix(slashed, cz.prefix), func(r rune) bool { return r == '/' })
		// An absolute name (/abs/x, C:/x) is no student's, whatever its first folder.
		absolute := strings.HasPrefix(slashed, "/") || (len(slashed) > 1 && slashed[1] == ':')
		if !absolute && len(elems) > 1 && elems[0] != ".." && elems[0] != "." && utf8.ValidString(elems[0]) {
			x.notes[elems[0]] = append(x.notes[elems[0]], note)
		} else {
			x.classNotes = append(x.classNotes, note)
		}
	}
}

// refuseLookalikes finds students whose folders are spelled apart in the
// zip but read the same once decoded (Müller in code page 437 and in
// UTF-8; é as one character, NFC, or as e and an accent, NFD): extracted,
// their files would land in one folder (or, on a file system that
// normalises names, would), mixing two students' work. None of them is
// graded; each gets a row that says why.
func (x *extracted) refuseLookalikes(cz *classZip) {
	depth := strings.Count(cz.prefix, "/")
	spellings := map[string]map[string]string{} // how it reads → raw spelling → decoded name
	for _, it := range cz.items {
		rel, ok := strings.CutPrefix(it.name, cz.prefix)
		if !ok || rel == "" {
			continue
		}
		student, _, _ := strings.Cut(rel, "/")
		look := norm.NFC.String(student)
		if spellings[look] == nil {
			spellings[look] = map[string]string{}
		}
		spellings[look][rawSegment(it.zf.Name, depth)] = student
	}
	for _, spelled := range spellings {
		if len(spelled) < 2 {
			continue
		}
		var quoted []string
		for _, raw := range slices.Sorted(maps.Keys(spelled)) {
			quoted = append(quoted, fmt.Sprintf("%+q", raw))
		}
		for _, student := range spelled {
			x.problems[student] = fmt.Errorf("%s: %d folders of the class zip read as this name (spelled %s): none is graded, so that no two students' work is mixed; rename them apart",
				StudentID(student), len(quoted), strings.Join(quoted, ", "))
		}
	}
}

// rawSegment is the i-th folder of an entry's name as the zip spells it.
func rawSegment(raw string, i int) string {
	segs := strings.FieldsFunc(raw, func(r rune) bool { return r == '/' || r == '\\' })
	if i < len(segs) {
		return segs[i]
	}
	return ""
}

// extract writes the students' entries into dir, bounded, noting what it
// does not write.
func (x *extracted) extract(cz *classZip, dir string) error {
	written := int64(0)
	for _, it := range cz.items {
		rel, ok := strings.CutPrefix(it.name, cz.prefix)
		if !ok || rel == "" {
			continue
		}
		student, _, _ := strings.Cut(rel, "/")
		if ignored(student) {
			cz.skippedTops[cz.prefix+student]++
			continue
		}
		if x.problems[student] != nil {
			continue // the student's entry is already broken, and says so
		}
		if mode := it.zf.Mode(); !it.dir && !mode.IsRegular() {
			if rel == student {
				// The student's whole entry: a row of its own says so.
				x.problems[student] = fmt.Errorf("%s is %s in the class zip, not a folder or an archive: not followed", StudentID(student), submissions.FileKind(mode))
			} else {
				x.notes[student] = append(x.notes[student], fmt.Sprintf("skipped %q of the class zip: %s, not a regular file", it.name, submissions.FileKind(mode)))
			}
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if it.dir {
			if err := os.MkdirAll(dst, 0o700); err != nil {
				x.problems[student] = fmt.Errorf("extract %q: %w", it.name, err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			x.problems[student] = fmt.Errorf("extract %q: %w", it.name, err)
			continue
		}
		n, err := extractFile(it.zf, dst, !strings.Contains(rel, "/") && archiveExt(rel) != "", maxClassBytes-written)
		written += n
		if written > maxClassBytes {
			return fmt.Errorf("more than %d MiB to extract (the limit)", maxClassBytes>>20)
		}
		if err != nil {
			// One student's broken entry: recorded for that student.
			x.problems[student] = fmt.Errorf("extract %q from the class zip: %w", it.name, err)
		}
	}
	return nil
}

// isStepFile reports names that can be a step's file (exercises require
// .redis or .lua).
func isStepFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".redis" || ext == ".lua"
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
