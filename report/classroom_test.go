package report

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/redisgrade/redisgrade/internal/tiers"
	"github.com/redisgrade/redisgrade/report/reporttest"
)

// The runner result's keys, as classroom-resources/autograding-command-grader
// writes them (src/main.js, generateResult, at 7712c71).
var (
	classroomResultKeys = []string{"max_score", "status", "tests", "version"}
	classroomTestKeys   = []string{"duration", "filename", "line_no", "message", "name", "score", "status", "test_code"}
)

// decodeRunnerResult reads a result as autograding-grading-reporter does
// (src/main.js, parseRunnerResults): base64, then UTF-8 JSON.
func decodeRunnerResult(t *testing.T, encoded string) map[string]any {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("result is not base64: %v: %q", err, encoded)
	}
	return decodeObject(t, data)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// classroomResultOf renders the classroom format with a step output file
// and returns the log and the result decoded.
func classroomResultOf(t *testing.T, r *Report) (log string, res map[string]any) {
	t.Helper()
	var out, ghOutput bytes.Buffer
	if err := writeClassroom(&out, r, Options{GitHubOutput: &ghOutput}); err != nil {
		t.Fatal(err)
	}
	line, ok := strings.CutPrefix(ghOutput.String(), "result=")
	if !ok || strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("step output file: %q", ghOutput.String())
	}
	if strings.Contains(out.String(), "\n::set-output") {
		t.Errorf("the log sets the output too:\n%s", out.String())
	}
	return out.String(), decodeRunnerResult(t, strings.TrimSuffix(line, "\n"))
}

// The result decodes to what the grading reporter reads: the command
// grader's keys, a test per step, the tests' scores summing to the score
// (the points NotifyClassroom records), max_score the exercise's.
func TestClassroomResult(t *testing.T) {
	for _, tt := range []struct {
		name     string
		r        *Report
		status   string
		statuses []string
		score    float64
	}{
		{"graded", sample(), "fail", []string{"pass", "fail", "pass"}, 2},
		{"unreadable", sampleUnreadable(), "error", []string{"error"}, 0},
		{"all passed", func() *Report {
			r := sample()
			for i := range r.Steps {
				r.Steps[i].Passed, r.Steps[i].Score = true, 1
			}
			r.Score = 3
			return r
		}(), "pass", []string{"pass", "pass", "pass"}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, res := classroomResultOf(t, tt.r)
			if got := sortedKeys(res); !slices.Equal(got, classroomResultKeys) {
				t.Errorf("keys %q, want %q", got, classroomResultKeys)
			}
			if res["version"] != 1.0 || res["status"] != tt.status || res["max_score"] != tt.r.MaxScore {
				t.Errorf("result: %v", res)
			}
			tests := objects(t, res["tests"])
			var statuses []string
			total := 0.0
			for i, tc := range tests {
				if got := sortedKeys(tc); !slices.Equal(got, classroomTestKeys) {
					t.Errorf("tests[%d] keys %q, want %q", i, got, classroomTestKeys)
				}
				statuses = append(statuses, tc["status"].(string))
				total += tc["score"].(float64)
				if tt.r.Gradable() && (tc["name"] != stepName(i, tt.r.Steps[i]) || tc["filename"] != tt.r.Steps[i].File) {
					t.Errorf("tests[%d] = %v", i, tc)
				}
			}
			if !slices.Equal(statuses, tt.statuses) || total != tt.score {
				t.Errorf("statuses %q scoring %v, want %q scoring %v", statuses, total, tt.statuses, tt.score)
			}
		})
	}
	_, res := classroomResultOf(t, sample())
	failed := objects(t, res["tests"])[1]["message"].(string)
	if !strings.Contains(failed, "the values are right but in the wrong order") || !strings.Contains(failed, "hint: End with return") {
		t.Errorf("the failing test's message:\n%s", failed)
	}
}

// Without a step output file, the result is set as @actions/core does
// then: a set-output command, after the fenced report.
func TestClassroomResultInLog(t *testing.T) {
	out := string(render(t, "classroom", sample()))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	encoded, ok := strings.CutPrefix(lines[len(lines)-1], "::set-output name=result::")
	if !ok {
		t.Fatalf("last line %q", lines[len(lines)-1])
	}
	if res := decodeRunnerResult(t, encoded); res["status"] != "fail" {
		t.Errorf("result: %v", res)
	}
}

