package report

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
)

// sampleStatuses has a step of every status a step can have: passed,
// failed, hidden (and passed: a hidden step's points count, shown or not)
// and not graded (the emulator cannot grade it: no checks, no score).
func sampleStatuses() *Report {
	r := sample()
	r.Steps[2].Hidden = true
	r.Steps = append(r.Steps, Step{
		ID: "functions", Title: "Sell with a Redis Function", File: "step5.lua", MaxScore: 1,
		Hint:        "FUNCTION LOAD takes the library's code.",
		NotGradable: true,
		Note:        "not graded: this engine (miniredis v2.40.0) runs no Redis Functions: grade with the process or docker engine",
	})
	r.MaxScore = 4
	r.Engine = Engine{Kind: "embedded", Server: "miniredis", Version: "miniredis v2.40.0", Emulator: true, Note: "an emulator: replies may differ from a real Redis"}
	return r
}

// Every writer renders every status, as its golden file shows: statuses.*.
func TestStatusesGolden(t *testing.T) {
	for _, tt := range []struct{ format, ext string }{
		{"text", "txt"}, {"json", "json"}, {"gradescope", "json"}, {"prairielearn", "json"},
		{"exercism", "json"}, {"junit", "xml"}, {"tap", "tap"}, {"classroom", "txt"},
	} {
		file := "statuses." + tt.format + "." + tt.ext
		t.Run(file, func(t *testing.T) {
			got := render(t, tt.format, sampleStatuses())
			if tt.format == "classroom" {
				got = fence.ReplaceAll(got, []byte("TOKEN"))
			}
			checkGolden(t, file, got)
		})
	}
}

// Gradescope's top-level score is the whole score, a hidden step's points
// included: Gradescope itself withholds it from the student until the due
// date, and a score without them would be the wrong grade after it.
func TestGradescopeScoreCountsHiddenSteps(t *testing.T) {
	r := sampleStatuses() // the hidden step passed, worth 1 of the 2 points scored
	obj := decodeObject(t, render(t, "gradescope", r))
	if obj["score"] != 2.0 {
		t.Errorf("score %v, want 2: the hidden step's point counts", obj["score"])
	}
	tests := objects(t, obj["tests"])
	for i, want := range []struct {
		status, visibility string
		score              float64
	}{{"passed", "visible", 1}, {"failed", "visible", 0}, {"passed", "after_due_date", 1}, {"failed", "visible", 0}} {
		if tc := tests[i]; tc["status"] != want.status || tc["visibility"] != want.visibility || tc["score"] != want.score {
			t.Errorf("tests[%d] = %v, want %+v", i, tc, want)
		}
	}
	if out := tests[3]["output"].(string); !strings.Contains(out, "not graded: this engine") {
		t.Errorf("the step not graded does not say so:\n%s", out)
	}
}

// The TAP plan counts every step, the one that could not be graded too: it
// is a test point ("not ok", saying why), so plan and points agree.
func TestTAPPlanCountsStepsNotGraded(t *testing.T) {
	plan, points, blocks := tapParse(t, string(render(t, "tap", sampleStatuses())))
	if plan != 4 || len(points) != 4 {
		t.Fatalf("plan 1..%d and %d points, want 4 and 4: %q", plan, len(points), points)
	}
	want := []string{"ok 1 - Set up the keys", "not ok 2 - Return the values", "ok 3 - Run it atomically", "not ok 4 - Sell with a Redis Function"}
	for i := range want {
		if points[i] != want[i] {
			t.Errorf("point %d: %q, want %q", i+1, points[i], want[i])
		}
	}
	if d := blocks[4]; d == nil || d["message"] != "not graded on this engine" || !strings.Contains(fmt.Sprint(d["note"]), "not graded: this engine") || d["hint"] != nil {
		t.Errorf("the step not graded: diagnostics %v", d)
	}
}

