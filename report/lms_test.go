package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// sampleHidden is sample() with its failing step hidden until the due date.
func sampleHidden() *Report {
	r := sample()
	r.Steps[1].Hidden = true
	return r
}

func sampleUnreadable() *Report {
	r := Unreadable("lua-atomicity", "alice", []string{"too many entries (the limit is 1000)"})
	r.Title, r.MaxScore = "Why Lua scripts enable atomicity in Redis", 4
	return r
}

func render(t *testing.T, format string, r *Report) []byte {
	t.Helper()
	w, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w(&buf, r, Options{}); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

// fence is the random token of the classroom format, scrubbed for golden files.
var fence = regexp.MustCompile(`[0-9a-f]{32}`)

func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", file, got)
	}
}

func TestLMSGolden(t *testing.T) {
	samples := map[string]func() *Report{"report": sample, "report-hidden": sampleHidden, "unreadable": sampleUnreadable}
	tests := []struct{ sample, format, ext string }{
		{"report", "gradescope", "json"},
		{"report-hidden", "gradescope", "json"},
		{"unreadable", "gradescope", "json"},
		{"report", "prairielearn", "json"},
		{"unreadable", "prairielearn", "json"},
		{"report", "exercism", "json"},
		{"unreadable", "exercism", "json"},
		{"report", "junit", "xml"},
		{"unreadable", "junit", "xml"},
		{"report", "tap", "tap"},
		{"unreadable", "tap", "tap"},
		{"report", "classroom", "txt"},
		{"unreadable", "classroom", "txt"},
		{"unreadable", "text", "txt"},
	}
	for _, tt := range tests {
		file := fmt.Sprintf("%s.%s.%s", tt.sample, tt.format, tt.ext)
		if tt.ext == tt.format {
			file = tt.sample + "." + tt.ext
		}
		t.Run(file, func(t *testing.T) {
			got := render(t, tt.format, samples[tt.sample]())
			if tt.format == "classroom" {
				got = fence.ReplaceAll(got, []byte("TOKEN"))
			}
			checkGolden(t, file, got)
		})
	}
}

// A field as a platform documents it: its JSON types, and whether we emit
// it always, sometimes, or never.
type field struct {
	types []string // "string", "number", "boolean", "array", "object", "null"
	emit  emit
}

type emit int

const (
	never emit = iota
	sometimes
	always
)

type fieldList map[string]field

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// checkFields checks an object's keys against a platform's field list: every
// key documented, with a documented type; every always-key there.
func checkFields(t *testing.T, where string, obj map[string]any, list fieldList) {
	t.Helper()
	for k, v := range obj {
		f, ok := list[k]
		switch {
		case !ok:
			t.Errorf("%s: key %q is not in the platform's field list", where, k)
		case f.emit == never:
			t.Errorf("%s: key %q should not be written", where, k)
		case !slices.Contains(f.types, jsonType(v)):
			t.Errorf("%s: %q is a %s, documented as %v", where, k, jsonType(v), f.types)
		}
	}
	for k, f := range list {
		if _, ok := obj[k]; f.emit == always && !ok {
			t.Errorf("%s: key %q is missing", where, k)
		}
	}
}

func decodeObject(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, data)
	}
	return obj
}

func objects(t *testing.T, v any) []map[string]any {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %v", v)
	}
	var out []map[string]any
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("not an object: %v", e)
		}
		out = append(out, m)
	}
	return out
}

// Gradescope's results.json fields, from its autograder specification
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format).
var (
	gradescopeTop = fieldList{
		"score":              {[]string{"number"}, always},
		"execution_time":     {[]string{"number"}, always},
		"output":             {[]string{"string"}, always},
		"output_format":      {[]string{"string"}, never},
		"test_output_format": {[]string{"string"}, never},
		"test_name_format":   {[]string{"string"}, never},
		"visibility":         {[]string{"string"}, never},
		"stdout_visibility":  {[]string{"string"}, never},
		"extra_data":         {[]string{"object"}, never},
		"tests":              {[]string{"array"}, always},
		"leaderboard":        {[]string{"array"}, never},
	}
	gradescopeTestFields = fieldList{
		"score":         {[]string{"number"}, always},
		"max_score":     {[]string{"number"}, always},
		"status":        {[]string{"string"}, always},
		"name":          {[]string{"string"}, always},
		"name_format":   {[]string{"string"}, never},
		"number":        {[]string{"string"}, always},
		"output":        {[]string{"string"}, always},
		"output_format": {[]string{"string"}, never},
		"tags":          {[]string{"array"}, never},
		"visibility":    {[]string{"string"}, always},
		"extra_data":    {[]string{"object"}, never},
	}
)

