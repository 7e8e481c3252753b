package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/tiers"
	"github.com/redisgrade/redisgrade/internal/words"
)

// The programs that read our outputs, run for real on them: prove and Perl's
// TAP::Parser (TAP::Harness 3.44 on Debian 12), node's tap-parser in strict
// mode, and xmllint with the Jenkins JUnit schema.

// tapCase is one TAP output and the report it was written from.
type tapCase struct {
	name string
	tap  []byte
	rep  *Report
}

// tapCases are the golden files as they are on disk (a step of every
// status among them), and outputs for an all-passed report, titles with
// TAP's special characters, and students' control characters and bytes that
// are not UTF-8.
func tapCases(t *testing.T) []tapCase {
	t.Helper()
	var cases []tapCase
	for file, rep := range map[string]*Report{"report.tap": sample(), "unreadable.tap": sampleUnreadable(), "statuses.tap.tap": sampleStatuses()} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tapCase{"golden " + file, data, rep})
	}
	passed := sample()
	for i := range passed.Steps {
		passed.Steps[i].Passed = true
	}
	special := sample()
	special.Steps[0].Title = `Use # and \ and "quotes" in a title # TODO not a directive`
	special.Steps[1].Title = "a # SKIP that is not one"
	multiline := sample()
	multiline.Steps[1].Checks[0].Message = "line one\n  indented: [1, 2]\n- not a list\n\n...\n---\ntrailing space "
	multiline.Steps[1].Hint = "'single' \"double\" \\ back"
	for name, r := range map[string]*Report{"all passed": passed, "special titles": special, "multi-line": multiline,
		"hostile": hostile(), "hostile unreadable": hostileUnreadable()} {
		cases = append(cases, tapCase{name, render(t, "tap", r), r})
	}
	return cases
}

// wantTAP is what a reader must understand from the TAP of r: the numbers
// of the points that pass and fail, and the diagnostics after each failing
// one as JSON would hold them (numbers as strings for Perl, which keeps them
// as it read them).
func wantTAP(t *testing.T, r *Report, numbersAsText bool) (passed, failed []int, diags map[string]any) {
	t.Helper()
	p := r.Printable()
	diags = map[string]any{}
	add := func(n int, d tapDiagnostic) {
		m := map[string]any{"message": d.Message, "severity": d.Severity}
		for k, v := range map[string]string{"expected": d.Expected, "actual": d.Actual, "file": d.File, "hint": d.Hint, "note": d.Note} {
			if v != "" {
				m[k] = v
			}
		}
		for k, v := range map[string]*float64{"score": d.Score, "max_score": d.MaxScore} {
			if v == nil {
				continue
			}
			m[k] = *v
			if numbersAsText {
				m[k] = words.Number(*v)
			}
		}
		if len(d.Checks) > 0 {
			var checks []any
			for _, c := range d.Checks {
				cm := map[string]any{"name": c.Name}
				for k, v := range map[string]string{"message": c.Message, "expected": c.Expected, "actual": c.Actual, "why": c.Why} {
					if v != "" {
						cm[k] = v
					}
				}
				checks = append(checks, cm)
			}
			m["checks"] = checks
		}
		diags[fmt.Sprint(n)] = m
	}
	if !p.Gradable() {
		add(1, tapDiagnostic{Message: "the submission could not be read, so nothing was graded:\n" + strings.Join(p.ReadErrors, "\n"), Severity: "fail"})
		return nil, []int{1}, diags
	}
	for i, s := range p.Steps {
		if s.Passed {
			passed = append(passed, i+1)
			continue
		}
		failed = append(failed, i+1)
		add(i+1, tapStepDiagnostic(s))
	}
	return passed, failed, diags
}

// asJSON round-trips v through JSON, so that values compare as a JSON
// reader's would.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func runOn(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// prove, as an instructor runs it on a TAP file: the right counts, the
// right verdict and no parse error.
func TestTAPReadByProve(t *testing.T) {
	tiers.Needs(t, "prove", "apt-get install perl (Debian's perl ships prove); this test runs it on our output")
	version := string(runOn(t, nil, "prove", "--version"))
	t.Logf("%s", strings.TrimSpace(version))
	for _, tc := range tapCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "result.tap")
			if err := os.WriteFile(file, tc.tap, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("prove", "--exec", "cat", file)
			out, err := cmd.CombinedOutput()
			passed, failed, _ := wantTAP(t, tc.rep, true)
			total := len(passed) + len(failed)
			s := string(out)
			if strings.Contains(s, "Parse errors") || !strings.Contains(s, fmt.Sprintf("Files=1, Tests=%d,", total)) {
				t.Fatalf("prove did not read the TAP cleanly:\n%s\n%s", s, tc.tap)
			}
			if len(failed) == 0 {
				if err != nil || !strings.Contains(s, "Result: PASS") {
					t.Errorf("prove: %v, want a pass:\n%s", err, s)
				}
			} else if err == nil || !strings.Contains(s, "Result: FAIL") ||
				!strings.Contains(s, fmt.Sprintf("Tests: %d Failed: %d)", total, len(failed))) {
				t.Errorf("prove: %v, want %d of %d failed:\n%s", err, len(failed), total, s)
			}
		})
	}
}

