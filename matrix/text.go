package matrix

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
)

// marks are how the table shows each verdict.
var marks = map[string]string{Pass: "✔ pass", Fail: "✘ fail", NotGraded: "– not graded", Refused: "refused", Error: "error"}

// whyChars bounds a reason in the list of disagreements: one line each.
const whyChars = 160

// WriteText writes the table: a row per step, a column per server, ≠ where the servers that graded the
// step disagree; then where and why they disagree, what was refused or failed, and each server's score.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n", report.Visible(r.Title), r.Exercise)
	fmt.Fprintf(&b, "%s, on %s\n\n", report.VisibleLine(r.Submission), words.Count(len(r.Columns), "server"))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	header := []string{"step"}
	for _, c := range r.Columns {
		header = append(header, report.VisibleLine(c.Label))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, s := range r.Steps {
		cells := []string{fmt.Sprintf("%d %s", i+1, s.ID)}
		for _, v := range s.Verdicts {
			cells = append(cells, marks[v])
		}
		if !s.Agree {
			cells = append(cells, "≠")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	r.writeFindings(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFindings says where the servers disagree and why, which could not grade, and the scores.
func (r *Result) writeFindings(b *strings.Builder) {
	graded := 0
	for _, c := range r.Columns {
		if c.Report != nil {
			graded++
		}
	}
	switch {
	case graded < 2:
		fmt.Fprintf(b, "%s graded it: nothing to compare.\n", words.Count(graded, "server"))
	case !r.Disagree():
		b.WriteString("The servers that graded it agree on every step.\n")
	default:
		b.WriteString("≠ The servers disagree:\n")
		for i, s := range r.Steps {
			if s.Agree {
				continue
			}
			fmt.Fprintf(b, "  step %d (%s):\n", i+1, s.ID)
			for j, v := range s.Verdicts {
				if v == Refused || v == Error {
					continue // said below
				}
				line := fmt.Sprintf("    %s on %s", v, report.VisibleLine(r.Columns[j].Label))
				if why := s.Why[j]; why != "" {
					line += ": " + clip.Text(report.VisibleLine(why), whyChars)
				}
				b.WriteString(line + "\n")
			}
		}
	}
	for _, c := range r.Columns {
		switch {
		case c.Refused != "":
			fmt.Fprintf(b, "%s: refused, the exercise %s.\n", report.VisibleLine(c.Label), c.Refused)
		case c.Error != "":
			fmt.Fprintf(b, "%s: could not grade: %s\n", report.VisibleLine(c.Label), clip.Text(report.VisibleLine(c.Error), 400))
		}
	}
	var scores []string
	for _, c := range r.Columns {
		if c.Report != nil {
			scores = append(scores, fmt.Sprintf("%s %s/%s", report.VisibleLine(c.Label), words.Number(c.Report.Score), words.Number(c.Report.MaxScore)))
		}
	}
	if len(scores) > 0 {
		fmt.Fprintf(b, "Scores: %s\n", strings.Join(scores, " · "))
	}
}

// WriteJSON writes the whole result: every server's engine and report, and the table.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
