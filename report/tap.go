package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TAP version 14 (https://testanything.org/tap-version-14-specification.html):
// the version line, the plan, one test point per step, and after a failing
// step a YAML diagnostic block indented by two spaces between "  ---" and
// "  ...".

// tapDiagnostic is the YAML block after a failing test point. message,
// severity, expected and actual are the keys TAP harnesses show; checks has
// every failing check.
type tapDiagnostic struct {
	Message  string     `yaml:"message"`
	Severity string     `yaml:"severity"`
	Expected string     `yaml:"expected,omitempty"`
	Actual   string     `yaml:"actual,omitempty"`
	File     string     `yaml:"file,omitempty"`
	Score    *float64   `yaml:"score,omitempty"`
	MaxScore *float64   `yaml:"max_score,omitempty"`
	Checks   []tapCheck `yaml:"checks,omitempty"`
	Hint     string     `yaml:"hint,omitempty"`
	Note     string     `yaml:"note,omitempty"`
}

type tapCheck struct {
	Name     string `yaml:"name"`
	Message  string `yaml:"message,omitempty"`
	Expected string `yaml:"expected,omitempty"`
	Actual   string `yaml:"actual,omitempty"`
	Why      string `yaml:"why,omitempty"`
}

func writeTAP(w io.Writer, r *Report, _ Options) error {
	r = r.Printable() // harnesses print diagnostics to a terminal
	var b strings.Builder
	b.WriteString("TAP version 14\n")
	if !r.Gradable() {
		b.WriteString("1..1\n")
		tapComment(&b, headline(r)+": "+r.Submission)
		b.WriteString("not ok 1 - read the submission\n")
		if err := tapYAML(&b, tapDiagnostic{
			Message: "the submission could not be read, so nothing was graded:\n" + strings.Join(r.ReadErrors, "\n"), Severity: "fail",
		}); err != nil {
			return err
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "1..%d\n", len(r.Steps))
	tapComment(&b, headline(r)+": "+r.Submission)
	if e := engineLine(r); e != "" {
		tapComment(&b, e)
	}
	for i, s := range r.Steps {
		status := "ok"
		if !s.Passed {
			status = "not ok"
		}
		fmt.Fprintf(&b, "%s %d - %s\n", status, i+1, tapDescription(s.Title))
		if s.Passed {
			if s.Note != "" {
				tapComment(&b, "note: "+s.Note)
			}
			continue
		}
		if err := tapYAML(&b, tapStepDiagnostic(s)); err != nil {
			return err
		}
	}
	tapComment(&b, scoreLine(r))
	_, err := io.WriteString(w, b.String())
	return err
}

func tapStepDiagnostic(s Step) tapDiagnostic {
	score, maxScore := s.Score, s.MaxScore
	d := tapDiagnostic{Severity: "fail", File: s.File, Score: &score, MaxScore: &maxScore, Hint: s.Hint, Note: s.Note}
	var messages []string
	for _, c := range s.Checks {
		if c.Passed {
			continue
		}
		msg := c.Name
		if c.Message != "" {
			msg += ": " + c.Message
		}
		messages = append(messages, msg)
		if d.Expected == "" && d.Actual == "" {
			d.Expected, d.Actual = c.Expected, c.Actual
		}
		d.Checks = append(d.Checks, tapCheck{Name: c.Name, Message: c.Message, Expected: c.Expected, Actual: c.Actual, Why: c.Why})
	}
	d.Message = strings.Join(messages, "\n")
	return d
}

// tapDescription keeps a description on its line and escapes "#" (which
// starts a directive) and "\", as TAP 14 asks.
func tapDescription(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer(`\`, `\\`, "#", `\#`).Replace(s)
}

// tapComment writes text as comment lines.
func tapComment(b *strings.Builder, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
}

// tapYAML writes a diagnostic block, indented by two spaces.
func tapYAML(b *strings.Builder, d tapDiagnostic) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("tap diagnostics: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("tap diagnostics: %w", err)
	}
	b.WriteString("  ---\n")
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("  " + line + "\n")
	}
	b.WriteString("  ...\n")
	return nil
}
