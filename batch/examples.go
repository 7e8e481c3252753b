package batch

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Example is one example submission: a folder and the verdict per step its
// expected.yaml gives.
type Example struct {
	Name     string
	Dir      string
	Expected map[string]string // step id -> "pass" or "fail"
}

// LoadExamples reads the example submissions under dir (one folder each,
// with an expected.yaml), sorted by name.
func LoadExamples(dir string) ([]Example, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		ex := Example{Name: de.Name(), Dir: filepath.Join(dir, de.Name())}
		data, err := os.ReadFile(filepath.Join(ex.Dir, "expected.yaml"))
		if err != nil {
			return nil, err
		}
		var want struct {
			Steps map[string]string `yaml:"steps"`
		}
		if err := yaml.Unmarshal(data, &want); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(ex.Dir, "expected.yaml"), err)
		}
		ex.Expected = want.Steps
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no example submissions in %s", dir)
	}
	return out, nil
}

// GenerateClass writes a class of n submissions into dir, one folder per
// student, cycling through the examples: student0001-correct,
// student0002-correct-bom, ... It returns the example each student copies.
func GenerateClass(dir string, examples []Example, n int) (map[string]Example, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	of := make(map[string]Example, n)
	for i := 0; i < n; i++ {
		ex := examples[i%len(examples)]
		id := fmt.Sprintf("student%04d-%s", i+1, ex.Name)
		dst := filepath.Join(dir, id)
		if err := os.Mkdir(dst, 0o755); err != nil {
			return nil, err
		}
		files, err := os.ReadDir(ex.Dir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !f.Type().IsRegular() || f.Name() == "expected.yaml" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(ex.Dir, f.Name()))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dst, f.Name()), data, 0o644); err != nil {
				return nil, err
			}
		}
		of[id] = ex
	}
	return of, nil
}

// CheckResults checks a batch's results.jsonl against the class it graded:
// every student present exactly once, graded, with each step's verdict the
// one its example expects. It returns every problem found.
func CheckResults(out string, of map[string]Example) []string {
	data, err := os.ReadFile(filepath.Join(out, ResultsFile))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	seen := map[string]int{}
	log, err := ReadResults(filepath.Join(out, ResultsFile))
	if err != nil {
		return []string{err.Error()}
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for _, r := range log.Results {
		seen[r.Student]++
	}
	if len(lines) != len(of) {
		problems = append(problems, fmt.Sprintf("%d lines in %s for %d students", len(lines), ResultsFile, len(of)))
	}
	for id := range of {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d results", id, seen[id]))
		}
	}
	for _, r := range log.Results {
		ex, ok := of[r.Student]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: not in the class", r.Student))
			continue
		}
		if r.Status != StatusGraded {
			problems = append(problems, fmt.Sprintf("%s: %s: %s", r.Student, r.Status, r.Error))
			continue
		}
		for _, st := range r.Report.Steps {
			got := map[bool]string{true: "pass", false: "fail"}[st.Passed]
			if want := ex.Expected[st.ID]; want != got {
				problems = append(problems, fmt.Sprintf("%s (%s): step %s %s, expected.yaml says %s", r.Student, ex.Name, st.ID, got, want))
			}
		}
	}
	sort.Strings(problems)
	return problems
}
