package grader

import (
	"errors"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// signature is a failing step's failure signature, built case by case: for
// each case run, which of its checks failed (by their place in the case:
// 0 is the grader's no-errors check, then the spec's in order) and the
// shape of what each saw (checks.Shape). Two submissions with the same
// signature failed the step the same way, whatever text they wrote: it is
// what known mistakes are recognised by (see mistakes.go).
type signature struct{ cases []string }

func (s *signature) addCase(i int, results []report.Check) {
	var failed []string
	for j, r := range results {
		if !r.Passed {
			failed = append(failed, strconv.Itoa(j)+":"+r.Shape)
		}
	}
	part := "ok"
	if len(failed) > 0 {
		part = strings.Join(failed, "; ")
	}
	s.cases = append(s.cases, "case "+strconv.Itoa(i+1)+" {"+part+"}")
}

func (s *signature) String() string { return strings.Join(s.cases, " ") }

// fileShape says why a step's file could not be used, as a signature.
func fileShape(err error) string {
	var fe *submissions.FileError
	if errors.As(err, &fe) {
		return "file " + fe.Reason
	}
	return "file unreadable"
}
