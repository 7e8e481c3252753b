package report

import (
	"fmt"
	"io"
	"strings"
)

// PrairieLearn's external grading results.json
// (https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results).
type prairieLearnResults struct {
	// Gradable false marks the submission "invalid, not gradable": no points
	// are awarded or lost and the student is not charged an attempt.
	Gradable bool `json:"gradable"`
	// Score is from 0 to 1; not needed when the submission is not gradable.
	Score        *float64 `json:"score,omitempty"`
	Message      string   `json:"message"`
	FormatErrors []string `json:"format_errors,omitempty"`
	// Tests are rendered by <pl-external-grader-results>.
	Tests []prairieLearnTest `json:"tests,omitempty"`
}

type prairieLearnTest struct {
	Name      string  `json:"name"`
	Points    float64 `json:"points"`
	MaxPoints float64 `json:"max_points"`
	Message   string  `json:"message"`
	Output    string  `json:"output"`
}

func writePrairieLearn(w io.Writer, r *Report, _ Options) error {
	var res prairieLearnResults
	fields := []*string{&res.Message}
	if !r.Gradable() {
		res.Message = "Your submission could not be read, so it was not graded and no attempt was used. Fix it and submit again."
		res.FormatErrors = append([]string(nil), r.ReadErrors...)
		for i := range res.FormatErrors {
			fields = append(fields, &res.FormatErrors[i])
		}
	} else {
		res.Gradable = true
		score := 0.0
		switch {
		case r.MaxScore > 0:
			score = min(max(r.Score/r.MaxScore, 0), 1)
		case r.Passed():
			score = 1
		}
		res.Score = &score
		res.Message = scoreLine(r) + "."
		if e := engineLine(r); e != "" {
			res.Message += " " + e
		}
		for i, s := range r.Steps {
			t := prairieLearnTest{
				Name: stepName(i, s), Points: s.Score, MaxPoints: s.MaxScore,
				Message: prairieLearnStepMessage(s), Output: stepDetail(s),
			}
			res.Tests = append(res.Tests, t)
		}
		for i := range res.Tests {
			fields = append(fields, &res.Tests[i].Message, &res.Tests[i].Output)
		}
	}
	doc, err := fitJSON(prairieLearnLimit, &res, fields)
	if err != nil {
		return fmt.Errorf("prairielearn results: %w", err)
	}
	_, err = w.Write(doc)
	return err
}

// prairieLearnStepMessage is the line under a test's name: what passed, or
// which checks failed.
func prairieLearnStepMessage(s Step) string {
	if s.NotGradable {
		return "Not graded: this engine cannot grade this step (see the note)."
	}
	if s.Passed {
		if len(s.Checks) == 1 {
			return "The check passed."
		}
		return fmt.Sprintf("All %d checks passed.", len(s.Checks))
	}
	failing := failingNames(s)
	return fmt.Sprintf("%d of %d checks failed: %s.", len(failing), len(s.Checks), strings.Join(failing, "; "))
}