// The reporter prints each failing test's message to the workflow log
// unfenced: a student's line cannot be a workflow command there, nor a
// terminal escape.
func TestClassroomResultHoldsNoCommand(t *testing.T) {
	r := hostile()
	r.Steps[1].Checks[0].Message = "(error) oops\n::error title=x::pwned\n \u3000::add-mask::secret\nsee ##[set-output name=result;]x\n" + reporttest.Hostile
	for _, r := range []*Report{r, hostileUnreadable()} {
		_, res := classroomResultOf(t, r)
		for _, tc := range objects(t, res["tests"]) {
			msg := tc["message"].(string)
			if err := reporttest.CheckInert([]byte(msg), false); err != nil {
				t.Errorf("%s: %v", tc["name"], err)
			}
			for _, line := range strings.Split(msg, "\n") {
				if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
					t.Errorf("%s: a workflow command in the message: %q", tc["name"], line)
				}
			}
		}
	}
	_, res := classroomResultOf(t, r)
	msg := objects(t, res["tests"])[1]["message"].(string)
	for _, want := range []string{`\x3a:error title=x::pwned`, " \u3000\\x3a:add-mask::secret", `see \x23#[set-output`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestWorkflowEscapes(t *testing.T) {
	in := "50% done:\r\nnext, ::error::x"
	if got, want := workflowData(in), "50%25 done:%0D%0Anext, ::error::x"; got != want {
		t.Errorf("workflowData = %q, want %q", got, want)
	}
	if got, want := workflowProperty(in), "50%25 done%3A%0D%0Anext%2C %3A%3Aerror%3A%3Ax"; got != want {
		t.Errorf("workflowProperty = %q, want %q", got, want)
	}
}

// GitHub Classroom's grading reporter, its own code (testdata/grading-reporter),
// prints the result to the log: each step, the points, and no line a
// workflow command, however hostile the student's replies.
func TestClassroomResultReadByGradingReporter(t *testing.T) {
	node := tiers.Needs(t, "node", "apt-get install nodejs npm; this test runs GitHub Classroom's grading reporter on our output")
	if _, err := os.Stat(filepath.Join("..", "node_modules", "cli-table3", "package.json")); err != nil {
		tiers.Missing(t, "cli-table3, which the grading reporter needs, is not installed: run npm ci at the repository root (./test.sh does)")
	}
	r := hostile()
	r.Steps[1].Checks[0].Message = "oops\n::error title=x::pwned\n  ::add-mask::secret\nsee ##[error]x"
	for _, tt := range []struct {
		name string
		r    *Report
		want []string
	}{
		{"graded", r, []string{"🔄 Processing: redisgrade", "✅ Step 1: Set up the keys", "❌ Step 2: Return the values",
			"Test code:\nstep4.lua\n- [stock=7 sales=3] reply is [6, 4]", "Total points for redisgrade: 2.00/3", "Grand total tests passed: 2/3"}},
		{"unreadable", hostileUnreadable(), []string{"Error: Your submission could not be read, so nothing was graded:",
			"not a regular file", "Total points for redisgrade: 0.00/4"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := classroomResult(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(node, filepath.Join("testdata", "grading-reporter", "run.js"))
			cmd.Env = append(os.Environ(), "RUNNERS=redisgrade", "REDISGRADE_RESULTS="+encoded)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the grading reporter: %v\n%s", err, out)
			}
			log := string(out)
			for _, want := range tt.want {
				if !strings.Contains(log, want) {
					t.Errorf("the log lacks %q:\n%s", want, log)
				}
			}
			for _, line := range strings.Split(log, "\n") {
				if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
					t.Errorf("a workflow command in the log: %q", line)
				}
			}
			// The reporter's own colours, and nothing of the student's.
			if err := reporttest.CheckInert(out, true); err != nil {
				t.Errorf("%v\n%s", err, log)
			}
		})
	}
}