// TAP::Parser, the library prove is built on, reads each test point and
// the YAML diagnostics after it to exactly what we wrote.
func TestTAPReadByTAPParser(t *testing.T) {
	// Debian's perl-base has perl but not TAP::Parser: its perl package ships both, and prove.
	tiers.Needs(t, "prove", "apt-get install perl (it ships TAP::Parser and prove); this test runs TAP::Parser on our output")
	for _, tc := range tapCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				Version     int            `json:"version"`
				Plan        string         `json:"plan"`
				Passed      []int          `json:"passed"`
				Failed      []int          `json:"failed"`
				ParseErrors []string       `json:"parse_errors"`
				YAML        map[string]any `json:"yaml"`
			}
			out := runOn(t, tc.tap, "perl", filepath.Join("testdata", "tap-harness.pl"))
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			passed, failed, diags := wantTAP(t, tc.rep, true)
			if got.Version != 13 || len(got.ParseErrors) != 0 || got.Plan != fmt.Sprintf("1..%d", len(passed)+len(failed)) ||
				fmt.Sprint(got.Passed) != fmt.Sprint(passed) || fmt.Sprint(got.Failed) != fmt.Sprint(failed) {
				t.Errorf("TAP::Parser read version %d, plan %s, passed %v, failed %v, parse errors %q; want passed %v, failed %v\n%s",
					got.Version, got.Plan, got.Passed, got.Failed, got.ParseErrors, passed, failed, tc.tap)
			}
			if want := asJSON(t, diags); !reflect.DeepEqual(asJSON(t, got.YAML), want) {
				t.Errorf("diagnostics read as\n%s\nwant\n%s", mustJSON(t, got.YAML), mustJSON(t, want))
			}
		})
	}
}

// node's tap-parser, strict: every line is TAP, the counts are right, and
// the diagnostics read back as we wrote them.
func TestTAPReadByNodeTapParser(t *testing.T) {
	tiers.Needs(t, "node", "apt-get install nodejs npm; this test runs node's tap-parser on our output")
	if _, err := os.Stat(filepath.Join("..", "node_modules", "tap-parser", "package.json")); err != nil {
		tiers.Missing(t, "node's tap-parser is not installed: run npm ci at the repository root (./test.sh does)")
	}
	for _, tc := range tapCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				OK      bool `json:"ok"`
				Count   int  `json:"count"`
				Pass    int  `json:"pass"`
				Fail    int  `json:"fail"`
				Plan    struct{ Start, End int }
				Asserts []struct {
					ID   int            `json:"id"`
					OK   bool           `json:"ok"`
					Name string         `json:"name"`
					Diag map[string]any `json:"diag"`
				} `json:"asserts"`
				Problems []string `json:"problems"`
			}
			out := runOn(t, tc.tap, "node", filepath.Join("testdata", "tap-parser.mjs"))
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			passed, failed, diags := wantTAP(t, tc.rep, false)
			total := len(passed) + len(failed)
			if len(got.Problems) != 0 || got.OK != (len(failed) == 0) || got.Count != total || got.Pass != len(passed) ||
				got.Fail != len(failed) || got.Plan.Start != 1 || got.Plan.End != total {
				t.Errorf("tap-parser read %s; want %d passed, %d failed\n%s", out, len(passed), len(failed), tc.tap)
			}
			gotDiags := map[string]any{}
			for _, a := range got.Asserts {
				if a.Diag != nil {
					gotDiags[fmt.Sprint(a.ID)] = a.Diag
				}
			}
			if want := asJSON(t, diags); !reflect.DeepEqual(asJSON(t, gotDiags), want) {
				t.Errorf("diagnostics read as\n%s\nwant\n%s", mustJSON(t, gotDiags), mustJSON(t, want))
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Every JUnit output validates against the Jenkins JUnit schema
// (testdata/junit-10.xsd, see junit-10.xsd.source), by xmllint.
func TestJUnitValidatesAgainstJenkinsSchema(t *testing.T) {
	tiers.Needs(t, "xmllint", "apt-get install libxml2-utils; this test validates our JUnit output with it")
	outputs := map[string][]byte{}
	for _, file := range []string{"report.junit.xml", "unreadable.junit.xml", "statuses.junit.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		outputs["golden "+file] = data
	}
	outputs["hostile"] = render(t, "junit", hostile())
	outputs["hostile unreadable"] = render(t, "junit", hostileUnreadable())
	var cut bytes.Buffer
	if err := writeJUnitWithin(&cut, huge(400_000), 100_000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cut.Bytes(), []byte("bytes over the limit)")) {
		t.Fatal("the long output was not cut")
	}
	outputs["cut to its limit"] = cut.Bytes()
	for name, data := range outputs {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("xmllint", "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), file).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "validates") {
				t.Errorf("xmllint: %v\n%s", err, out)
			}
		})
	}
}
