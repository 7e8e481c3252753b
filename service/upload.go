package service

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/submissions"
)

// Job is one submission to grade, as it arrived: an archive or loose files.
// It is also what travels through the queue, as JSON.
type Job struct {
	ID       string    `json:"id,omitempty"`
	Enqueued time.Time `json:"enqueued,omitzero"`
	Exercise string    `json:"exercise"`
	Format   string    `json:"format,omitempty"`
	// Name names a submission of loose files (the report's "submission").
	Name string `json:"name,omitempty"`
	// ArchiveName and Archive hold an uploaded .zip or .tar.gz.
	ArchiveName string `json:"archive_name,omitempty"`
	Archive     []byte `json:"archive,omitempty"`
	// Files holds loose files by name.
	Files map[string][]byte `json:"files,omitempty"`
}

// plainName is what a file or submission name from a request may be: no
// paths, no dot-files, nothing a shell or a file system could read twice.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

const (
	defaultSubmissionName = "submission"
	maxFieldBytes         = 1024 // a multipart field that is not a file
)

// archiveSuffixes are the archive kinds submissions.Open reads.
var archiveSuffixes = []string{".zip", ".tar.gz", ".tgz"}

func archiveSuffix(name string) string {
	lower := strings.ToLower(name)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(lower, s) && len(name) > len(s) {
			return s
		}
	}
	return ""
}

func checkName(what, name string) *httpError {
	if !plainName.MatchString(name) {
		return errorf(http.StatusBadRequest, "%s %q is not a plain file name (letters, digits, '.', '_', '-'; no paths, no leading dot; at most 128 bytes)", what, name)
	}
	return nil
}

// readRequest reads a POST /v1/grade body: JSON or multipart. The body is
// bounded by maxBody, loose files by maxFiles.
func readRequest(w http.ResponseWriter, r *http.Request, maxBody int64, maxFiles int) (*Job, *httpError) {
	if r.ContentLength > maxBody {
		return nil, tooLarge(maxBody)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mediaType = ""
	}
	var job *Job
	var herr *httpError
	switch mediaType {
	case "application/json":
		job, herr = readJSON(r, maxBody)
	case "multipart/form-data":
		job, herr = readMultipart(r, maxBody, maxFiles)
	default:
		return nil, errorf(http.StatusUnsupportedMediaType,
			"Content-Type %q is not accepted: send application/json ({\"exercise\": ..., \"files\": {...}}) or multipart/form-data", r.Header.Get("Content-Type"))
	}
	if herr != nil {
		return nil, herr
	}
	if herr := job.validate(maxFiles); herr != nil {
		return nil, herr
	}
	return job, nil
}

func tooLarge(maxBody int64) *httpError {
	return errorf(http.StatusRequestEntityTooLarge, "the request body is over the limit of %s", sizeText(maxBody))
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// bodyError turns an error reading the body into 413 or 400.
func bodyError(err error, maxBody int64, what string) *httpError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(maxBody)
	}
	return errorf(http.StatusBadRequest, "%s: %v", what, err)
}

// gradeRequest is the JSON body of POST /v1/grade.
type gradeRequest struct {
	Exercise string            `json:"exercise"`
	Name     string            `json:"name"`
	Files    map[string]string `json:"files"`
}

func readJSON(r *http.Request, maxBody int64) (*Job, *httpError) {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var req gradeRequest
	if err := dec.Decode(&req); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return nil, errorf(http.StatusBadRequest, "malformed JSON body: %s (known: exercise, name, files)", strings.TrimPrefix(err.Error(), "json: "))
		}
		return nil, bodyError(err, maxBody, "malformed JSON body")
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, bodyError(err, maxBody, "malformed JSON body")
		}
		return nil, errorf(http.StatusBadRequest, "malformed JSON body: more than one JSON value")
	}
	job := &Job{Exercise: req.Exercise, Name: req.Name}
	if req.Files == nil {
		return nil, errorf(http.StatusBadRequest, `the JSON body needs "files": {"step1.redis": "...", ...}`)
	}
	job.Files = make(map[string][]byte, len(req.Files))
	for name, text := range req.Files {
		job.Files[name] = []byte(text)
	}
	return job, nil
}

