package batch

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
)

// Output names in the output folder.
const (
	GradesFile   = "grades.csv"
	FeedbackDir  = "feedback"
	ReportFile   = "report.html"
	feedbackExt  = ".md"
	maxIDInFname = 100
)

// RunInfo describes the run that wrote the outputs, for the class report.
type RunInfo struct {
	Engine       report.Engine
	EngineReason string
	Workers      int
	Fresh        bool
	Students     int // in the class
	Saved        int // results saved by this run
	Skipped      int // results from an earlier run (--resume)
	Elapsed      time.Duration
	Interrupted  bool
	Remaining    int
	Finished     time.Time
	// StepFile reads a student's step file back from the class, for the
	// report's examples of unexplained failures; nil: none shown.
	StepFile func(student, file string) (string, bool)
}

// WriteOutputs writes grades.csv, feedback/<student>.md and report.html
// from the results (results.jsonl read back, so that a resumed batch gets
// every student). It returns the paths written.
func WriteOutputs(out string, ex *exercises.Exercise, results []*Result, run RunInfo) ([]string, error) {
	var written []string
	csvPath := filepath.Join(out, GradesFile)
	if err := writeFileAtomic(csvPath, func(w io.Writer) error { return writeCSV(w, ex, results) }); err != nil {
		return written, fmt.Errorf("write %s: %w", csvPath, err)
	}
	written = append(written, csvPath)

	fbDir := filepath.Join(out, FeedbackDir)
	if err := os.MkdirAll(fbDir, 0o755); err != nil {
		return written, fmt.Errorf("write feedback: %w", err)
	}
	for _, r := range results {
		p := filepath.Join(fbDir, FeedbackName(r.Student))
		if err := writeFileAtomic(p, func(w io.Writer) error { return writeFeedback(w, ex, r) }); err != nil {
			return written, fmt.Errorf("write %s: %w", p, err)
		}
	}
	written = append(written, fbDir+string(filepath.Separator))

	mistakesPath := filepath.Join(out, MistakesFile)
	if err := writeFileAtomic(mistakesPath, func(w io.Writer) error {
		return writeMistakes(w, Mistakes(ex, results, run.StepFile))
	}); err != nil {
		return written, fmt.Errorf("write %s: %w", mistakesPath, err)
	}
	written = append(written, mistakesPath)

	htmlPath := filepath.Join(out, ReportFile)
	if err := writeFileAtomic(htmlPath, func(w io.Writer) error { return WriteHTML(w, ex, results, run) }); err != nil {
		return written, fmt.Errorf("write %s: %w", htmlPath, err)
	}
	written = append(written, htmlPath)
	return written, nil
}

// FeedbackName is the file name of a student's feedback: the id itself when
// it is a plain file name, otherwise the id made safe plus a short hash of
// it (so that two ids never share a file).
func FeedbackName(student string) string {
	safe := true
	var b strings.Builder
	for _, r := range student {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_.@+", r):
			b.WriteRune(r)
		default:
			safe = false
			b.WriteByte('_')
		}
	}
	name := b.String()
	if safe && len(name) <= maxIDInFname && !strings.HasPrefix(name, ".") {
		return name + feedbackExt
	}
	sum := sha256.Sum256([]byte(student))
	if len(name) > maxIDInFname {
		name = name[:maxIDInFname]
	}
	return strings.TrimLeft(name, ".") + "-" + hex.EncodeToString(sum[:4]) + feedbackExt
}

// writeCSV writes one row per student: student, score, max_score, one
// column per step (that step's score), then status and error.
func writeCSV(w io.Writer, ex *exercises.Exercise, results []*Result) error {
	cw := csv.NewWriter(w)
	header := []string{"student", "score", "max_score"}
	for _, s := range ex.Steps {
		header = append(header, s.ID)
	}
	header = append(header, "status", "error")
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range results {
		row := []string{cell(r.Student), words.Number(r.Score), words.Number(r.MaxScore)}
		steps := map[string]report.Step{}
		if r.Report != nil {
			for _, s := range r.Report.Steps {
				steps[s.ID] = s
			}
		}
		for _, s := range ex.Steps {
			if st, ok := steps[s.ID]; ok {
				row = append(row, words.Number(st.Score))
			} else {
				row = append(row, "")
			}
		}
		row = append(row, r.Status, cell(r.Error))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from reading text as a formula (CSV injection):
// text starting with = + - @ or a tab is prefixed with a quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
