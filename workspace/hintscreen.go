package workspace

import (
	"fmt"
	"io"
	"strings"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
)

// RenderHints writes the hints of step i.
func RenderHints(out io.Writer, i int, step *exercises.Step, h HintResult, colour bool) error {
	p := report.NewPalette(colour)
	var b strings.Builder
	// The spec's text is shown as student text is: its escapes visibly.
	fmt.Fprintf(&b, "%s %s\n\n", p.Bold.Sprintf("Step %d: %s", i+1, report.VisibleLine(step.Title)), p.Dim.Sprintf("(%s)", report.VisibleLine(step.File)))
	if h.Total == 0 {
		fmt.Fprintf(&b, "%s\n", strings.Join(words.Wrap("This step has no hints. Run redisgrade check to see what is expected and what your file does.", textWidth), "\n"))
		_, err := io.WriteString(out, b.String())
		return err
	}
	if !h.Fresh {
		if h.Total == 1 {
			b.WriteString(p.Hint.Sprint("No more hints for this step: you have seen its only hint. Here it is again:") + "\n\n")
		} else {
			b.WriteString(p.Hint.Sprintf("No more hints for this step: you have seen all %d. Here they are again:", h.Total) + "\n\n")
		}
	}
	for n, text := range h.Hints {
		label := fmt.Sprintf("Hint %d of %d:", n+1, h.Total)
		style := p.Dim
		if n == len(h.Hints)-1 && h.Fresh {
			style = p.Hint
		}
		fmt.Fprintf(&b, "%s\n", style.Sprint(label))
		for _, line := range words.Wrap(report.Visible(text), textWidth-4) {
			fmt.Fprintf(&b, "    %s\n", line)
		}
		b.WriteString("\n")
	}
	closing := "That is every hint for this step. Run redisgrade check to see what is expected and what your file does."
	if left := h.Total - len(h.Hints); left > 0 {
		closing = fmt.Sprintf("Still stuck? Run redisgrade hint again for the next one (%d more).", left)
	}
	fmt.Fprintf(&b, "%s\n", strings.Join(words.Wrap(closing, textWidth), "\n"))
	_, err := io.WriteString(out, b.String())
	return err
}
