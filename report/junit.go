package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/internal/words"
)

// JUnit XML, as GitLab's unit test reports parse it
// (https://docs.gitlab.com/ci/testing/unit_test_reports/) and as GitHub test
// reporter actions read it: <testsuites>, one <testsuite> per exercise, one
// <testcase> per step with classname and name (GitLab keys a test on both
// and keeps only the first of two with the same name), time in seconds, and
// a failing step's checks in the text of one <failure>. It validates against
// the Jenkins JUnit schema (jenkinsci/xunit-plugin junit-10.xsd), which has
// no file attribute on <testcase>: a step's file is the first line of its
// <system-out>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitProblem is a <failure> or an <error>: a short message, a type, and
// the detail as text.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junitEngine is the engine property: "process Valkey 8.1.1", or nothing when no engine graded.
func junitEngine(e Engine) string {
	if e.Kind == "" && e.Version == "" {
		return ""
	}
	return strings.TrimSpace(e.Kind + " " + e.ServerName())
}

// junitMessageChars bounds a failure's message attribute, a one-line
// summary; the detail is in the element's text.
const junitMessageChars = 500

func writeJUnit(w io.Writer, r *Report, _ Options) error { return writeJUnitWithin(w, r, junitLimit) }

func writeJUnitWithin(w io.Writer, r *Report, limit int) error {
	// CI logs print failures; and XML 1.0 cannot hold most control characters.
	r = r.Printable()
	suite := junitSuite{Name: r.Exercise, Time: seconds(r.DurationMS)}
	for _, p := range [][2]string{
		{"title", r.Title}, {"submission", r.Submission},
		{"engine", junitEngine(r.Engine)},
		{"score", words.Number(r.Score)}, {"max_score", words.Number(r.MaxScore)},
	} {
		if p[1] != "" {
			suite.Properties = append(suite.Properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}
	var fields []*string
	if !r.Gradable() {
		suite.Errors = 1
		suite.Cases = []junitCase{{
			Classname: r.Exercise, Name: "read the submission",
			Error: &junitProblem{
				Message: cutChars(strings.Join(r.ReadErrors, "; "), junitMessageChars),
				Type:    "unreadable", Text: unreadableText(r),
			},
		}}
	} else {
		names := junitNames(r.Steps)
		for i, s := range r.Steps {
			c := junitCase{Classname: r.Exercise, Name: names[i], SystemOut: "file: " + s.File}
			if s.Passed {
				if detail := stepDetail(s); detail != "" {
					c.SystemOut += "\n" + detail
				}
			} else {
				suite.Failures++
				c.Failure = &junitProblem{
					Message: cutChars(strings.Join(failingNames(s), "; "), junitMessageChars),
					Type:    "check", Text: stepDetail(s),
				}
				if s.NotGradable {
					c.Failure.Message, c.Failure.Type = notGraded, "not graded"
				}
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	suite.Tests = len(suite.Cases)
	for i := range suite.Cases {
		c := &suite.Cases[i]
		fields = append(fields, &c.SystemOut)
		for _, p := range []*junitProblem{c.Failure, c.Error} {
			if p != nil {
				fields = append(fields, &p.Text)
			}
		}
	}
	doc := junitSuites{
		Name: "redisgrade", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite},
	}
	out, err := fitter{
		limit: limit,
		encode: func() ([]byte, error) {
			var buf bytes.Buffer
			buf.WriteString(xml.Header)
			enc := xml.NewEncoder(&buf)
			enc.Indent("", "  ")
			if err := enc.Encode(&doc); err != nil {
				return nil, err
			}
			buf.WriteByte('\n')
			return buf.Bytes(), nil
		},
		escLen: xmlTextLen,
	}.fit(fields)
	if err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	_, err = w.Write(out)
	return err
}

// junitNames names each step's test case by its title, made unique: GitLab
// ignores a second test case with the same name.
func junitNames(steps []Step) []string {
	count := map[string]int{}
	for _, s := range steps {
		count[s.Title]++
	}
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Title
		if count[s.Title] > 1 || s.Title == "" {
			names[i] = stepName(i, s)
		}
	}
	return names
}

// seconds formats milliseconds as seconds, as JUnit's time attributes are.
func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }
