package report

import (
	"fmt"
	"strings"

	"github.com/redisgrade/redisgrade/internal/words"
)

// Plain-text pieces shared by the LMS formats: no colour, no terminal
// assumptions, the same words as the text format.

// notGraded is what the writers say of a step the engine could not grade
// (its note says why): it has not passed, and it has not failed either.
const notGraded = "not graded on this engine"

// verdict is "all 4 steps passed", "1 of 4 steps failed", or with a step
// the engine could not grade "1 of 4 steps failed · 1 of 4 steps not graded
// on this engine", as the text format says it.
func verdict(steps []Step) string {
	failed, unGraded := 0, 0
	for _, s := range steps {
		switch {
		case s.NotGradable:
			unGraded++
		case !s.Passed:
			failed++
		}
	}
	if failed+unGraded == 0 {
		if len(steps) == 1 {
			return "the step passed"
		}
		return fmt.Sprintf("all %d steps passed", len(steps))
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d steps failed", failed, len(steps)))
	}
	if unGraded > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d steps %s", unGraded, len(steps), notGraded))
	}
	return strings.Join(parts, " · ")
}

// scoreLine is "Score: 3/4 · 1 of 4 steps failed".
func scoreLine(r *Report) string {
	return fmt.Sprintf("Score: %s/%s · %s", words.Number(r.Score), words.Number(r.MaxScore), verdict(r.Steps))
}

// engineLine says what the submission ran on.
func engineLine(r *Report) string {
	if r.Engine.Kind == "" {
		return ""
	}
	if r.Engine.Emulator {
		return fmt.Sprintf("Graded on %s (%s engine): an emulator, not a real Redis.", r.Engine.ServerName(), r.Engine.Kind)
	}
	return fmt.Sprintf("Graded on %s (%s engine).", r.Engine.ServerName(), r.Engine.Kind)
}

// headline is "Title (exercise)", or the exercise alone.
func headline(r *Report) string {
	if r.Title == "" {
		return r.Exercise
	}
	return fmt.Sprintf("%s (%s)", r.Title, r.Exercise)
}

// stepName is "Step 2: Return the values".
func stepName(i int, s Step) string { return fmt.Sprintf("Step %d: %s", i+1, s.Title) }

// unreadableText tells a student why nothing was graded.
func unreadableText(r *Report) string {
	var b strings.Builder
	b.WriteString("Your submission could not be read, so nothing was graded:\n")
	for _, p := range r.ReadErrors {
		writeIndented(&b, "  - ", p)
	}
	return strings.TrimRight(b.String(), "\n")
}

// checkDetail renders one check: a mark and its name, then its message and,
// unless the message already says them, the expected and actual values.
func checkDetail(b *strings.Builder, c Check) {
	mark := "✔"
	if !c.Passed {
		mark = "✘"
	}
	fmt.Fprintf(b, "%s %s\n", mark, c.Label())
	if c.Message != "" {
		writeIndented(b, "    ", c.Message)
	}
	if !c.Passed && (c.Expected != "" || c.Actual != "") && !strings.Contains(c.Message, c.Expected) {
		fmt.Fprintf(b, "    expected: %s\n", c.Expected)
		fmt.Fprintf(b, "    actual:   %s\n", c.Actual)
	}
}

// stepDetail is what a student reads about one step: for a failed step the
// failing checks, the ideas behind them and the hint; for a passed one every
// check (a probe's message says what it saw). A step's note comes last: for
// a step not graded, it is all there is (no hint: nothing was found wrong).
func stepDetail(s Step) string {
	var b strings.Builder
	for _, c := range s.Checks {
		if s.Passed || !c.Passed {
			checkDetail(&b, c)
		}
	}
	if !s.Passed {
		if s.Mistake != nil {
			writeIndented(&b, "", MistakeText(s.Mistake))
		}
		seen := map[string]bool{}
		for _, c := range s.Checks {
			if !c.Passed && c.Why != "" && !seen[c.Why] {
				seen[c.Why] = true
				writeIndented(&b, "", "why: "+c.Why)
			}
		}
		if s.Hint != "" && !s.NotGradable {
			writeIndented(&b, "", "hint: "+s.Hint)
		}
	}
	if s.Note != "" {
		writeIndented(&b, "", "note: "+s.Note)
	}
	return strings.TrimRight(b.String(), "\n")
}

// failingNames lists the names of a step's failing checks.
func failingNames(s Step) []string {
	var out []string
	for _, c := range s.Checks {
		if !c.Passed {
			out = append(out, c.Label())
		}
	}
	return out
}
