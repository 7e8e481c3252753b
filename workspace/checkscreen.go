package workspace

import (
	"fmt"
	"io"
	"strings"

	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
)

// FirstUnfinished returns the index of the first step graded that did not
// pass, or -1 when every step graded passed.
func FirstUnfinished(rep *report.Report) int {
	for i, s := range rep.Steps {
		if !s.Passed && !s.NotGradable {
			return i
		}
	}
	return -1
}

// Done counts the steps that passed.
func Done(rep *report.Report) int {
	n := 0
	for _, s := range rep.Steps {
		if s.Passed {
			n++
		}
	}
	return n
}

// ProgressBar renders `[■■□□] 2/4 steps`.
func ProgressBar(done, total int, colour bool) string {
	p := report.NewPalette(colour)
	return "[" + p.Pass.Sprint(strings.Repeat("■", done)) + p.Dim.Sprint(strings.Repeat("□", total-done)) + "] " +
		fmt.Sprintf("%d/%d steps", done, total)
}

// RenderCheck writes the check screen: each done step on one line with a
// tick, the first unfinished step in full (its task, the checks that failed
// with expected and actual, why they matter, the error Redis gave, the keys
// the student's commands left), the other steps on one line each, then a
// progress bar of steps done.
func (w *Workspace) RenderCheck(out io.Writer, ex *exercises.Exercise, rep *report.Report, colour bool) error {
	rep = rep.Printable()
	p := report.NewPalette(colour)
	var b strings.Builder
	engineLine := rep.Engine.Kind + " engine, " + rep.Engine.ServerName()
	if rep.Engine.Emulator {
		engineLine = rep.Engine.Kind + " engine (" + rep.Engine.Version + ", an emulator)"
	}
	fmt.Fprintf(&b, "%s %s\n", p.Bold.Sprint(rep.Title), p.Dim.Sprintf("· %s · %s · %d ms", rep.Exercise, engineLine, rep.DurationMS))
	b.WriteString("\n")

	first := FirstUnfinished(rep)
	for i, s := range rep.Steps {
		switch {
		case s.Passed:
			fmt.Fprintf(&b, "%s Step %d: %s\n", p.Pass.Sprint("✔"), i+1, s.Title)
		case s.NotGradable:
			fmt.Fprintf(&b, "%s Step %d: %s %s\n", p.Dim.Sprint("–"), i+1, s.Title, p.Dim.Sprintf("(%s)", s.File))
			writeNote(&b, p, s.Note)
		case i == first:
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%s Step %d: %s %s\n", p.Fail.Sprint("✘"), i+1, p.Bold.Sprint(s.Title), p.Dim.Sprintf("(%s)", s.File))
			var step *exercises.Step
			if i < len(ex.Steps) {
				step = &ex.Steps[i]
			}
			w.renderUnfinished(&b, p, step, &s)
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "%s %s\n", p.Dim.Sprint("·"), p.Dim.Sprintf("Step %d: %s (%s)", i+1, s.Title, s.File))
		}
	}

	b.WriteString("\n" + ProgressBar(Done(rep), len(rep.Steps), colour))
	if n := rep.NotGraded(); n > 0 {
		b.WriteString("  " + p.Fail.Sprintf("%d not graded on this engine", n))
	} else if first < 0 {
		b.WriteString("  " + p.Pass.Sprint("all steps done!"))
		if demo.Has(ex.ID) {
			fmt.Fprintf(&b, "\nSee why it matters: %s", p.Bold.Sprint("redisgrade demo "+ex.ID))
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(out, b.String())
	return err
}

// writeNote writes a step's note, indented, a line at a time.
func writeNote(b *strings.Builder, p report.Palette, note string) {
	for _, line := range strings.Split(note, "\n") {
		b.WriteString("    " + p.Dim.Sprint(line) + "\n")
	}
}

// renderUnfinished writes the first unfinished step in full: its task,
// then (unless its file is still the starter) the checks that failed, the
// known mistake, why, what the commands left, the other starting states
// that fail, the note; and where the hints are.
func (w *Workspace) renderUnfinished(b *strings.Builder, p report.Palette, step *exercises.Step, s *report.Step) {
	const in = "    "
	if step != nil && step.Task != "" {
		for _, line := range words.Wrap(report.Visible(step.Task), textWidth-len(in)) {
			b.WriteString(in + line + "\n")
		}
		b.WriteString("\n")
	}
	if step != nil && Untouched(w.Dir, step) {
		renderUntouched(b, p, step, s.File, in)
		w.renderHintLine(b, p, step, in)
		return
	}
	firstLabel, failing, otherLabels := firstFailingCase(s.Checks)
	if firstLabel != "" {
		fmt.Fprintf(b, "%sStarting from %s:\n", in, p.Bold.Sprint(firstLabel))
	}
	whyList := renderFailing(b, p, failing, in)
	if s.Mistake != nil {
		b.WriteString("\n")
		for _, line := range words.Wrap(report.MistakeText(s.Mistake), textWidth-len(in)) {
			fmt.Fprintf(b, "%s%s\n", in, p.Warn.Sprint(line))
		}
	}
	for _, why := range whyList {
		b.WriteString("\n")
		for i, line := range words.Wrap(why, textWidth-len(in)-5) {
			if i == 0 {
				fmt.Fprintf(b, "%s%s %s\n", in, p.Hint.Sprint("why:"), line)
			} else {
				fmt.Fprintf(b, "%s     %s\n", in, line)
			}
		}
	}
	if s.Keyspace != "" {
		fmt.Fprintf(b, "\n%s%s\n", in, p.Dim.Sprint("What your commands left in Redis:"))
		indent(b, in+"    ", s.Keyspace)
	}
	if len(otherLabels) > 0 {
		fmt.Fprintf(b, "\n%s%s\n", in, p.Dim.Sprintf("Also failing when starting from %s.", joinAnd(otherLabels)))
	}
	if s.Note != "" {
		fmt.Fprintf(b, "\n%s%s\n", in, p.Dim.Sprint("note: "+s.Note))
	}
	if step != nil {
		w.renderHintLine(b, p, step, in)
	}
}

// renderUntouched says that the step's file is still the starter init
// wrote, rather than list the checks it fails.
func renderUntouched(b *strings.Builder, p report.Palette, step *exercises.Step, file, in string) {
	what := "commands"
	if step.IsScript() {
		what = "script"
	}
	msg := fmt.Sprintf("%s holds only comments so far: write your %s below them, then save.", file, what)
	for i, line := range words.Wrap(msg, textWidth-len(in)-2) {
		if i == 0 {
			fmt.Fprintf(b, "%s%s %s\n", in, p.Hint.Sprint("→"), line)
		} else {
			fmt.Fprintf(b, "%s  %s\n", in, line)
		}
	}
}

// firstFailingCase returns the case whose checks failed first, with those
// checks, and the other cases that failed: the screen shows the first in
// full and the others only by their starting state, since they usually
// fail the same way.
func firstFailingCase(checks []report.Check) (first string, failing []report.Check, others []string) {
	seen := map[string]bool{}
	for _, c := range checks {
		if c.Passed {
			continue
		}
		label := c.Case
		if len(failing) == 0 {
			first = label
		}
		if label == first {
			failing = append(failing, c)
		} else if !seen[label] {
			seen[label] = true
			others = append(others, label)
		}
	}
	return first, failing, others
}

// renderFailing writes the failing checks, each with its message, expected
// and actual, and returns their whys, each once, in order.
func renderFailing(b *strings.Builder, p report.Palette, failing []report.Check, in string) (whys []string) {
	seen := map[string]bool{}
	for _, c := range failing {
		fmt.Fprintf(b, "%s%s %s\n", in, p.Fail.Sprint("✘"), c.Name)
		if c.Message != "" {
			for _, line := range strings.Split(c.Message, "\n") {
				if !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
					line = strings.Join(words.Wrap(line, textWidth-len(in)-4), "\n")
				} // else set out as it is: a line of the student's file, a caret under it
				indent(b, in+"    ", line)
			}
		}
		if (c.Expected != "" || c.Actual != "") && !strings.Contains(c.Message, c.Expected) {
			fmt.Fprintf(b, "%s    %s %s\n", in, p.Dim.Sprint("expected:"), c.Expected)
			fmt.Fprintf(b, "%s    %s   %s\n", in, p.Dim.Sprint("actual:"), c.Actual)
		}
		if c.Why != "" && !seen[c.Why] {
			seen[c.Why] = true
			whys = append(whys, c.Why)
		}
	}
	return whys
}

// renderHintLine points to `redisgrade hint` without giving the hint away.
func (w *Workspace) renderHintLine(b *strings.Builder, p report.Palette, step *exercises.Step, in string) {
	total := len(step.AllHints())
	if total == 0 {
		return
	}
	seen := min(w.State.HintsSeen[step.ID], total)
	var msg string
	switch {
	case seen == 0 && total == 1:
		msg = "Stuck? Run redisgrade hint for a hint."
	case seen == 0:
		msg = fmt.Sprintf("Stuck? Run redisgrade hint for a hint (%d in all, one at a time).", total)
	case seen < total:
		msg = fmt.Sprintf("Hints seen: %d of %d. Run redisgrade hint for the next one.", seen, total)
	default:
		msg = fmt.Sprintf("Hints seen: all %d. Run redisgrade hint to read them again.", total)
	}
	fmt.Fprintf(b, "\n%s%s\n", in, p.Hint.Sprint(msg))
}

func indent(b *strings.Builder, in, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(in + line + "\n")
	}
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