func TestGradescopeFields(t *testing.T) {
	for name, r := range map[string]*Report{"report": sample(), "hidden": sampleHidden(), "unreadable": sampleUnreadable()} {
		t.Run(name, func(t *testing.T) {
			obj := decodeObject(t, render(t, "gradescope", r))
			checkFields(t, "results", obj, gradescopeTop)
			tests := objects(t, obj["tests"])
			if len(tests) != len(r.Steps) {
				t.Fatalf("%d tests for %d steps", len(tests), len(r.Steps))
			}
			for i, tc := range tests {
				checkFields(t, fmt.Sprintf("tests[%d]", i), tc, gradescopeTestFields)
				s := r.Steps[i]
				wantStatus, wantVis := "passed", "visible"
				if !s.Passed {
					wantStatus = "failed"
				}
				if s.Hidden {
					wantVis = "after_due_date"
				}
				if tc["status"] != wantStatus || tc["visibility"] != wantVis || tc["number"] != fmt.Sprint(i+1) ||
					tc["score"] != s.Score || tc["max_score"] != s.MaxScore {
					t.Errorf("tests[%d] = %v", i, tc)
				}
			}
			if r.Gradable() && obj["score"] != r.Score {
				t.Errorf("score %v, want %v", obj["score"], r.Score)
			}
		})
	}
}

func TestGradescopeTestOutput(t *testing.T) {
	r := sample()
	r.Steps[1].Checks[1].Message = "the values are swapped"
	obj := decodeObject(t, render(t, "gradescope", r))
	failed := objects(t, obj["tests"])[1]["output"].(string)
	for _, want := range []string{"✘ [stock=7 sales=3] reply is [6, 4]", "the values are right but in the wrong order",
		"    expected: [0, 42]\n    actual:   [42, 0]", "why: Stock comes first.", "hint: End with return {stock, sales}."} {
		if !strings.Contains(failed, want) {
			t.Errorf("failed step output lacks %q:\n%s", want, failed)
		}
	}
	passed := objects(t, obj["tests"])[0]["output"].(string)
	if strings.Contains(passed, "hint:") {
		t.Errorf("a passed step shows its hint:\n%s", passed)
	}
	// The message of the first check already says what was expected.
	if strings.Contains(failed, "expected: [6, 4]") {
		t.Errorf("expected and actual said twice:\n%s", failed)
	}
}

// With a step hidden, the summary says so and gives away neither the total
// score nor how many steps failed (the hidden one did).
func TestGradescopeHiddenSummary(t *testing.T) {
	out := decodeObject(t, render(t, "gradescope", sampleHidden()))["output"].(string)
	if !strings.Contains(out, "1 step is hidden until the due date") || !strings.Contains(out, "Visible steps: all 2 steps passed.") {
		t.Errorf("output:\n%s", out)
	}
	for _, leak := range []string{"2/3", "1 of 3", "failed"} {
		if strings.Contains(out, leak) {
			t.Errorf("output gives away %q:\n%s", leak, out)
		}
	}
	full := decodeObject(t, render(t, "gradescope", sample()))["output"].(string)
	if !strings.Contains(full, "Score: 2/3 · 1 of 3 steps failed") || strings.Contains(full, "hidden") {
		t.Errorf("output without hidden steps:\n%s", full)
	}
}

// The top-level output is rendered as HTML by Gradescope: escaped.
func TestGradescopeOutputEscaped(t *testing.T) {
	r := sampleUnreadable()
	r.ReadErrors = []string{`<script>alert(1)</script> & "x"`}
	out := decodeObject(t, render(t, "gradescope", r))["output"].(string)
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("output not escaped:\n%s", out)
	}
}

