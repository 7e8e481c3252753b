package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/redisgrade/redisgrade/internal/words"
)

// Palette holds the colours of one rendering; each is switched on or off
// from the caller's setting, never through fatih/color's global NoColor.
// The student's check screen uses it too, so both look alike.
type Palette struct {
	Pass, Fail, Dim, Bold, Hint, Warn *color.Color
}

// NewPalette returns the colours, on or off.
func NewPalette(on bool) Palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return Palette{
		Pass: mk(color.FgGreen, color.Bold),
		Fail: mk(color.FgRed, color.Bold),
		Dim:  mk(color.Faint),
		Bold: mk(color.Bold),
		Hint: mk(color.FgYellow),
		Warn: mk(color.FgRed),
	}
}

func writeText(w io.Writer, r *Report, opts Options) error {
	r = r.Printable()
	t := &textWriter{p: NewPalette(opts.Color), verbose: opts.Verbose}
	fmt.Fprintf(&t.b, "%s %s\n", t.p.Bold.Sprint(r.Title), t.p.Dim.Sprintf("(%s)", r.Exercise))
	if !r.Gradable() {
		t.unreadable(r)
	} else {
		t.submission(r)
		for i, s := range r.Steps {
			t.step(i, s)
		}
		t.score(r)
	}
	_, err := io.WriteString(w, t.b.String())
	return err
}

// textWriter builds the text report, in its palette.
type textWriter struct {
	b       strings.Builder
	p       Palette
	verbose bool // passed checks too
}

// unreadable says why nothing was graded, and the score that gives.
func (t *textWriter) unreadable(r *Report) {
	p := t.p
	fmt.Fprintf(&t.b, "%s\n\n%s\n", p.Dim.Sprint(r.Submission), p.Fail.Sprint("✘ ")+unreadableText(r))
	fmt.Fprintf(&t.b, "\nScore: %s/%s · %s\n", p.Bold.Sprint("0"), words.Number(r.MaxScore), p.Fail.Sprint("not graded"))
}

// submission names the submission and the engine, and what was left out
// of the submission.
func (t *textWriter) submission(r *Report) {
	engineLine := r.Engine.Kind + " engine, " + r.Engine.ServerName()
	if r.Engine.Emulator {
		engineLine = r.Engine.Kind + " engine, " + r.Engine.ServerName() + ": an emulator, not a real Redis"
	}
	fmt.Fprintf(&t.b, "%s\n\n", t.p.Dim.Sprintf("%s · %s", r.Submission, engineLine))
	for _, n := range r.Notes {
		fmt.Fprintf(&t.b, "%s %s\n", t.p.Dim.Sprint("left out:"), n)
	}
	if len(r.Notes) > 0 {
		t.b.WriteString("\n")
	}
}

// step writes the i-th step's line, its checks, and what explains a
// failure: the known mistake, each check's why, the note and the hint.
func (t *textWriter) step(i int, s Step) {
	p := t.p
	mark, pts := p.Pass.Sprint("✔"), p.Pass.Sprintf("%s/%s", words.Number(s.Score), words.Number(s.MaxScore))
	switch {
	case s.NotGradable:
		mark, pts = p.Dim.Sprint("–"), p.Dim.Sprintf("not graded, of %s", words.Number(s.MaxScore))
	case !s.Passed:
		mark, pts = p.Fail.Sprint("✘"), p.Fail.Sprintf("%s/%s", words.Number(s.Score), words.Number(s.MaxScore))
	}
	fmt.Fprintf(&t.b, "%s Step %d: %s %s %s\n", mark, i+1, s.Title, p.Dim.Sprintf("(%s)", s.File), pts)
	for _, c := range s.Checks {
		t.check(c)
	}
	if s.Mistake != nil && !s.Passed {
		writeIndented(&t.b, "    ", p.Warn.Sprint(mistakeLead)+mistakeBody(s.Mistake))
	}
	// Cases repeat a step's checks; say each idea behind them once.
	seen := map[string]bool{}
	for _, c := range s.Checks {
		if !c.Passed && c.Why != "" && !seen[c.Why] {
			seen[c.Why] = true
			writeIndented(&t.b, "    ", p.Hint.Sprint("why: ")+c.Why)
		}
	}
	if s.Note != "" {
		writeIndented(&t.b, "    ", p.Dim.Sprint("note: "+s.Note))
	}
	if !s.Passed && !s.NotGradable && s.Hint != "" {
		writeIndented(&t.b, "    ", p.Hint.Sprint("hint: ")+s.Hint)
	}
}

// check writes a failed check with its message, expected and actual; a
// passed one only when verbose or when it has something to say.
func (t *textWriter) check(c Check) {
	p, b := t.p, &t.b
	switch {
	case !c.Passed:
		fmt.Fprintf(b, "    %s %s\n", p.Fail.Sprint("✘"), c.Label())
		writeIndented(b, "        ", c.Message)
		// Say expected and actual unless the message already did.
		if (c.Expected != "" || c.Actual != "") && !strings.Contains(c.Message, c.Expected) {
			fmt.Fprintf(b, "        %s %s\n", p.Dim.Sprint("expected:"), c.Expected)
			fmt.Fprintf(b, "        %s   %s\n", p.Dim.Sprint("actual:"), c.Actual)
		}
	case t.verbose || c.Message != "":
		fmt.Fprintf(b, "    %s %s\n", p.Pass.Sprint("✔"), c.Label())
		if c.Message != "" {
			writeIndented(b, "        ", p.Dim.Sprint(c.Message))
		}
	}
}

// score writes the score line: how many steps failed or were not graded.
func (t *textWriter) score(r *Report) {
	p := t.p
	verdict := p.Pass.Sprint("all steps passed")
	if failed, notGraded := r.Failed(), r.NotGraded(); failed+notGraded > 0 {
		var parts []string
		if failed > 0 {
			parts = append(parts, p.Fail.Sprintf("%d of %d steps failed", failed, len(r.Steps)))
		}
		if notGraded > 0 {
			parts = append(parts, p.Fail.Sprintf("%d of %d steps not graded on this engine", notGraded, len(r.Steps)))
		}
		verdict = strings.Join(parts, " · ")
	}
	fmt.Fprintf(&t.b, "\nScore: %s/%s · %s %s\n", p.Bold.Sprint(words.Number(r.Score)), words.Number(r.MaxScore), verdict,
		p.Dim.Sprintf("(%d ms)", r.DurationMS))
}

func writeIndented(b *strings.Builder, indent, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(indent + line + "\n")
	}
}
