package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fatih/color"
)

// palette holds the colours of one rendering; each is switched on or off
// from Options, never through fatih/color's global NoColor.
type palette struct {
	pass, fail, dim, bold, hint *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		pass: mk(color.FgGreen, color.Bold),
		fail: mk(color.FgRed, color.Bold),
		dim:  mk(color.Faint),
		bold: mk(color.Bold),
		hint: mk(color.FgYellow),
	}
}

func writeText(w io.Writer, r *Report, opts Options) error {
	p := newPalette(opts.Color)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", p.bold.Sprint(r.Title), p.dim.Sprintf("(%s)", r.Exercise))
	if !r.Gradable() {
		fmt.Fprintf(&b, "%s\n\n%s\n", p.dim.Sprint(r.Submission), p.fail.Sprint("✘ ")+unreadableText(r))
		fmt.Fprintf(&b, "\nScore: %s/%s · %s\n", p.bold.Sprint("0"), num(r.MaxScore), p.fail.Sprint("not graded"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	engineLine := r.Engine.Kind + " engine, Redis " + r.Engine.Version
	if r.Engine.Emulator {
		engineLine = r.Engine.Kind + " engine, " + r.Engine.Version + ": an emulator, not a real Redis"
	}
	fmt.Fprintf(&b, "%s\n\n", p.dim.Sprintf("%s · %s", r.Submission, engineLine))

	for i, s := range r.Steps {
		mark, pts := p.pass.Sprint("✔"), p.pass.Sprintf("%s/%s", num(s.Score), num(s.MaxScore))
		if !s.Passed {
			mark, pts = p.fail.Sprint("✘"), p.fail.Sprintf("%s/%s", num(s.Score), num(s.MaxScore))
		}
		fmt.Fprintf(&b, "%s Step %d: %s %s %s\n", mark, i+1, s.Title, p.dim.Sprintf("(%s)", s.File), pts)
		for _, c := range s.Checks {
			switch {
			case !c.Passed:
				fmt.Fprintf(&b, "    %s %s\n", p.fail.Sprint("✘"), c.Name)
				writeIndented(&b, "        ", c.Message)
				// Say expected and actual unless the message already did.
				if (c.Expected != "" || c.Actual != "") && !strings.Contains(c.Message, c.Expected) {
					fmt.Fprintf(&b, "        %s %s\n", p.dim.Sprint("expected:"), c.Expected)
					fmt.Fprintf(&b, "        %s   %s\n", p.dim.Sprint("actual:"), c.Actual)
				}
			case opts.Verbose || c.Message != "":
				fmt.Fprintf(&b, "    %s %s\n", p.pass.Sprint("✔"), c.Name)
				if c.Message != "" {
					writeIndented(&b, "        ", p.dim.Sprint(c.Message))
				}
			}
		}
		// Cases repeat a step's checks; say each idea behind them once.
		seen := map[string]bool{}
		for _, c := range s.Checks {
			if !c.Passed && c.Why != "" && !seen[c.Why] {
				seen[c.Why] = true
				writeIndented(&b, "    ", p.hint.Sprint("why: ")+c.Why)
			}
		}
		if s.Note != "" {
			writeIndented(&b, "    ", p.dim.Sprint("note: "+s.Note))
		}
		if !s.Passed && s.Hint != "" {
			writeIndented(&b, "    ", p.hint.Sprint("hint: ")+s.Hint)
		}
	}

	verdict := p.pass.Sprint("all steps passed")
	if !r.Passed() {
		failed := 0
		for _, s := range r.Steps {
			if !s.Passed {
				failed++
			}
		}
		verdict = p.fail.Sprintf("%d of %d steps failed", failed, len(r.Steps))
	}
	fmt.Fprintf(&b, "\nScore: %s/%s · %s %s\n", p.bold.Sprint(num(r.Score)), num(r.MaxScore), verdict,
		p.dim.Sprintf("(%d ms)", r.DurationMS))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIndented(b *strings.Builder, indent, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(indent + line + "\n")
	}
}

// num prints points without a needless ".0".
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