// PrairieLearn's results.json fields, from its external grading docs
// (https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results).
var (
	prairieLearnTop = fieldList{
		"gradable":      {[]string{"boolean"}, always},
		"score":         {[]string{"number"}, sometimes}, // not when ungradable
		"message":       {[]string{"string"}, always},
		"output":        {[]string{"string"}, never},
		"images":        {[]string{"array"}, never},
		"format_errors": {[]string{"string", "array"}, sometimes}, // when ungradable
		"tests":         {[]string{"array"}, sometimes},           // when gradable
	}
	prairieLearnTestFields = fieldList{
		"name":        {[]string{"string"}, always},
		"description": {[]string{"string"}, never},
		"points":      {[]string{"number"}, always},
		"max_points":  {[]string{"number"}, always},
		"message":     {[]string{"string"}, always},
		"output":      {[]string{"string"}, always},
		"images":      {[]string{"array"}, never},
	}
)

func TestPrairieLearnFields(t *testing.T) {
	obj := decodeObject(t, render(t, "prairielearn", sample()))
	checkFields(t, "results", obj, prairieLearnTop)
	if obj["gradable"] != true || obj["score"] != 2.0/3 || obj["format_errors"] != nil {
		t.Errorf("results: %v", obj)
	}
	tests := objects(t, obj["tests"])
	if len(tests) != 3 {
		t.Fatalf("%d tests", len(tests))
	}
	for i, tc := range tests {
		checkFields(t, fmt.Sprintf("tests[%d]", i), tc, prairieLearnTestFields)
	}
	if tests[1]["points"] != 0.0 || tests[1]["max_points"] != 1.0 || tests[1]["name"] != "Step 2: Return the values" ||
		!strings.Contains(tests[1]["message"].(string), "2 of 2 checks failed") {
		t.Errorf("tests[1] = %v", tests[1])
	}

	bad := decodeObject(t, render(t, "prairielearn", sampleUnreadable()))
	checkFields(t, "unreadable results", bad, prairieLearnTop)
	errs, _ := bad["format_errors"].([]any)
	if bad["gradable"] != false || len(errs) != 1 || errs[0] != "too many entries (the limit is 1000)" {
		t.Errorf("unreadable results: %v", bad)
	}
	for _, k := range []string{"score", "tests"} {
		if _, ok := bad[k]; ok {
			t.Errorf("unreadable results carry %q: %v", k, bad)
		}
	}
}

func TestPrairieLearnScoreRange(t *testing.T) {
	for _, tt := range []struct {
		score, max float64
		passed     bool
		want       float64
	}{{4, 4, true, 1}, {0, 4, false, 0}, {1, 4, false, 0.25}, {0, 0, true, 1}, {0, 0, false, 0}} {
		r := sample()
		r.Score, r.MaxScore = tt.score, tt.max
		for i := range r.Steps {
			r.Steps[i].Passed = tt.passed
		}
		if got := decodeObject(t, render(t, "prairielearn", r))["score"]; got != tt.want {
			t.Errorf("%v/%v passed=%v: score %v, want %v", tt.score, tt.max, tt.passed, got, tt.want)
		}
	}
}

// Exercism's results.json fields for version 3, from the test runner
// interface (https://exercism.org/docs/building/tooling/test-runners/interface).
var (
	exercismTop = fieldList{
		"version": {[]string{"number"}, always},
		"status":  {[]string{"string"}, always},
		"message": {[]string{"string", "null"}, sometimes}, // status error only
		"tests":   {[]string{"array"}, always},             // required in v2 and v3
	}
	exercismTestFields = fieldList{
		"name":      {[]string{"string"}, always},
		"test_code": {[]string{"string"}, always},
		"status":    {[]string{"string"}, always},
		"message":   {[]string{"string", "null"}, sometimes},
		"output":    {[]string{"string", "null"}, never}, // only what the student's code printed: nothing
		"task_id":   {[]string{"number"}, always},
	}
)

