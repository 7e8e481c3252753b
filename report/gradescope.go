package report

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// Gradescope's results.json, as its autograder specification gives it
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
type gradescopeResults struct {
	Score float64 `json:"score"`
	// ExecutionTime is in seconds.
	ExecutionTime float64 `json:"execution_time"`
	// Output is shown above the tests, rendered as "simple_format" (HTML
	// with line breaks), so it is HTML-escaped.
	Output string           `json:"output"`
	Tests  []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name     string  `json:"name"`
	Number   string  `json:"number"` // a string in the spec ("1.1")
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Status   string  `json:"status"` // "passed" or "failed"
	// Output is shown in a <pre> block ("text" format): not escaped.
	Output     string `json:"output"`
	Visibility string `json:"visibility"` // "visible" or "after_due_date"
}

func writeGradescope(w io.Writer, r *Report, _ Options) error {
	res := gradescopeResults{ExecutionTime: float64(r.DurationMS) / 1000, Tests: []gradescopeTest{}}
	if !r.Gradable() {
		res.Output = html.EscapeString(headline(r) + "\n" + unreadableText(r) + "\nFix it and submit again.")
	} else {
		res.Score = r.Score
		res.Output = html.EscapeString(gradescopeSummary(r))
		for i, s := range r.Steps {
			t := gradescopeTest{
				Name: s.Title, Number: fmt.Sprint(i + 1),
				Score: s.Score, MaxScore: s.MaxScore,
				Status: "passed", Output: stepDetail(s), Visibility: "visible",
			}
			if !s.Passed {
				t.Status = "failed"
			}
			if s.Hidden {
				t.Visibility = "after_due_date"
			}
			res.Tests = append(res.Tests, t)
		}
	}
	fields := []*string{&res.Output}
	for i := range res.Tests {
		fields = append(fields, &res.Tests[i].Output)
	}
	doc, err := fitJSON(gradescopeLimit, &res, fields)
	if err != nil {
		return fmt.Errorf("gradescope results: %w", err)
	}
	_, err = w.Write(doc)
	return err
}

// gradescopeSummary is the text above the tests. With hidden steps it must
// not give away what they hide: Gradescope withholds the total score while
// tests are hidden, so the summary counts the visible steps only.
func gradescopeSummary(r *Report) string {
	var visible []Step
	hidden := 0
	for _, s := range r.Steps {
		if s.Hidden {
			hidden++
		} else {
			visible = append(visible, s)
		}
	}
	lines := []string{headline(r)}
	if hidden == 0 {
		lines = append(lines, scoreLine(r))
	} else {
		if len(visible) > 0 {
			lines = append(lines, "Visible steps: "+verdict(visible)+".")
		}
		if hidden == 1 {
			lines = append(lines, "1 step is hidden until the due date; its result, and with it your total score, will be shown after that.")
		} else {
			lines = append(lines, fmt.Sprintf("%d steps are hidden until the due date; their results, and with them your total score, will be shown after that.", hidden))
		}
	}
	if e := engineLine(r); e != "" {
		lines = append(lines, e)
	}
	for _, n := range r.Notes {
		lines = append(lines, "Left out of your submission: "+n)
	}
	return strings.Join(lines, "\n")
}