// What each of the other writers says of each status.
func TestWritersSayEachStatus(t *testing.T) {
	r := sampleStatuses()
	text := string(render(t, "text", r))
	for _, want := range []string{"✔ Step 1: Set up the keys", "✘ Step 2: Return the values", "✔ Step 3: Run it atomically",
		"– Step 4: Sell with a Redis Function (step5.lua) not graded, of 1", "not graded: this engine",
		"Score: 2/4 · 1 of 4 steps failed · 1 of 4 steps not graded on this engine"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "FUNCTION LOAD takes") {
		t.Errorf("text gives the hint of a step not graded:\n%s", text)
	}

	pl := decodeObject(t, render(t, "prairielearn", r))
	plTests := objects(t, pl["tests"])
	if pl["score"] != 0.5 || len(plTests) != 4 || plTests[2]["points"] != 1.0 || plTests[3]["points"] != 0.0 {
		t.Errorf("prairielearn: score %v, tests %v", pl["score"], plTests)
	}
	if msg := plTests[3]["message"].(string); !strings.HasPrefix(msg, "Not graded") {
		t.Errorf("prairielearn: the step not graded says %q", msg)
	}
	if msg := pl["message"].(string); !strings.HasPrefix(msg, "Score: 2/4 · 1 of 4 steps failed · 1 of 4 steps not graded on this engine.") {
		t.Errorf("prairielearn: %q", msg)
	}

	for _, format := range []string{"gradescope", "exercism", "junit", "tap", "classroom", "prairielearn"} {
		if out := string(render(t, format, r)); strings.Contains(out, "FUNCTION LOAD takes") {
			t.Errorf("%s gives the hint of a step not graded (nothing was found wrong):\n%s", format, out)
		}
	}

	ex := decodeObject(t, render(t, "exercism", r))
	exTests := objects(t, ex["tests"])
	if ex["status"] != "fail" || len(exTests) != 4 || exTests[2]["status"] != "pass" || exTests[3]["status"] != "fail" ||
		!strings.Contains(exTests[3]["message"].(string), "not graded: this engine") {
		t.Errorf("exercism: status %v, tests %v", ex["status"], exTests)
	}

	var junit junitSuites
	if err := xml.Unmarshal(render(t, "junit", r), &junit); err != nil {
		t.Fatal(err)
	}
	cases := junit.Suites[0].Cases
	if junit.Tests != 4 || junit.Failures != 2 || len(cases) != 4 || cases[2].Failure != nil || cases[3].Failure == nil ||
		cases[3].Failure.Message != "not graded on this engine" || !strings.Contains(cases[3].Failure.Text, "not graded: this engine") {
		t.Errorf("junit: %d tests, %d failures, cases %+v", junit.Tests, junit.Failures, cases)
	}

	_, res := classroomResultOf(t, r)
	tests := res["tests"].([]any)
	statuses := []string{}
	for _, tc := range tests {
		statuses = append(statuses, tc.(map[string]any)["status"].(string))
	}
	if res["status"] != "fail" || fmt.Sprint(statuses) != "[pass fail pass error]" {
		t.Errorf("classroom: status %v, tests %v", res["status"], statuses)
	}

	js := decodeObject(t, render(t, "json", r))
	steps := objects(t, js["steps"])
	if steps[2]["hidden"] != true || steps[3]["not_gradable"] != true || steps[0]["hidden"] != nil || js["score"] != 2.0 {
		t.Errorf("json: score %v, steps %v", js["score"], steps)
	}
}

// A report whose only step short of a pass is one not graded has not
// passed, in any writer: it is no grade (the CLI exits 3).
func TestNotGradedAloneIsNoPass(t *testing.T) {
	r := sampleStatuses()
	r.Steps[1].Passed, r.Steps[1].Score, r.Score = true, 1, 3
	if ex := decodeObject(t, render(t, "exercism", r)); ex["status"] != "fail" {
		t.Errorf("exercism: status %v, want fail", ex["status"])
	}
	if _, res := classroomResultOf(t, r); res["status"] != "error" {
		t.Errorf("classroom: status %v, want error", res["status"])
	}
	if pl := decodeObject(t, render(t, "prairielearn", r)); pl["score"] != 0.75 || !strings.HasPrefix(pl["message"].(string), "Score: 3/4 · 1 of 4 steps not graded on this engine.") {
		t.Errorf("prairielearn: score %v, message %q", pl["score"], pl["message"])
	}
	var junit junitSuites
	if err := xml.Unmarshal(render(t, "junit", r), &junit); err != nil {
		t.Fatal(err)
	}
	if junit.Failures != 1 {
		t.Errorf("junit: %d failures, want 1", junit.Failures)
	}
	if _, points, _ := tapParse(t, string(render(t, "tap", r))); points[3] != "not ok 4 - Sell with a Redis Function" {
		t.Errorf("tap: %q", points)
	}
	if text := string(render(t, "text", r)); !strings.Contains(text, "Score: 3/4 · 1 of 4 steps not graded on this engine") {
		t.Errorf("text:\n%s", text)
	}
}