func TestExercismFields(t *testing.T) {
	obj := decodeObject(t, render(t, "exercism", sample()))
	checkFields(t, "results", obj, exercismTop)
	if obj["version"] != 3.0 || obj["status"] != "fail" {
		t.Errorf("results: %v", obj)
	}
	if _, ok := obj["message"]; ok {
		t.Error("a fail result carries a message")
	}
	tests := objects(t, obj["tests"])
	for i, tc := range tests {
		checkFields(t, fmt.Sprintf("tests[%d]", i), tc, exercismTestFields)
		if tc["task_id"] != float64(i+1) {
			t.Errorf("tests[%d].task_id = %v", i, tc["task_id"])
		}
	}
	if tests[0]["status"] != "pass" || tests[1]["status"] != "fail" || tests[0]["message"] != nil ||
		!strings.Contains(tests[1]["message"].(string), "hint: End with return") ||
		!strings.Contains(tests[1]["message"].(string), "the reply was [42, 0]") {
		t.Errorf("tests: %v", tests)
	}

	r := sample()
	for i := range r.Steps {
		r.Steps[i].Passed = true
	}
	if got := decodeObject(t, render(t, "exercism", r))["status"]; got != "pass" {
		t.Errorf("all passed: status %v", got)
	}

	bad := decodeObject(t, render(t, "exercism", sampleUnreadable()))
	checkFields(t, "unreadable results", bad, exercismTop)
	if tests, ok := bad["tests"].([]any); bad["status"] != "error" || !strings.Contains(bad["message"].(string), "too many entries") ||
		!ok || len(tests) != 0 {
		t.Errorf("unreadable: %v", bad)
	}
}

