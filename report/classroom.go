package report

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/redisgrade/redisgrade/internal/words"
)

// GitHub Classroom: the text report for the workflow log, then the two
// annotations Classroom's autograding reads for the points, exactly as its
// grading reporter writes them (classroom-resources/autograding-grading-
// reporter, src/notify-classroom.js): a notice "Points 3/4" titled
// "Autograding complete", and a notice {"totalPoints":3,"maxPoints":4}
// titled "Autograding report". Outside GitHub Actions they are two plain
// lines. The exit code still tells whether every step passed.
//
// The text report quotes the student's own replies and errors, which could
// hold a line such as "::notice title=Autograding complete::Points 9/4".
// GitHub runs no workflow command between "::stop-commands::TOKEN" and
// "::TOKEN::", and the token is random, so the report is fenced with them.
//
// Last comes the step output "result" that the official command grader
// (classroom-resources/autograding-command-grader) writes, so that the grading
// reporter can add redisgrade's points to other graders' in one assignment:
// base64 of {version, status, max_score, tests}, appended to $GITHUB_OUTPUT
// as result=... (see Options.GitHubOutput).
func writeClassroom(w io.Writer, r *Report, opts Options) error {
	var b strings.Builder
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return err
	}
	fence := hex.EncodeToString(token)
	fmt.Fprintf(&b, "::stop-commands::%s\n", fence)
	opts.Color = false
	if err := writeText(&b, r, opts); err != nil {
		return err
	}
	fmt.Fprintf(&b, "::%s::\n", fence)
	score := r.Score
	if !r.Gradable() {
		score = 0
	}
	summary, err := json.Marshal(struct {
		TotalPoints float64 `json:"totalPoints"`
		MaxPoints   float64 `json:"maxPoints"`
	}{score, r.MaxScore})
	if err != nil {
		return err
	}
	fmt.Fprintf(&b, "::notice title=%s::%s\n", workflowProperty("Autograding complete"), workflowData(fmt.Sprintf("Points %s/%s", words.Number(score), words.Number(r.MaxScore))))
	fmt.Fprintf(&b, "::notice title=%s::%s\n", workflowProperty("Autograding report"), workflowData(string(summary)))
	result, err := classroomResult(r)
	if err != nil {
		return err
	}
	if opts.GitHubOutput == nil {
		fmt.Fprintf(&b, "::set-output name=result::%s\n", result)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if opts.GitHubOutput != nil {
		if _, err := fmt.Fprintf(opts.GitHubOutput, "result=%s\n", result); err != nil {
			return fmt.Errorf("write the step output result: %w", err)
		}
	}
	return nil
}

// classroomRunResult is the runner result the command grader writes
// (src/main.js, generateResult), one test per step. The grading reporter
// sums the tests' scores for the points Classroom records, adds up
// max_score across graders, fails the workflow on a status other than
// "pass", and prints each failing test's name and message to the log.
type classroomRunResult struct {
	Version  int             `json:"version"`
	Status   string          `json:"status"` // "pass", "fail" or "error"
	MaxScore float64         `json:"max_score"`
	Tests    []classroomTest `json:"tests"`
}

type classroomTest struct {
	Name     string  `json:"name"`
	Status   string  `json:"status"`
	Score    float64 `json:"score"`
	Message  string  `json:"message"`
	TestCode string  `json:"test_code"`
	Filename string  `json:"filename"`
	LineNo   int     `json:"line_no"`
	Duration int64   `json:"duration"`
}

// classroomResult is the runner result, base64-encoded as the command grader
// encodes it. The reporter prints messages and test code to the log without a
// fence: they hold no workflow command.
func classroomResult(r *Report) (string, error) {
	p := r.Printable()
	res := classroomRunResult{Version: 1, Status: "pass", MaxScore: p.MaxScore, Tests: []classroomTest{}}
	if !p.Gradable() {
		res.Status = "error"
		res.Tests = append(res.Tests, classroomTest{
			Name: "read the submission", Status: "error", Message: noWorkflowCommands(unreadableText(p)),
			Filename: p.Submission, Duration: p.DurationMS,
		})
	}
	for i, s := range p.Steps {
		t := classroomTest{
			Name: stepName(i, s), Status: "pass", Score: s.Score, Message: noWorkflowCommands(stepDetail(s)),
			TestCode: noWorkflowCommands(exercismTestCode(s)), Filename: s.File,
		}
		switch {
		case s.NotGradable:
			t.Status = "error"
			if res.Status == "pass" {
				res.Status = "error"
			}
		case !s.Passed:
			t.Status = "fail"
			res.Status = "fail"
		}
		res.Tests = append(res.Tests, t)
	}
	data, err := json.Marshal(res)
	if err != nil {
		return "", fmt.Errorf("classroom result: %w", err)
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

// noWorkflowCommands keeps text that GitHub's runner reads line by line from
// holding a workflow command: a line that starts with "::" after its leading
// white space (the runner trims it), or a legacy "##[" anywhere. Their first
// character is shown as an escape.
func noWorkflowCommands(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		body := strings.TrimLeftFunc(line, unicode.IsSpace)
		if strings.HasPrefix(body, "::") {
			line = line[:len(line)-len(body)] + `\x3a` + body[1:]
		}
		lines[i] = strings.ReplaceAll(line, "##[", `\x23#[`)
	}
	return strings.Join(lines, "\n")
}

// workflowData escapes a workflow command's message, and workflowProperty
// the value of one of its properties (title=...), as GitHub's runner reads
// them (actions/toolkit, command.ts: escapeData and escapeProperty).
func workflowData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func workflowProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
