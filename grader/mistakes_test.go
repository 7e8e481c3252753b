package grader

import (
	"testing"

	"github.com/redisgrade/redisgrade/report"
)

// checkMistakes compares the known mistakes a graded example's steps carry
// with those its expected.yaml names: a failing step named there carries
// that mistake, and no other step carries one (a passing step never does,
// and a mistake no example expects is a wrong name until one says so).
func checkMistakes(t *testing.T, want expectation, rep *report.Report) {
	t.Helper()
	for _, st := range rep.Steps {
		got := ""
		if st.Mistake != nil {
			got = st.Mistake.ID
		}
		if st.Passed && got != "" {
			t.Errorf("step %s passed but carries the mistake %q", st.ID, got)
			continue
		}
		if got != want.Mistakes[st.ID] {
			t.Errorf("step %s carries the mistake %q, expected.yaml says %q (signature %s)", st.ID, got, want.Mistakes[st.ID], st.Signature)
		}
	}
}