func readMultipart(r *http.Request, maxBody int64, maxFiles int) (*Job, *httpError) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "malformed multipart body: %v", err)
	}
	job := &Job{Files: map[string][]byte{}}
	seen := map[string]bool{}
	for parts := 0; ; parts++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyError(err, maxBody, "malformed multipart body")
		}
		if parts >= maxFiles+3 {
			return nil, errorf(http.StatusBadRequest, "too many parts in the form (at most %d files)", maxFiles)
		}
		field := part.FormName()
		// The raw file name: Part.FileName would strip a path and hide
		// an attempt at one.
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		fileName, isFile := params["filename"]
		if field == "" {
			return nil, errorf(http.StatusBadRequest, "malformed multipart body: a part has no form field name")
		}
		if seen[field] && field != "files" && field != "file" {
			return nil, errorf(http.StatusBadRequest, "form field %q is given twice", field)
		}
		seen[field] = true
		switch field {
		case "exercise", "name":
			if isFile {
				return nil, errorf(http.StatusBadRequest, "form field %q must be a plain value, not a file", field)
			}
			data, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, bodyError(err, maxBody, "malformed multipart body")
			}
			if len(data) > maxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "form field %q is over %d bytes", field, maxFieldBytes)
			}
			if field == "exercise" {
				job.Exercise = strings.TrimSpace(string(data))
			} else {
				job.Name = strings.TrimSpace(string(data))
			}
		case "submission":
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, bodyError(err, maxBody, "malformed multipart body")
			}
			name, herr := archiveName(fileName, data)
			if herr != nil {
				return nil, herr
			}
			job.ArchiveName, job.Archive = name, data
		default:
			name := field
			if field == "files" || field == "file" {
				if !isFile || fileName == "" {
					return nil, errorf(http.StatusBadRequest, "form field %q must be a file upload with a file name", field)
				}
				name = fileName
			}
			if herr := checkName("file name", name); herr != nil {
				return nil, herr
			}
			if _, dup := job.Files[name]; dup {
				return nil, errorf(http.StatusBadRequest, "file %q is given twice", name)
			}
			if len(job.Files) >= maxFiles {
				return nil, errorf(http.StatusBadRequest, "too many files (at most %d)", maxFiles)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, bodyError(err, maxBody, "malformed multipart body")
			}
			job.Files[name] = data
		}
	}
	if job.Archive != nil && len(job.Files) > 0 {
		return nil, errorf(http.StatusBadRequest, "send either one archive in field \"submission\" or loose files, not both")
	}
	if job.Archive == nil && len(job.Files) == 0 {
		return nil, errorf(http.StatusBadRequest, "no submission: send an archive in field \"submission\" or the files themselves (one field per file, named by its file name)")
	}
	if job.Archive != nil {
		job.Files = nil
	}
	return job, nil
}

// archiveName picks the name an uploaded archive is saved under: the
// uploaded name when it is plain and says .zip/.tar.gz/.tgz, else one
// guessed from the content's magic bytes.
func archiveName(uploaded string, data []byte) (string, *httpError) {
	if uploaded != "" {
		if herr := checkName("archive name", uploaded); herr != nil {
			return "", herr
		}
		if archiveSuffix(uploaded) != "" {
			return uploaded, nil
		}
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return defaultSubmissionName + ".zip", nil
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return defaultSubmissionName + ".tar.gz", nil
	}
	return "", errorf(http.StatusBadRequest, "malformed archive: the \"submission\" file is neither a .zip nor a .tar.gz")
}

// validate checks a job whatever its source: a request, or the queue.
func (j *Job) validate(maxFiles int) *httpError {
	if j.Name != "" {
		if herr := checkName("submission name", j.Name); herr != nil {
			return herr
		}
	}
	switch {
	case j.Archive != nil && len(j.Files) > 0:
		return errorf(http.StatusBadRequest, "a job holds an archive and loose files")
	case j.Archive != nil:
		if herr := checkName("archive name", j.ArchiveName); herr != nil {
			return herr
		}
		if archiveSuffix(j.ArchiveName) == "" {
			return errorf(http.StatusBadRequest, "archive name %q does not end in .zip, .tar.gz or .tgz", j.ArchiveName)
		}
	case len(j.Files) == 0:
		return errorf(http.StatusBadRequest, "no files in the submission")
	case len(j.Files) > maxFiles:
		return errorf(http.StatusBadRequest, "too many files (%d; at most %d)", len(j.Files), maxFiles)
	default:
		names := make([]string, 0, len(j.Files))
		for name := range j.Files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if herr := checkName("file name", name); herr != nil {
				return herr
			}
		}
	}
	return nil
}

// open materializes the job in a fresh temp dir, opens it with the
// submissions package's bounds, and removes the dir (a Submission lives in
// memory). A request that is not an archive at all is a 400; one that
// submissions.Open refuses (too many entries, too much data) is a 422.
func (j *Job) open(tempDir string, maxFiles int) (*submissions.Submission, *httpError) {
	if herr := j.validate(maxFiles); herr != nil {
		return nil, herr
	}
	dir, err := os.MkdirTemp(tempDir, "redisgrade-upload-")
	if err != nil {
		return nil, errorf(http.StatusServiceUnavailable, "could not store the upload: %v", err)
	}
	defer os.RemoveAll(dir)
	path, err := j.materialize(dir)
	if err != nil {
		return nil, errorf(http.StatusServiceUnavailable, "could not store the upload: %v", strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	sub, err := submissions.Open(path)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
		if malformedArchive(err) {
			return nil, errorf(http.StatusBadRequest, "malformed archive: %s", msg)
		}
		return nil, errorf(http.StatusUnprocessableEntity, "the submission cannot be opened: %s", msg)
	}
	return sub, nil
}

// materialize writes the job under dir and returns the path to open.
func (j *Job) materialize(dir string) (string, error) {
	if j.Archive != nil {
		path := filepath.Join(dir, j.ArchiveName)
		return path, os.WriteFile(path, j.Archive, 0o600)
	}
	name := j.Name
	if name == "" {
		name = defaultSubmissionName
	}
	root := filepath.Join(dir, name)
	if err := os.Mkdir(root, 0o700); err != nil {
		return "", err
	}
	for file, data := range j.Files {
		if err := os.WriteFile(filepath.Join(root, file), data, 0o600); err != nil {
			return "", err
		}
	}
	return root, nil
}

// malformedArchive tells bytes that are not a readable archive from an
// archive the submission rules refuse.
func malformedArchive(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) || errors.Is(err, zip.ErrChecksum) ||
		errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, tar.ErrHeader) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt)
}

// newJobID returns 128 random bits in hex: not guessable from another's.
func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func validJobID(id string) bool { return jobIDPattern.MatchString(id) }
