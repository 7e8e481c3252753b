package batch

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/report/reporttest"
)

// TestFeedbackShowsControlsAsEscapes: feedback.md is a file an instructor
// may cat; what a student's commands got back cannot drive the terminal.
func TestFeedbackShowsControlsAsEscapes(t *testing.T) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	h := reporttest.Hostile
	r := &Result{
		Student: "ana" + h, Status: StatusGraded, Notes: []string{"skipped " + h},
		Report: &report.Report{Exercise: ex.ID, MaxScore: 1, Steps: []report.Step{{
			ID: "setup", Title: "Setup", File: "step1.redis", MaxScore: 1, Keyspace: "stock = " + h, Note: h,
			Checks: []report.Check{{Name: "key stock", Message: "got " + h, Expected: "100", Actual: h}},
		}}},
	}
	var out bytes.Buffer
	if err := writeFeedback(&out, ex, r); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.CheckInert(out.Bytes(), false); err != nil {
		t.Errorf("feedback.md: %v", err)
	}
	if !strings.Contains(out.String(), `\x1b[2J`) {
		t.Errorf("the escape should show as text:\n%s", out.String())
	}

	failed := &Result{Student: "bob", Status: StatusError, ErrorKind: ErrorSubmission, Error: "bad entry " + h}
	out.Reset()
	if err := writeFeedback(&out, ex, failed); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.CheckInert(out.Bytes(), false); err != nil {
		t.Errorf("feedback.md of an unreadable submission: %v", err)
	}
}