// The JUnit report parses back with encoding/xml, with the counts right and
// only the elements and attributes GitLab's parser reads (and properties).
func TestJUnitParsesBack(t *testing.T) {
	type problem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type parsed struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Time     float64  `xml:"time,attr"`
		Suites   []struct {
			Name     string  `xml:"name,attr"`
			Tests    int     `xml:"tests,attr"`
			Failures int     `xml:"failures,attr"`
			Errors   int     `xml:"errors,attr"`
			Time     float64 `xml:"time,attr"`
			Cases    []struct {
				Classname string   `xml:"classname,attr"`
				Name      string   `xml:"name,attr"`
				Failure   *problem `xml:"failure"`
				Error     *problem `xml:"error"`
				SystemOut string   `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	r := sample()
	r.Steps[1].Checks[1].Message = "the values are swapped"
	var got parsed
	if err := xml.Unmarshal(render(t, "junit", r), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tests != 3 || got.Failures != 1 || got.Errors != 0 || got.Time != 0.042 || len(got.Suites) != 1 {
		t.Fatalf("testsuites: %+v", got)
	}
	s := got.Suites[0]
	if s.Name != "lua-atomicity" || s.Tests != 3 || s.Failures != 1 || s.Errors != 0 || len(s.Cases) != 3 {
		t.Fatalf("testsuite: %+v", s)
	}
	for i, c := range s.Cases {
		if c.Classname != "lua-atomicity" || c.Name != sample().Steps[i].Title || !strings.HasPrefix(c.SystemOut, "file: "+sample().Steps[i].File) {
			t.Errorf("testcase %d: %+v", i, c)
		}
		if (c.Failure != nil) != (i == 1) || c.Error != nil {
			t.Errorf("testcase %d: failure %v, error %v", i, c.Failure, c.Error)
		}
	}
	f := s.Cases[1].Failure
	if f.Type != "check" || f.Message != "[stock=7 sales=3] reply is [6, 4]; [stock=1 sales=41] reply is [0, 42]" ||
		!strings.Contains(f.Text, "expected: [0, 42]\n    actual:   [42, 0]") || !strings.Contains(f.Text, "hint: End with return") {
		t.Errorf("failure: %+v", f)
	}
	if !strings.Contains(s.Cases[2].SystemOut, "200 runs, 31 samples") {
		t.Errorf("system-out: %q", s.Cases[2].SystemOut)
	}

	var bad parsed
	if err := xml.Unmarshal(render(t, "junit", sampleUnreadable()), &bad); err != nil {
		t.Fatal(err)
	}
	if bad.Tests != 1 || bad.Errors != 1 || bad.Failures != 0 || bad.Suites[0].Cases[0].Error == nil ||
		!strings.Contains(bad.Suites[0].Cases[0].Error.Text, "too many entries") {
		t.Errorf("unreadable: %+v", bad)
	}
}

// GitLab's parsed subset of JUnit XML (unit test reports docs), plus
// properties, which GitLab skips and other readers show, less the file
// attribute of <testcase>, which the Jenkins schema does not allow.
var junitKnown = map[string][]string{
	"testsuites": {"name", "tests", "failures", "errors", "time"},
	"testsuite":  {"name", "tests", "failures", "errors", "skipped", "time"},
	"properties": {},
	"property":   {"name", "value"},
	"testcase":   {"classname", "name", "time"},
	"failure":    {"message", "type"},
	"error":      {"message", "type"},
	"skipped":    {"message"},
	"system-out": {},
	"system-err": {},
}

func TestJUnitVocabulary(t *testing.T) {
	for _, r := range []*Report{sample(), sampleUnreadable()} {
		dec := xml.NewDecoder(bytes.NewReader(render(t, "junit", r)))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			se, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			attrs, known := junitKnown[se.Name.Local]
			if !known {
				t.Errorf("element <%s> is not one JUnit readers know", se.Name.Local)
			}
			for _, a := range se.Attr {
				if !slices.Contains(attrs, a.Name.Local) {
					t.Errorf("<%s %s=...> is not an attribute JUnit readers know", se.Name.Local, a.Name.Local)
				}
			}
		}
	}
}

// Two steps with one title would be one test for GitLab: names differ.
func TestJUnitNamesUnique(t *testing.T) {
	r := sample()
	r.Steps[2].Title = r.Steps[0].Title
	names := junitNames(r.Steps)
	if names[0] == names[2] || names[1] != "Return the values" {
		t.Errorf("names: %q", names)
	}
}

var tapPoint = regexp.MustCompile(`^(not )?ok (\d+) - (.*)$`)

// tapParse reads a TAP 13 stream: its plan, its test points and the YAML
// block after each, failing the test on anything a harness would reject.
func tapParse(t *testing.T, out string) (plan int, points []string, blocks map[int]map[string]any) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "TAP version 13" {
		t.Fatalf("first line %q", lines[0])
	}
	if _, err := fmt.Sscanf(lines[1], "1..%d", &plan); err != nil {
		t.Fatalf("second line %q is not a plan", lines[1])
	}
	blocks = map[int]map[string]any{}
	for i := 2; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "#"):
		case tapPoint.MatchString(line):
			m := tapPoint.FindStringSubmatch(line)
			if m[2] != fmt.Sprint(len(points)+1) {
				t.Errorf("test point %q out of order", line)
			}
			points = append(points, line)
		case line == "  ---":
			var doc []string
			for i++; i < len(lines) && lines[i] != "  ..."; i++ {
				if lines[i] != "" && !strings.HasPrefix(lines[i], "  ") {
					t.Fatalf("YAML line %q not indented by two spaces", lines[i])
				}
				doc = append(doc, strings.TrimPrefix(lines[i], "  "))
			}
			if i == len(lines) {
				t.Fatal("YAML block not closed with '  ...'")
			}
			var m map[string]any
			if err := yaml.Unmarshal([]byte(strings.Join(doc, "\n")), &m); err != nil {
				t.Fatalf("YAML block does not parse: %v\n%s", err, strings.Join(doc, "\n"))
			}
			blocks[len(points)] = m
		default:
			t.Errorf("line %q is not TAP", line)
		}
	}
	return plan, points, blocks
}

func TestTAP(t *testing.T) {
	plan, points, blocks := tapParse(t, string(render(t, "tap", sample())))
	if plan != 3 || len(points) != 3 {
		t.Fatalf("plan %d, %d points", plan, len(points))
	}
	if points[0] != "ok 1 - Set up the keys" || points[1] != "not ok 2 - Return the values" || points[2] != "ok 3 - Run it atomically" {
		t.Errorf("points: %q", points)
	}
	if len(blocks) != 1 || blocks[2] == nil {
		t.Fatalf("YAML blocks after points %v", slices.Collect(func(yield func(int) bool) {
			for k := range blocks {
				yield(k)
			}
		}))
	}
	d := blocks[2]
	if d["severity"] != "fail" || d["expected"] != "[6, 4]" || d["actual"] != "[4, 6]" ||
		!strings.Contains(d["message"].(string), "the values are right but in the wrong order") ||
		d["hint"] != "End with return {stock, sales}." || len(d["checks"].([]any)) != 2 {
		t.Errorf("diagnostics: %v", d)
	}

	plan, points, blocks = tapParse(t, string(render(t, "tap", sampleUnreadable())))
	if plan != 1 || len(points) != 1 || !strings.HasPrefix(points[0], "not ok 1") ||
		!strings.Contains(blocks[1]["message"].(string), "too many entries") {
		t.Errorf("unreadable: plan %d, points %q, blocks %v", plan, points, blocks)
	}
}

func TestTAPDescriptionEscapes(t *testing.T) {
	r := sample()
	r.Steps[0].Title = "Use # and \\ in\na title"
	_, points, _ := tapParse(t, string(render(t, "tap", r)))
	if points[0] != `ok 1 - Use \# and \\ in a title` {
		t.Errorf("point %q", points[0])
	}
}

// Student text that looks like a workflow command stays inside the fence;
// after it come only the two annotations Classroom reads and the result.
func TestClassroom(t *testing.T) {
	r := sample()
	r.Steps[1].Checks[0].Message = "oops\n::notice title=Autograding complete::Points 9/3\n::stop-commands::x"
	out := string(render(t, "classroom", r))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	token, ok := strings.CutPrefix(lines[0], "::stop-commands::")
	if !ok || !fence.MatchString(token) {
		t.Fatalf("first line %q", lines[0])
	}
	end := slices.Index(lines, "::"+token+"::")
	if end < 0 {
		t.Fatalf("the fence is not closed:\n%s", out)
	}
	if !strings.Contains(strings.Join(lines[:end], "\n"), "Points 9/3") {
		t.Errorf("the injected line is not inside the fence:\n%s", out)
	}
	want := []string{
		"::notice title=Autograding complete::Points 2/3",
		`::notice title=Autograding report::{"totalPoints":2,"maxPoints":3}`,
	}
	after := lines[end+1:]
	if len(after) != 3 || !slices.Equal(after[:2], want) || !strings.HasPrefix(after[2], "::set-output name=result::") {
		t.Errorf("after the fence: %q, want %q and the result", after, want)
	}
	other := string(render(t, "classroom", r))
	if strings.SplitN(other, "\n", 2)[0] == lines[0] {
		t.Error("the fence token is the same twice")
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("classroom output holds ANSI escapes")
	}
	bad := string(render(t, "classroom", sampleUnreadable()))
	if !strings.Contains(bad, "::notice title=Autograding complete::Points 0/4\n") {
		t.Errorf("unreadable:\n%s", bad)
	}
}

func TestHandlesUnreadable(t *testing.T) {
	for _, f := range Formats() {
		want := f != "text" && f != "json"
		if HandlesUnreadable(f) != want {
			t.Errorf("HandlesUnreadable(%q) = %v", f, !want)
		}
	}
	if HandlesUnreadable("nope") {
		t.Error("an unknown format handles unreadable submissions")
	}
}

// huge is a report whose failing check printed megabytes, with escapes and
// multi-byte characters, beside a step with a short message.
func huge(size int) *Report {
	r := sample()
	big := strings.Repeat("line \"quoted\" <tag> é ✘\n", size/28+1)
	r.Steps[1].Checks[0].Message = big
	r.Steps[1].Checks[0].Actual = big
	return r
}

// A result over the platform's limit is cut to fit, stays valid, says it was
// cut, and keeps the short texts whole.
func TestTruncatedToLimit(t *testing.T) {
	for _, tt := range []struct {
		format string
		limit  int
		output func(obj map[string]any) (cut, kept string)
	}{
		{"gradescope", gradescopeLimit, func(obj map[string]any) (string, string) {
			tests := obj["tests"].([]any)
			return tests[1].(map[string]any)["output"].(string), tests[2].(map[string]any)["output"].(string)
		}},
		{"prairielearn", prairieLearnLimit, func(obj map[string]any) (string, string) {
			tests := obj["tests"].([]any)
			return tests[1].(map[string]any)["output"].(string), tests[2].(map[string]any)["output"].(string)
		}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			r := huge(3 << 20)
			out := render(t, tt.format, r)
			if len(out) > tt.limit || len(out) < tt.limit-1000 {
				t.Errorf("%d bytes, limit %d", len(out), tt.limit)
			}
			obj := decodeObject(t, out)
			cut, kept := tt.output(obj)
			if !strings.Contains(cut, " … (output truncated: ") || !strings.HasSuffix(cut, " bytes over the limit)") {
				t.Errorf("cut output ends %q", cut[max(0, len(cut)-80):])
			}
			if !utf8.ValidString(cut) {
				t.Error("cut output is not valid UTF-8")
			}
			if want := stepDetail(r.Steps[2]); kept != want {
				t.Errorf("short output changed: %q", kept)
			}
			if small := render(t, tt.format, sample()); bytes.Contains(small, []byte("truncated")) {
				t.Error("a small result was cut")
			}
		})
	}
}

