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
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	p("# %s\n\n", mdText(ex.Title))
	p("Exercise `%s` · submission **%s**\n\n", ex.ID, mdText(r.Student))
	if len(r.Notes) > 0 {
		p("Left out of your submission:\n\n")
		for _, n := range r.Notes {
			p("- %s\n", mdText(n))
		}
		p("\n")
	}
	if r.Status != StatusGraded {
		p("**Not graded.** ")
		switch {
		case r.ErrorKind == ErrorGrader && r.final():
			p("The grader failed on this submission in %d runs; it is not your mistake, and your instructor will grade it another way.\n\n", MaxGraderRuns)
		case r.ErrorKind == ErrorGrader:
			p("The grader failed on this submission; it is not your mistake, and it will be graded again.\n\n")
		default:
			p("Your submission could not be read:\n\n")
		}
		p("%s\n", codeBlock(r.Error))
		return bw.Flush()
	}
	rep := r.Report
	failed := 0
	for _, s := range rep.Steps {
		if !s.Passed {
			failed++
		}
	}
	p("**Score: %s/%s**", words.Number(rep.Score), words.Number(rep.MaxScore))
	if failed == 0 {
		p(" · every step passed")
	} else {
		p(" · %d of %d steps failed", failed, len(rep.Steps))
	}
	p("\n\n")

	p("| | step | file | score |\n|---|---|---|---|\n")
	for i, s := range rep.Steps {
		mark := "✔"
		if !s.Passed {
			mark = "✘"
		}
		title := mdText(s.Title)
		if s.Hidden {
			title += " *(hidden step)*"
		}
		p("| %s | %d. %s | `%s` | %s/%s |\n", mark, i+1, cellText(title), s.File, words.Number(s.Score), words.Number(s.MaxScore))
	}

	for i, s := range rep.Steps {
		if s.Passed {
			continue
		}
		p("\n## ✘ Step %d: %s (`%s`), %s/%s\n\n", i+1, mdText(s.Title), s.File, words.Number(s.Score), words.Number(s.MaxScore))
		for _, c := range s.Checks {
			if c.Passed {
				continue
			}
			p("- ✘ **%s**\n", mdText(c.Label()))
			if c.Message != "" {
				p("\n%s\n", indent(mdText(c.Message), "  "))
			}
			if c.Expected != "" || c.Actual != "" {
				p("\n  - expected: %s\n  - actual: %s\n", codeSpan(c.Expected), codeSpan(c.Actual))
			}
			if c.Why != "" {
				p("\n  *Why:* %s\n", mdText(c.Why))
			}
			p("\n")
		}
		if s.Mistake != nil {
			p("**%s**\n\n", mdText(report.MistakeText(s.Mistake)))
		}
		if s.Note != "" {
			p("*Note:* %s\n\n", mdText(s.Note))
		}
		if s.Hint != "" {
			p("**Hint:** %s\n", mdText(s.Hint))
		}
	}
	return bw.Flush()
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
