package batch

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// MistakesFile is the name of the class's mistakes in the output folder.
const MistakesFile = "mistakes.json"

// ClassMistakes is what a class got wrong, step by step: the known
// mistakes (the spec's mutants) the students made, and the failures no
// known mistake explains, grouped by failure signature.
type ClassMistakes struct {
	Exercise string         `json:"exercise"`
	Steps    []StepMistakes `json:"steps"`
}

// Any reports whether some step failed for some student.
func (m *ClassMistakes) Any() bool {
	for _, s := range m.Steps {
		if len(s.Known)+len(s.Unexplained) > 0 {
			return true
		}
	}
	return false
}

// StepMistakes is one step's share.
type StepMistakes struct {
	Step  string `json:"step"`
	Title string `json:"title"`
	File  string `json:"file"`
	// Known are the known mistakes made, most students first.
	Known []KnownMistake `json:"known"`
	// Unexplained are the failures no known mistake explains: the students
	// whose step failed with the same signature, largest group first.
	Unexplained []Pattern `json:"unexplained"`
}

// KnownMistake is one known mistake and who made it.
type KnownMistake struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Count    int      `json:"count"`
	Students []string `json:"students"`
}

// Pattern is a failure no known mistake explains, shared by Students.
type Pattern struct {
	Signature string `json:"signature"`
	// Check names the first check that failed, in the first student's
	// report: what the pattern looks like.
	Check    string   `json:"check"`
	Count    int      `json:"count"`
	Students []string `json:"students"`
	// Example is one student's step file, for the author to read; Mutant
	// is a `mutants:` entry built from it, ready to name and paste into
	// the spec so that the next class gets feedback for it. Both are
	// empty when the file could not be read back.
	Example string `json:"example,omitempty"`
	Mutant  string `json:"mutant,omitempty"`
}

// maxExampleBytes bounds a representative file shown in the report.
const maxExampleBytes = 4096

// Mistakes groups the class's failing steps. stepFile reads a student's
// step file back from the class (nil: no examples).
func Mistakes(ex *exercises.Exercise, results []*Result, stepFile func(student, file string) (string, bool)) *ClassMistakes {
	out := &ClassMistakes{Exercise: ex.ID}
	for _, s := range ex.Steps {
		known := map[string]*KnownMistake{}
		patterns := map[string]*Pattern{}
		for _, r := range results {
			if r.Status != StatusGraded || r.Report == nil {
				continue
			}
			for _, st := range r.Report.Steps {
				if st.ID != s.ID || st.Passed || st.NotGradable || st.Signature == "" {
					continue
				}
				if m := st.Mistake; m != nil {
					k := known[m.ID]
					if k == nil {
						k = &KnownMistake{ID: m.ID, Name: m.Name}
						known[m.ID] = k
					}
					k.Count++
					k.Students = append(k.Students, r.Student)
					continue
				}
				p := patterns[st.Signature]
				if p == nil {
					_, way := failingWay(st)
					p = &Pattern{Signature: st.Signature, Check: way.Check}
					patterns[st.Signature] = p
				}
				p.Count++
				p.Students = append(p.Students, r.Student)
			}
		}
		sm := StepMistakes{Step: s.ID, Title: s.Title, File: s.File, Known: []KnownMistake{}, Unexplained: []Pattern{}}
		for _, k := range known {
			sm.Known = append(sm.Known, *k)
		}
		sort.Slice(sm.Known, func(i, j int) bool {
			a, b := sm.Known[i], sm.Known[j]
			return a.Count > b.Count || (a.Count == b.Count && a.ID < b.ID)
		})
		for _, p := range patterns {
			sm.Unexplained = append(sm.Unexplained, *p)
		}
		sort.Slice(sm.Unexplained, func(i, j int) bool {
			a, b := sm.Unexplained[i], sm.Unexplained[j]
			return a.Count > b.Count || (a.Count == b.Count && a.Signature < b.Signature)
		})
		for i := range sm.Unexplained {
			p := &sm.Unexplained[i]
			if stepFile == nil {
				continue
			}
			if text, ok := stepFile(p.Students[0], s.File); ok {
				p.Example = report.Visible(clipText(text, maxExampleBytes))
				p.Mutant = mutantEntry(s, p.Students[0], text)
			}
		}
		out.Steps = append(out.Steps, sm)
	}
	return out
}

// mutantEntry is a spec's `mutants:` item built from a student's file,
// indented to paste under `mutants:`.
func mutantEntry(s exercises.Step, student, text string) string {
	entry := []struct {
		Name     string            `yaml:"name"`
		Fails    string            `yaml:"fails"`
		Feedback string            `yaml:"feedback"`
		Files    map[string]string `yaml:"files"`
	}{{
		Name:     "TODO name the mistake (seen in " + student + ")",
		Fails:    s.ID,
		Feedback: "TODO what the mistake is, why it is wrong, and what to do instead",
		Files:    map[string]string{s.File: text},
	}}
	data, err := yaml.Marshal(entry)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return "  " + strings.Join(lines, "\n  ") + "\n"
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// writeMistakes writes mistakes.json.
func writeMistakes(w io.Writer, m *ClassMistakes) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// classStepFile reads a student's step file back from the class's entries.
func classStepFile(class *Class) func(student, file string) (string, bool) {
	paths := map[string]string{}
	for _, e := range class.Entries {
		if e.Err == nil {
			paths[e.Student] = e.Path
		}
	}
	return func(student, file string) (string, bool) {
		p, ok := paths[student]
		if !ok {
			return "", false
		}
		sub, err := submissions.Open(p)
		if err != nil {
			return "", false
		}
		text, err := sub.Text(file)
		return text, err == nil
	}
}

// mistakeNames are the names of the known mistakes a report's steps carry.
func mistakeNames(rep *report.Report) []string {
	var out []string
	for _, s := range rep.Steps {
		if s.Mistake != nil {
			out = append(out, s.ID+": "+s.Mistake.Name)
		}
	}
	return out
}

// failingWay is how a failing step counts in the most common failures: its
// known mistake, else its signature (named by its first failing check), so
// that one mistake seen from several starting states is one row. "" for a
// result from before signatures: its checks count one by one.
func failingWay(s report.Step) (string, FailingCheck) {
	first := report.Check{}
	for _, c := range s.Checks {
		if !c.Passed {
			first = c
			break
		}
	}
	switch {
	case s.Mistake != nil:
		return "mistake " + s.Mistake.ID, FailingCheck{Check: s.Mistake.Name, Mistake: true, Example: first.Message}
	case s.Signature != "":
		return "signature " + s.Signature, FailingCheck{Check: first.Name, Example: first.Message}
	}
	return "", FailingCheck{}
}