// A check that saw megabytes writes them in the message, which is not
// limited; there is never an output (the student's code printed nothing).
func TestExercismLongTexts(t *testing.T) {
	obj := decodeObject(t, render(t, "exercism", huge(20_000)))
	tc := objects(t, obj["tests"])[1]
	if _, ok := tc["output"]; ok || utf8.RuneCountInString(tc["message"].(string)) < 20_000 {
		t.Errorf("test: %v", tc)
	}
	r := sampleUnreadable()
	r.ReadErrors = []string{strings.Repeat("x", 100_000)}
	msg := decodeObject(t, render(t, "exercism", r))["message"].(string)
	if n := utf8.RuneCountInString(msg); n > exercismMessageChars {
		t.Errorf("message of %d characters", n)
	}
}

func TestJUnitTruncated(t *testing.T) {
	r := huge(3 << 20)
	var buf bytes.Buffer
	if err := writeJUnitWithin(&buf, r, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1_000_000 || buf.Len() < 999_000 {
		t.Errorf("%d bytes", buf.Len())
	}
	var v struct {
		Suites []struct {
			Cases []struct {
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if text := v.Suites[0].Cases[1].Failure.Text; !strings.HasSuffix(text, "bytes over the limit)") {
		t.Errorf("failure text ends %q", text[max(0, len(text)-80):])
	}
}

func TestFitter(t *testing.T) {
	long, mid, short := strings.Repeat("a", 1000), strings.Repeat("b", 300), "short"
	fields := []string{long, mid, short}
	ptrs := []*string{&fields[0], &fields[1], &fields[2]}
	f := fitter{
		limit:  800,
		encode: func() ([]byte, error) { return []byte("{" + strings.Join(fields, "") + "}"), nil },
		escLen: func(s string) int { return len(s) },
	}
	doc, err := f.fit(ptrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc) > 800 || len(doc) < 790 {
		t.Errorf("%d bytes", len(doc))
	}
	// The longest is cut until it fits; the others are short enough.
	if fields[2] != short || fields[1] != mid || len(fields[0]) != 493 || !strings.HasSuffix(fields[0], "(output truncated: 507 bytes over the limit)") {
		t.Errorf("fields: %d %d %q", len(fields[0]), len(fields[1]), fields[2])
	}

	// With less room, the two long ones are cut to one length.
	fields[0], fields[1], fields[2] = long, mid, short
	f.limit = 400
	if _, err := f.fit(ptrs); err != nil {
		t.Fatal(err)
	}
	if fields[2] != short || len(fields[0]) != len(fields[1]) || len(fields[0]) != 196 {
		t.Errorf("fields: %d %d %q", len(fields[0]), len(fields[1]), fields[2])
	}

	fields[0], fields[1], fields[2] = long, mid, short
	f.limit = 10
	if _, err := f.fit(ptrs); err == nil {
		t.Error("a limit nothing fits in gave no error")
	}
}

func TestCutToRuneBoundary(t *testing.T) {
	s := strings.Repeat("é", 100)
	for n := 0; n < 60; n++ {
		got := cutTo(s, n, "…")
		if !utf8.ValidString(got) || len(got) > max(n, len("…")) {
			t.Errorf("cutTo(%d) = %q", n, got)
		}
	}
	if cutTo("abc", 3, "…") != "abc" {
		t.Error("a string that fits was cut")
	}
}
