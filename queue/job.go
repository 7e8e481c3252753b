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

// DefaultSubmissionName names a submission that came without a name.
const DefaultSubmissionName = "submission"

// ErrorKind says what is wrong with a job that cannot be graded. serve
// answers each kind with an HTTP status of its own; a worker records it in
// the job's result.
type ErrorKind int

// The kinds of JobError. GraderSide and Refused are not the job's fault.
const (
	// BadJob: the job is malformed (no exercise, no files, a name that is
	// not a plain file name, bytes that are no archive).
	BadJob ErrorKind = iota + 1
	// UnknownExercise: the job names no shipped exercise.
	UnknownExercise
	// Unopenable: the submission rules refuse the submission (too many
	// entries, too much data, a file listed twice).
	Unopenable
	// GraderSide: the grader failed on its side (a shipped exercise that
	// will not load); the job may be tried again.
	GraderSide
	// Refused: the worker's server is outside the exercise's requires
	// (Redis 7.0 for an exercise that needs 7.4): trying again on it cannot
	// help, and the student is not to blame.
	Refused
)

var kindNames = map[ErrorKind]string{BadJob: "bad-job", UnknownExercise: "unknown-exercise", Unopenable: "unopenable", GraderSide: "grader-side", Refused: "refused"}

func (k ErrorKind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// MarshalText writes the kind's name, which results keep.
func (k ErrorKind) MarshalText() ([]byte, error) {
	if _, ok := kindNames[k]; !ok {
		return nil, fmt.Errorf("unknown job error kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind's name.
func (k *ErrorKind) UnmarshalText(text []byte) error {
	for kind, name := range kindNames {
		if name == string(text) {
			*k = kind
			return nil
		}
	}
	return fmt.Errorf("unknown job error kind %q", text)
}

// JobError is why a job cannot be graded: its kind and a message for the
// client.
type JobError struct {
	Kind ErrorKind
	Msg  string
}

func (e *JobError) Error() string { return e.Msg }

func jobErrorf(kind ErrorKind, format string, args ...any) *JobError {
	return &JobError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
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

// CheckName refuses a name that is not a plain file name; what says which
// name it is, for the message.
func CheckName(what, name string) *JobError {
	if !plainName.MatchString(name) {
		return jobErrorf(BadJob, "%s %q is not a plain file name (letters, digits, '.', '_', '-'; no paths, no leading dot; at most 128 bytes)", what, name)
	}
	return nil
}

// LoadExercise loads a shipped exercise by name. Paths are never accepted
// from a request or a job.
func LoadExercise(shipped []string, id string) (*exercises.Exercise, *JobError) {
	if id == "" {
		return nil, jobErrorf(BadJob, "no exercise given (shipped: %s)", strings.Join(shipped, ", "))
	}
	if !slices.Contains(shipped, id) {
		return nil, jobErrorf(UnknownExercise, "no exercise named %q (shipped: %s)", id, strings.Join(shipped, ", "))
	}
	ex, err := exercises.Load(id)
	if err != nil {
		return nil, jobErrorf(GraderSide, "load exercise: %v", err)
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
		return jobErrorf(BadJob, "a job holds an archive and loose files")
	case j.Archive != nil:
		if herr := CheckName("archive name", j.ArchiveName); herr != nil {
			return herr
		}
		if submissions.ArchiveSuffix(j.ArchiveName) == "" {
			return jobErrorf(BadJob, "archive name %q does not end in .zip, .tar.gz or .tgz", j.ArchiveName)
		}
	case len(j.Files) == 0:
		return jobErrorf(BadJob, "no files in the submission")
	case len(j.Files) > maxFiles:
		return jobErrorf(BadJob, "too many files (%d; at most %d)", len(j.Files), maxFiles)
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

// Open opens the job in memory with the submissions package's bounds. A
// job that is not an archive at all is a BadJob; one that the submission
// rules refuse (too many entries, too much data) is Unopenable.
func (j *Job) Open(maxFiles int) (*submissions.Submission, *JobError) {
	if herr := j.Validate(maxFiles); herr != nil {
		return nil, herr
	}
	var sub *submissions.Submission
	var err error
	if j.Archive != nil {
		sub, err = submissions.OpenArchive(j.ArchiveName, j.Archive)
	} else {
		name := j.Name
		if name == "" {
			name = DefaultSubmissionName
		}
		sub, err = submissions.OpenFiles(name, j.Files)
	}
	if err != nil {
		if malformedArchive(err) {
			return nil, jobErrorf(BadJob, "malformed archive: %v", err)
		}
		return nil, jobErrorf(Unopenable, "the submission cannot be opened: %v", err)
	}
	return sub, nil
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

// ValidJobID tells a job id NewJobID could have made from anything else.
func ValidJobID(id string) bool { return jobIDPattern.MatchString(id) }
