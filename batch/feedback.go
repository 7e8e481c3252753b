package batch

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"

	"github.com/redisgrade/redisgrade/exercises"
)

// writeFeedback writes a student's feedback in Markdown: the score, a table
// of steps, then for each failing step its failing checks (message,
// expected and actual, why) and the hint. Text that came from the student's
// files is escaped or put in code spans, so it cannot turn into markup.
func writeFeedback(w io.Writer, ex *exercises.Exercise, r *Result) error {
	md := mdWriter{bufio.NewWriter(w)}
	md.p("# %s\n\n", mdText(ex.Title))
	md.p("Exercise `%s` · submission **%s**\n\n", ex.ID, mdText(r.Student))
	if len(r.Notes) > 0 {
		md.p("Left out of your submission:\n\n")
		for _, n := range r.Notes {
			md.p("- %s\n", mdText(n))
		}
		md.p("\n")
	}
	if r.Status != StatusGraded {
		md.notGraded(r)
		return md.Flush()
	}
	md.score(r.Report)
	md.stepTable(r.Report)
	for i, s := range r.Report.Steps {
		if !s.Passed {
			md.failedStep(i, s)
		}
	}
	return md.Flush()
}

// mdWriter writes Markdown, its write errors kept for Flush.
type mdWriter struct{ *bufio.Writer }

func (md mdWriter) p(format string, args ...any) { fmt.Fprintf(md, format, args...) }

// notGraded says why the submission has no grade, and whose fault that is.
func (md mdWriter) notGraded(r *Result) {
	md.p("**Not graded.** ")
	switch {
	case r.ErrorKind == ErrorGrader && r.final():
		md.p("The grader failed on this submission in %d runs; it is not your mistake, and your instructor will grade it another way.\n\n", MaxGraderRuns)
	case r.ErrorKind == ErrorGrader:
		md.p("The grader failed on this submission; it is not your mistake, and it will be graded again.\n\n")
	default:
		md.p("Your submission could not be read:\n\n")
	}
	md.p("%s\n", codeBlock(r.Error))
}

// score writes the score and how many steps failed.
func (md mdWriter) score(rep *report.Report) {
	failed := 0
	for _, s := range rep.Steps {
		if !s.Passed {
			failed++
		}
	}
	md.p("**Score: %s/%s**", words.Number(rep.Score), words.Number(rep.MaxScore))
	if failed == 0 {
		md.p(" · every step passed")
	} else {
		md.p(" · %d of %d steps failed", failed, len(rep.Steps))
	}
	md.p("\n\n")
}

// stepTable writes a table row per step: passed or not, title, file, score.
func (md mdWriter) stepTable(rep *report.Report) {
	md.p("| | step | file | score |\n|---|---|---|---|\n")
	for i, s := range rep.Steps {
		mark := "✔"
		if !s.Passed {
			mark = "✘"
		}
		title := mdText(s.Title)
		if s.Hidden {
			title += " *(hidden step)*"
		}
		md.p("| %s | %d. %s | `%s` | %s/%s |\n", mark, i+1, cellText(title), s.File, words.Number(s.Score), words.Number(s.MaxScore))
	}
}

// failedStep writes a failing step (the i-th): its failing checks, then
// the known mistake, the note and the hint.
func (md mdWriter) failedStep(i int, s report.Step) {
	md.p("\n## ✘ Step %d: %s (`%s`), %s/%s\n\n", i+1, mdText(s.Title), s.File, words.Number(s.Score), words.Number(s.MaxScore))
	for _, c := range s.Checks {
		if c.Passed {
			continue
		}
		md.p("- ✘ **%s**\n", mdText(c.Label()))
		if c.Message != "" {
			md.p("\n%s\n", indent(mdText(c.Message), "  "))
		}
		if c.Expected != "" || c.Actual != "" {
			md.p("\n  - expected: %s\n  - actual: %s\n", codeSpan(c.Expected), codeSpan(c.Actual))
		}
		if c.Why != "" {
			md.p("\n  *Why:* %s\n", mdText(c.Why))
		}
		md.p("\n")
	}
	if s.Mistake != nil {
		md.p("**%s**\n\n", mdText(report.MistakeText(s.Mistake)))
	}
	if s.Note != "" {
		md.p("*Note:* %s\n\n", mdText(s.Note))
	}
	if s.Hint != "" {
		md.p("**Hint:** %s\n", mdText(s.Hint))
	}
}

// mdText escapes Markdown's punctuation so text shows as written; line
// breaks are kept as hard breaks.
func mdText(s string) string {
	s = report.Visible(s) // an instructor may cat the file: no terminal escapes
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	for i, line := range lines {
		var b strings.Builder
		// A list item (- + 1.), a heading (#) or a heading underline (=)
		// at the start of a line; elsewhere only the characters that make
		// emphasis, code, links, HTML, tables or entities.
		digits := len(line) - len(strings.TrimLeft(line, "0123456789"))
		switch {
		case line != "" && strings.ContainsRune("-=+#", rune(line[0])):
			b.WriteByte('\\')
		case digits > 0 && digits < len(line) && strings.ContainsRune(".)", rune(line[digits])):
			b.WriteString(line[:digits])
			b.WriteByte('\\')
			line = line[digits:]
		}
		for _, r := range line {
			if strings.ContainsRune("\\`*_[]<>|~&", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "  \n")
}

// cellText keeps a table cell on one line.
func cellText(s string) string { return strings.ReplaceAll(s, "  \n", " ") }

// indent indents every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// codeSpan puts s in an inline code span whose fence is longer than any run
// of backticks in it.
func codeSpan(s string) string {
	s = report.VisibleLine(s)
	if s == "" {
		return "(nothing)"
	}
	s = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// codeBlock puts s in a fenced code block.
func codeBlock(s string) string {
	s = report.Visible(s)
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
