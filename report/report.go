// Package report holds the result of grading one submission and the writers
// that render it, one per output format, looked up by name.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/redisgrade/redisgrade/engine"
)

// Report is the outcome of grading one submission. It is only produced when
// grading ran: an infrastructure failure is an error, never a report.
type Report struct {
	Exercise   string      `json:"exercise"`
	Title      string      `json:"title"`
	Submission string      `json:"submission"`
	Score      float64     `json:"score"`
	MaxScore   float64     `json:"max_score"`
	Engine     engine.Info `json:"engine"`
	DurationMS int64       `json:"duration_ms"`
	Steps      []Step      `json:"steps"`
}

// Step is one step's verdict.
type Step struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	File     string  `json:"file"`
	Passed   bool    `json:"passed"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Checks   []Check `json:"checks"`
	Hint     string  `json:"hint"`
	// Hidden steps are shown to students only after the due date where the
	// output format supports it.
	Hidden bool `json:"hidden,omitempty"`
	// Keyspace is what the student's commands left in the server, in the
	// first case that failed: key (type) value, one per line, bounded.
	Keyspace string `json:"keyspace,omitempty"`
	// Note tells what the grader had to do besides grading (a server replaced).
	Note string `json:"note,omitempty"`
}

// Check is one check's verdict.
type Check struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Why      string `json:"why,omitempty"`
}

// Passed reports whether every step passed.
func (r *Report) Passed() bool {
	for _, s := range r.Steps {
		if !s.Passed {
			return false
		}
	}
	return true
}

// Options are the settings a writer may use; they are passed in, never global.
type Options struct {
	Color   bool // ANSI colour in the text format
	Verbose bool // text: list every check, not only the failing ones
}

// Writer renders a report in one format.
type Writer func(w io.Writer, r *Report, opts Options) error

var writers = map[string]Writer{
	"text": writeText,
	"json": writeJSON,
}

// Formats lists the format names, sorted.
func Formats() []string {
	out := make([]string, 0, len(writers))
	for k := range writers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the writer for a format name.
func Lookup(format string) (Writer, error) {
	w, ok := writers[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats(), ", "))
	}
	return w, nil
}
