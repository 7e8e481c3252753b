package batch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/report"
)

func graded(student string, score float64) string {
	line, _ := marshalLine(&Result{Student: student, Status: StatusGraded, Score: score, MaxScore: 4,
		Report: &report.Report{Exercise: "lua-atomicity", Submission: student, Score: score, MaxScore: 4}})
	return string(line)
}

func errored(student, kind string) string {
	line, _ := marshalLine(&Result{Student: student, Status: StatusError, ErrorKind: kind, Error: "boom", MaxScore: 4})
	return string(line)
}

func TestResumeCutsTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), ResultsFile)
	good := graded("alice", 4) + graded("bob", 3)
	torn := graded("carol", 2)
	torn = torn[:len(torn)/2] // the crash came in the middle of the write
	writeFile(t, path, []byte(good+torn))

	log, err := prepareResume(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Results) != 2 || log.Results[0].Student != "alice" || log.Results[1].Student != "bob" {
		t.Fatalf("results %+v, want alice and bob", log.Results)
	}
	if !strings.HasPrefix(log.Torn, `{"student":"carol"`) {
		t.Errorf("Torn = %q, want carol's half line", log.Torn)
	}
	data, _ := os.ReadFile(path)
	if string(data) != good {
		t.Errorf("file after resume:\n%s\nwant the two whole lines only", data)
	}
	// Appending now gives whole lines only.
	app, err := openAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.write([][]byte{[]byte(graded("carol", 2))}); err != nil {
		t.Fatal(err)
	}
	app.Close()
	log, err = ReadResults(path)
	if err != nil || len(log.Results) != 3 || log.Torn != "" {
		t.Fatalf("after append: %+v, %v", log, err)
	}
}

func TestResumeTornWithoutNewline(t *testing.T) {
	// A whole object but no newline: the write was cut just before it.
	path := filepath.Join(t.TempDir(), ResultsFile)
	writeFile(t, path, []byte(graded("alice", 4)+strings.TrimSuffix(graded("bob", 3), "\n")))
	log, err := prepareResume(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Results) != 1 {
		t.Fatalf("%d results, want alice only (bob is graded again)", len(log.Results))
	}
	data, _ := os.ReadFile(path)
	if string(data) != graded("alice", 4) {
		t.Errorf("file after resume: %q", data)
	}
}

// TestResumeKeepsGraderErrorsDropsDuplicates: a grader error stays in the
// file (its count of runs must survive a run interrupted before it), and
// only the last line of a student is kept.
func TestResumeKeepsGraderErrorsDropsDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), ResultsFile)
	writeFile(t, path, []byte(
		graded("alice", 1)+
			errored("bob", ErrorGrader)+
			errored("carol", ErrorSubmission)+
			graded("alice", 4))) // a later line wins
	log, err := prepareResume(path)
	if err != nil {
		t.Fatal(err)
	}
	m := log.ByStudent()
	if len(m) != 3 || m["alice"] == nil || m["alice"].Score != 4 || m["carol"] == nil || m["bob"] == nil || m["bob"].final() {
		t.Fatalf("kept %+v; want alice (4 points, the later line), carol (a final error) and bob (to grade again)", m)
	}
	data, _ := os.ReadFile(path)
	if got := strings.Count(string(data), "\n"); got != 3 || !strings.Contains(string(data), `"bob"`) {
		t.Errorf("rewritten file:\n%s\nwant three lines, bob's kept", data)
	}
}

func TestReadResultsRefusesDamageInTheMiddle(t *testing.T) {
	path := filepath.Join(t.TempDir(), ResultsFile)
	writeFile(t, path, []byte(graded("alice", 4)+"{not json\n"+graded("bob", 3)))
	_, err := prepareResume(path)
	if err == nil || !strings.Contains(err.Error(), ResultsFile+":2: not a result") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}

func TestResumeWithoutFile(t *testing.T) {
	log, err := prepareResume(filepath.Join(t.TempDir(), ResultsFile))
	if err != nil || len(log.Results) != 0 {
		t.Fatalf("%+v, %v", log, err)
	}
}
