// Package report holds the result of grading one submission and the writers
// that render it, one per output format, looked up by name.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Report is the outcome of grading one submission. It is only produced when
// grading ran: an infrastructure failure is an error, never a report.
type Report struct {
	Exercise   string  `json:"exercise"`
	Title      string  `json:"title"`
	Submission string  `json:"submission"`
	Score      float64 `json:"score"`
	MaxScore   float64 `json:"max_score"`
	Engine     Engine  `json:"engine"`
	DurationMS int64   `json:"duration_ms"`
	Steps      []Step  `json:"steps"`
	// ReadErrors, when set, say why the submission could not be read: nothing
	// was graded and Steps is empty. See Unreadable.
	ReadErrors []string `json:"read_errors,omitempty"`
	// Notes say what of the submission was left out, and why (a skipped
	// .git folder, a symlink, a name that climbs out of the archive): a
	// dropped entry is never silent.
	Notes []string `json:"notes,omitempty"`
}

// Engine describes the server a report was graded on. The grader fills it
// from the engine's own description; the report does not depend on engines.
type Engine struct {
	Kind   string `json:"kind"`   // "process", "embedded" or "docker"
	Server string `json:"server"` // "redis", "valkey", or "miniredis" (the embedded engine)
	// Version is the server's own: redis_version for Redis, valkey_version for Valkey, "miniredis vX.Y.Z".
	Version string `json:"version"`
	// Compatible is the Redis version a server that is not Redis answers as (Valkey 8: 7.2.4).
	Compatible string `json:"compatible,omitempty"`
	Image      string `json:"image,omitempty"`    // docker: the image the container runs, as asked for
	Emulator   bool   `json:"emulator,omitempty"` // true for embedded
	Note       string `json:"note,omitempty"`     // embedded: says that replies may differ from a real server
}

// ServerName names the server and its version for people: "Redis 7.0.15", "Valkey 8.1.1", and the
// emulator's own version ("miniredis v2.40.0").
func (e Engine) ServerName() string {
	switch {
	case e.Emulator:
		return e.Version
	case e.Server == "valkey":
		return "Valkey " + e.Version
	}
	return "Redis " + e.Version
}

// Unreadable is the report for a submission that could not be read at all
// (not a folder or archive, too many entries, ...): nothing was graded. The
// LMS formats turn it into their "not gradable" result, so that a student is
// told why and, where the platform allows it, not charged an attempt.
func Unreadable(exercise, submission string, problems []string) *Report {
	if len(problems) == 0 {
		problems = []string{"the submission could not be read"}
	}
	return &Report{Exercise: exercise, Submission: submission, ReadErrors: problems}
}

// Gradable reports whether the submission could be read and so was graded.
func (r *Report) Gradable() bool { return len(r.ReadErrors) == 0 }

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
	// NotGradable marks a step this engine cannot grade (Redis Functions on
	// the emulator, a command the emulator lacks): no verdict, it has not
	// passed, and the CLI exits 3.
	NotGradable bool `json:"not_gradable,omitempty"`
	// Note tells what the grader had to do besides grading (a server replaced).
	Note string `json:"note,omitempty"`
	// Signature is a failing step's failure signature: how it failed, as
	// behaviour (see grader's signature), never as text. Equal signatures
	// are the same mistake.
	Signature string `json:"signature,omitempty"`
	// Mistake is the known mistake (a mutant of the spec) the step failed
	// as, when exactly one fails it that way.
	Mistake *Mistake `json:"mistake,omitempty"`
}

// Check is one check's verdict.
type Check struct {
	// Case names the case the check ran in, for a step run from several
	// starting states: its name, else its given keys (`stock=7 sales=3`).
	Case     string `json:"case,omitempty"`
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Why      string `json:"why,omitempty"`
}

// Passed reports whether every step passed. An unreadable submission has
// not passed, nor has one with a step the engine could not grade.
func (r *Report) Passed() bool {
	return r.Gradable() && r.Failed() == 0 && r.NotGraded() == 0
}

// Complete reports whether every step could be graded.
func (r *Report) Complete() bool { return r.NotGraded() == 0 }

// Failed counts the steps graded and failed.
func (r *Report) Failed() int {
	n := 0
	for _, s := range r.Steps {
		if !s.Passed && !s.NotGradable {
			n++
		}
	}
	return n
}

// NotGraded counts the steps the engine could not grade.
func (r *Report) NotGraded() int {
	n := 0
	for _, s := range r.Steps {
		if s.NotGradable {
			n++
		}
	}
	return n
}

// Options are the settings a writer may use; they are passed in, never global.
type Options struct {
	Color   bool // ANSI colour in the text format
	Verbose bool // text: list every check, not only the failing ones
	// GitHubOutput, for the classroom format, is the step's output file
	// ($GITHUB_OUTPUT) the runner result is appended to; nil writes it as a
	// set-output command in the log, as @actions/core does without one.
	GitHubOutput io.Writer
}

// Writer renders a report in one format.
type Writer func(w io.Writer, r *Report, opts Options) error

// format is one output format.
type format struct {
	write Writer
	// unreadable: the format has a document for a submission that could not
	// be read (see Unreadable), which its platform reads instead of a grade.
	unreadable bool
}

var formats = map[string]format{
	"text":         {write: writeText},
	"json":         {write: writeJSON},
	"gradescope":   {write: writeGradescope, unreadable: true},
	"prairielearn": {write: writePrairieLearn, unreadable: true},
	"exercism":     {write: writeExercism, unreadable: true},
	"junit":        {write: writeJUnit, unreadable: true},
	"tap":          {write: writeTAP, unreadable: true},
	"classroom":    {write: writeClassroom, unreadable: true},
}

// Formats lists the format names, sorted.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for k := range formats {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the writer for a format name.
func Lookup(format string) (Writer, error) {
	f, ok := formats[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats(), ", "))
	}
	return f.write, nil
}

// HandlesUnreadable reports whether a format writes a result document for a
// submission that could not be read (a report from Unreadable). For the
// others (text, json) the caller reports the error its own way.
func HandlesUnreadable(format string) bool { return formats[format].unreadable }

// Label is how a check is shown: its name, after its case's in brackets
// where the step has several (`[stock=7 sales=3] reply is [6, 4]`).
func (c Check) Label() string {
	if c.Case == "" {
		return c.Name
	}
	return "[" + c.Case + "] " + c.Name
}
