package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/redisgrade/redisgrade/report"
)

// ResultsFile is the name of the results log in the output folder.
const ResultsFile = "results.jsonl"

// Statuses of a result.
const (
	StatusGraded = "graded" // the submission was graded: see Report
	StatusError  = "error"  // it could not be: see Error and ErrorKind
)

// Kinds of error results.
const (
	// ErrorSubmission: the student's entry cannot be read (a broken
	// archive, not a folder). It is final: --resume does not retry it.
	ErrorSubmission = "submission"
	// ErrorGrader: the grader failed twice on it (a server that went wrong
	// under grading). It is no grade: --resume grades the student again,
	// until the grader has failed on it in MaxGraderRuns runs.
	ErrorGrader = "grader"
)

// MaxGraderRuns bounds the runs that grade a student the grader fails on:
// after that many, --resume keeps the grader error rather than try again,
// so that a batch can finish.
const MaxGraderRuns = 3

// Result is one line of results.jsonl: one student's outcome.
type Result struct {
	Student   string  `json:"student"`
	Status    string  `json:"status"`
	Score     float64 `json:"score"`
	MaxScore  float64 `json:"max_score"`
	Error     string  `json:"error,omitempty"`
	ErrorKind string  `json:"error_kind,omitempty"`
	// GraderRuns counts, for a grader error, the runs that failed on the
	// student so far (a line without it counts as one).
	GraderRuns int `json:"grader_runs,omitempty"`
	// Notes say what of the student's entry was left out, and why (a
	// skipped .git, a symlink, a name that climbs out of the archive).
	Notes    []string       `json:"notes,omitempty"`
	GradedAt time.Time      `json:"graded_at"`
	Report   *report.Report `json:"report,omitempty"`
}

// final reports whether --resume should keep the result rather than grade
// the student again.
func (r *Result) final() bool {
	return r.Status == StatusGraded || r.ErrorKind == ErrorSubmission ||
		(r.ErrorKind == ErrorGrader && max(r.GraderRuns, 1) >= MaxGraderRuns)
}

func (r *Result) validate() error {
	switch {
	case r.Student == "":
		return errors.New("no student")
	case r.Status == StatusGraded && r.Report == nil:
		return errors.New("graded without a report")
	case r.Status != StatusGraded && r.Status != StatusError:
		return fmt.Errorf("unknown status %q", r.Status)
	}
	return nil
}

// ResultsLog reads a results.jsonl: every result, the last line for a
// student winning (results are appended, so a later line is newer).
type ResultsLog struct {
	Results []*Result // sorted by student
	// Torn is a last line cut short by a crash, dropped by LoadResults.
	Torn string
	// goodLen is the length of the file up to the last good line; size is
	// the file's.
	goodLen, size int64
	// lines counts the lines read.
	lines int
}

// ReadResults reads a results log. A last line that does not end in a
// newline or does not parse was torn by a crash: it is left out and named
// in Torn. A bad line before the last is an error: the file is not one this
// program wrote, or it was damaged, and guessing could lose grades.
func ReadResults(path string) (*ResultsLog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	log := &ResultsLog{size: int64(len(data))}
	byStudent := map[string]*Result{}
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		last := end < 0
		var line []byte
		if last {
			line = data[off:]
		} else {
			line = data[off : off+end]
		}
		next := off + len(line) + 1
		if len(bytes.TrimSpace(line)) == 0 {
			if last {
				break // stray white space after the last line: cut off
			}
			off = next
			log.goodLen = int64(off)
			continue
		}
		var r Result
		err := json.Unmarshal(line, &r)
		if err == nil {
			err = r.validate()
		}
		if err != nil || last {
			if last || next >= len(data) {
				log.Torn = string(line)
				break
			}
			lineNo := bytes.Count(data[:off], []byte("\n")) + 1
			return nil, fmt.Errorf("%s:%d: not a result (%v); move the file away to start over", path, lineNo, err)
		}
		log.lines++
		byStudent[r.Student] = &r
		off = next
		log.goodLen = int64(off)
	}
	for _, r := range byStudent {
		log.Results = append(log.Results, r)
	}
	sort.Slice(log.Results, func(i, j int) bool { return log.Results[i].Student < log.Results[j].Student })
	return log, nil
}

// prepareResume makes a results log ready to be appended to after a crash
// or an interruption: a torn last line is cut off, and older duplicate
// lines are dropped, by writing the file anew and renaming it over the old
// one. It returns the results kept. Grader errors are kept, so that the
// count of runs that failed on a student survives a run interrupted before
// it got to them; the caller grades them again (see Result.final).
func prepareResume(path string) (*ResultsLog, error) {
	log, err := ReadResults(path)
	if errors.Is(err, os.ErrNotExist) {
		return &ResultsLog{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := compactResults(path, log); err != nil {
		return nil, err
	}
	return log, nil
}

// compactResults leaves one line per student in the log's file (the one
// read, the last), and no torn line.
func compactResults(path string, log *ResultsLog) error {
	switch {
	case len(log.Results) == log.lines && log.goodLen == log.size:
		return nil // nothing to change
	case len(log.Results) == log.lines:
		// Only a torn tail: cut it off.
		if err := os.Truncate(path, log.goodLen); err != nil {
			return fmt.Errorf("cut the torn last line of %s: %w", path, err)
		}
	default:
		if err := rewriteResults(path, log.Results); err != nil {
			return err
		}
	}
	log.lines, log.size, log.goodLen = len(log.Results), -1, -1 // the file now holds just them
	return nil
}

// rewriteResults replaces the log with just these results, atomically.
func rewriteResults(path string, results []*Result) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".results-*.jsonl")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, r := range results {
		line, err := marshalLine(r)
		if err != nil {
			tmp.Close()
			return err
		}
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func marshalLine(r *Result) ([]byte, error) {
	line, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode the result of %s: %w", r.Student, err)
	}
	return append(line, '\n'), nil
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// appender is the one writer of results.jsonl: each result is written as
// one whole line with one write, and synced before it counts as saved.
type appender struct {
	f *os.File
}

func openAppender(path string) (*appender, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	return &appender{f: f}, nil
}

// write appends lines (each one result) and syncs once for all of them.
func (a *appender) write(lines [][]byte) error {
	for _, line := range lines {
		if _, err := a.f.Write(line); err != nil {
			return err
		}
	}
	return a.f.Sync()
}

func (a *appender) Close() error { return a.f.Close() }

// writeFileAtomic writes a file through a temporary file and a rename, so
// that a crash leaves either the old file or the new one.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
