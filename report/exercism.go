package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Exercism's test runner results, version 3
// (https://exercism.org/docs/building/tooling/test-runners/interface).
type exercismResults struct {
	Version int `json:"version"`
	// Status is "pass" (every test passed), "fail" (some test failed) or
	// "error" (no test could run: here, an unreadable submission).
	Status string `json:"status"`
	// Message is set for "error" only.
	Message string `json:"message,omitempty"`
	// Tests is required in versions 2 and 3, and is there (empty) for
	// "error" too.
	Tests []exercismTest `json:"tests"`
}

type exercismTest struct {
	Name string `json:"name"`
	// TestCode says what the test checks: the file and its checks.
	TestCode string `json:"test_code"`
	Status   string `json:"status"` // "pass" or "fail"
	// Message is what a student reads when the test fails: the grader's
	// text, with the replies and values it saw. There is no "output": it
	// holds only what the student's code printed itself, and commands and
	// Lua scripts print nothing a grader sees (Lua's print goes to the
	// server's own log).
	Message string `json:"message,omitempty"`
	// TaskID links the test to the exercise's task: the step number, from 1.
	TaskID int `json:"task_id"`
}

func writeExercism(w io.Writer, r *Report, _ Options) error {
	res := exercismResults{Version: 3, Status: "pass", Tests: []exercismTest{}}
	if !r.Gradable() {
		res.Status = "error"
		res.Message = cutChars(unreadableText(r), exercismMessageChars)
	} else {
		if !r.Passed() {
			res.Status = "fail"
		}
		for i, s := range r.Steps {
			t := exercismTest{Name: stepName(i, s), TestCode: exercismTestCode(s), Status: "pass", TaskID: i + 1}
			if !s.Passed {
				t.Status = "fail"
				t.Message = stepDetail(s)
			}
			res.Tests = append(res.Tests, t)
		}
	}
	return newJSONEncoder(w).Encode(&res)
}

// cutChars keeps s within n characters, saying how many were over.
func cutChars(s string, n int) string {
	over := utf8.RuneCountInString(s) - n
	if over <= 0 {
		return s
	}
	return cutRunes(s, n, fmt.Sprintf(" … (output truncated: %d characters over the limit)", over))
}

// exercismTestCode lists the file a step runs and the checks it makes.
func exercismTestCode(s Step) string {
	var b strings.Builder
	b.WriteString(s.File)
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "\n- %s", c.Label())
	}
	return b.String()
}
