package queue

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

// DefaultMaxFiles bounds the loose files of a job.
const DefaultMaxFiles = 64

const defaultSubmissionName = "submission"

// JobError is why a job cannot be graded: a message for the client and the
// HTTP status serve answers it with (a worker records it as the result's
// Code). A status of 500 or more is the grader's side, never the job's.
type JobError struct {
	Status int
	Msg    string
}

func (e *JobError) Error() string { return e.Msg }

func jobErrorf(status int, format string, args ...any) *JobError {
	return &JobError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

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

// archiveSuffixes are the archive kinds submissions.Open reads.
var archiveSuffixes = []string{".zip", ".tar.gz", ".tgz"}

func ArchiveSuffix(name string) string {
	lower := strings.ToLower(name)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(lower, s) && len(name) > len(s) {
			return s
		}
	}
	return ""
}

func CheckName(what, name string) *JobError {
	if !plainName.MatchString(name) {
		return jobErrorf(http.StatusBadRequest, "%s %q is not a plain file name (letters, digits, '.', '_', '-'; no paths, no leading dot; at most 128 bytes)", what, name)
	}
	return nil
}

// LoadExercise loads a shipped exercise by name. Paths are never accepted
// from a request or a job.
func LoadExercise(shipped []string, id string) (*exercises.Exercise, *JobError) {
	if id == "" {
		return nil, jobErrorf(http.StatusBadRequest, "no exercise given (shipped: %s)", strings.Join(shipped, ", "))
	}
	if !slices.Contains(shipped, id) {
		return nil, jobErrorf(http.StatusNotFound, "no exercise named %q (shipped: %s)", id, strings.Join(shipped, ", "))
	}
	ex, err := exercises.Load(id)
	if err != nil {
		return nil, jobErrorf(http.StatusInternalServerError, "load exercise: %v", err)
	}
	return ex, nil
}

// Validate checks a job whatever its source: a request, or the queue.
func (j *Job) Validate(maxFiles int) *JobError {
	if j.Name != "" {
		if herr := CheckName("submission name", j.Name); herr != nil {
			return herr
		}
	}
	switch {
	case j.Archive != nil && len(j.Files) > 0:
		return jobErrorf(http.StatusBadRequest, "a job holds an archive and loose files")
	case j.Archive != nil:
		if herr := CheckName("archive name", j.ArchiveName); herr != nil {
			return herr
		}
		if ArchiveSuffix(j.ArchiveName) == "" {
			return jobErrorf(http.StatusBadRequest, "archive name %q does not end in .zip, .tar.gz or .tgz", j.ArchiveName)
		}
	case len(j.Files) == 0:
		return jobErrorf(http.StatusBadRequest, "no files in the submission")
	case len(j.Files) > maxFiles:
		return jobErrorf(http.StatusBadRequest, "too many files (%d; at most %d)", len(j.Files), maxFiles)
	default:
		names := make([]string, 0, len(j.Files))
		for name := range j.Files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if herr := CheckName("file name", name); herr != nil {
				return herr
			}
		}
	}
	return nil
}

// Open materializes the job in a fresh temp dir, opens it with the
// submissions package's bounds, and removes the dir (a Submission lives in
// memory). A request that is not an archive at all is a 400; one that
// submissions.Open refuses (too many entries, too much data) is a 422.
func (j *Job) Open(tempDir string, maxFiles int) (*submissions.Submission, *JobError) {
	if herr := j.Validate(maxFiles); herr != nil {
		return nil, herr
	}
	dir, err := os.MkdirTemp(tempDir, "redisgrade-upload-")
	if err != nil {
		return nil, jobErrorf(http.StatusServiceUnavailable, "could not store the upload: %v", err)
	}
	defer os.RemoveAll(dir)
	path, err := j.materialize(dir)
	if err != nil {
		return nil, jobErrorf(http.StatusServiceUnavailable, "could not store the upload: %v", strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	sub, err := submissions.Open(path)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
		if malformedArchive(err) {
			return nil, jobErrorf(http.StatusBadRequest, "malformed archive: %s", msg)
		}
		return nil, jobErrorf(http.StatusUnprocessableEntity, "the submission cannot be opened: %s", msg)
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

// NewJobID returns 128 random bits in hex: not guessable from another's.
func NewJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func ValidJobID(id string) bool { return jobIDPattern.MatchString(id) }
