package batch

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestCSVFormulaEscaping: a student id or error text that a spreadsheet
// would run as a formula gets a leading quote in grades.csv; other text
// is left as it is.
func TestCSVFormulaEscaping(t *testing.T) {
	ex := loadExercise(t)
	texts := map[string]string{
		`=HYPERLINK("http://evil","x")`: `'=HYPERLINK("http://evil","x")`,
		"+1+1":                          "'+1+1",
		"-2+3":                          "'-2+3",
		"@SUM(A1:A9)":                   "'@SUM(A1:A9)",
		"\t=1":                          "'\t=1",
		"\r=1":                          "'\r=1",
		"alice":                         "alice",
		"a=1":                           "a=1",
	}
	var results []*Result
	for text := range texts {
		results = append(results, &Result{Student: text, Status: StatusError, ErrorKind: ErrorSubmission, Error: text})
	}
	var buf bytes.Buffer
	if err := writeCSV(&buf, ex, results); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(texts)+1 {
		t.Fatalf("%d rows, want %d", len(rows), len(texts)+1)
	}
	for i, row := range rows[1:] {
		text := results[i].Student
		student, errCell := row[0], row[len(row)-1]
		if want := texts[text]; student != want || errCell != want {
			t.Errorf("%q: student cell %q, error cell %q; want %q", text, student, errCell, want)
		}
	}
}
