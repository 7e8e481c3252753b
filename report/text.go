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
	p := NewPalette(opts.Color)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", p.Bold.Sprint(r.Title), p.Dim.Sprintf("(%s)", r.Exercise))
	if !r.Gradable() {
		fmt.Fprintf(&b, "%s\n\n%s\n", p.Dim.Sprint(r.Submission), p.Fail.Sprint("✘ ")+unreadableText(r))
		fmt.Fprintf(&b, "\nScore: %s/%s · %s\n", p.Bold.Sprint("0"), words.Number(r.MaxScore), p.Fail.Sprint("not graded"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	engineLine := r.Engine.Kind + " engine, " + r.Engine.ServerName()
	if r.Engine.Emulator {
		engineLine = r.Engine.Kind + " engine, " + r.Engine.ServerName() + ": an emulator, not a real Redis"
	}
	fmt.Fprintf(&b, "%s\n\n", p.Dim.Sprintf("%s · %s", r.Submission, engineLine))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "%s %s\n", p.Dim.Sprint("left out:"), n)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}

	for i, s := range r.Steps {
		mark, pts := p.Pass.Sprint("✔"), p.Pass.Sprintf("%s/%s", words.Number(s.Score), words.Number(s.MaxScore))
		switch {
		case s.NotGradable:
			mark, pts = p.Dim.Sprint("–"), p.Dim.Sprintf("not graded, of %s", words.Number(s.MaxScore))
		case !s.Passed:
			mark, pts = p.Fail.Sprint("✘"), p.Fail.Sprintf("%s/%s", words.Number(s.Score), words.Number(s.MaxScore))
		}
		fmt.Fprintf(&b, "%s Step %d: %s %s %s\n", mark, i+1, s.Title, p.Dim.Sprintf("(%s)", s.File), pts)
		for _, c := range s.Checks {
			switch {
			case !c.Passed:
				fmt.Fprintf(&b, "    %s %s\n", p.Fail.Sprint("✘"), c.Label())
				writeIndented(&b, "        ", c.Message)
				// Say expected and actual unless the message already did.
				if (c.Expected != "" || c.Actual != "") && !strings.Contains(c.Message, c.Expected) {
					fmt.Fprintf(&b, "        %s %s\n", p.Dim.Sprint("expected:"), c.Expected)
					fmt.Fprintf(&b, "        %s   %s\n", p.Dim.Sprint("actual:"), c.Actual)
				}
			case opts.Verbose || c.Message != "":
				fmt.Fprintf(&b, "    %s %s\n", p.Pass.Sprint("✔"), c.Label())
				if c.Message != "" {
					writeIndented(&b, "        ", p.Dim.Sprint(c.Message))
				}
			}
		}
		if s.Mistake != nil && !s.Passed {
			writeIndented(&b, "    ", p.Warn.Sprint(mistakeLead)+mistakeBody(s.Mistake))
		}
		// Cases repeat a step's checks; say each idea behind them once.
		seen := map[string]bool{}
		for _, c := range s.Checks {
			if !c.Passed && c.Why != "" && !seen[c.Why] {
				seen[c.Why] = true
				writeIndented(&b, "    ", p.Hint.Sprint("why: ")+c.Why)
			}
		}
		if s.Note != "" {
			writeIndented(&b, "    ", p.Dim.Sprint("note: "+s.Note))
		}
		if !s.Passed && !s.NotGradable && s.Hint != "" {
			writeIndented(&b, "    ", p.Hint.Sprint("hint: ")+s.Hint)
		}
	}

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
	fmt.Fprintf(&b, "\nScore: %s/%s · %s %s\n", p.Bold.Sprint(words.Number(r.Score)), words.Number(r.MaxScore), verdict,
		p.Dim.Sprintf("(%d ms)", r.DurationMS))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIndented(b *strings.Builder, indent, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(indent + line + "\n")
	}
}
