package grader

import (
	"errors"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/submissions"
)

// signature is a failing step's account of how it failed, built case by
// case, in two grains. The signature (String) lists, for each case run,
// which of its checks failed (by their place in the case: 0 is the
// grader's no-errors check, then the spec's in order) and the shape of what
// each saw (checks.Shape): coarse, so that a class's answers that fail
// alike group together in its report. The fingerprint adds what each
// failing check saw where it is small (checks.Detail): two answers with the
// same fingerprint behaved alike on every check of every case, value for
// value, and only then is a student's step named a known mistake (see
// mistakes.go). Neither holds anything that varies between runs of the same
// answer, nor the commands' names: the same mistake is made with MSET as
// with two SETs. A run that left anything to chance (a SCAN page, a random
// member: checks.Env.ByChance) is described only by what every server
// process agrees on.
type signature struct{ cases, fine []string }

func (s *signature) addCase(i int, results []checkResult) {
	var failed, fine []string
	for j, r := range results {
		if !r.Passed {
			failed = append(failed, strconv.Itoa(j)+":"+r.shape)
			fine = append(fine, strconv.Itoa(j)+":"+r.shape+"|"+r.detail)
		}
	}
	part, finePart := "ok", "ok"
	if len(failed) > 0 {
		part, finePart = strings.Join(failed, "; "), strings.Join(fine, "; ")
	}
	name := "case " + strconv.Itoa(i+1)
	s.cases = append(s.cases, name+" {"+part+"}")
	s.fine = append(s.fine, name+" {"+finePart+"}")
}

func (s *signature) String() string { return strings.Join(s.cases, " ") }

func (s *signature) fingerprint() string { return strings.Join(s.fine, " ") }

// fileShape says why a step's file could not be used, as a signature.
func fileShape(err error) string {
	var fe *submissions.FileError
	if errors.As(err, &fe) {
		return "file " + fe.Reason
	}
	return "file unreadable"
}
