package batch

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestMistakesOfAClass grades the examples (twice over) and a student
// whose answer no mutant explains, with markup in it; then checks
// mistakes.json and the report's mistakes section as Chromium renders it,
// and takes a screenshot of it.
func TestMistakesOfAClass(t *testing.T) {
	bin := chromium(t)
	correct := exampleFiles(t, "correct")
	hostile := map[string][]byte{}
	for name, text := range correct {
		hostile["zz-hostile/"+name] = []byte(text)
	}
	hostile["zz-hostile/step4.lua"] = []byte("redis.call('DECR', 'stock')\nredis.call('INCR', 'sales')\nreturn '<script>alert(1)</script>'\n")
	_, of, out := gradeClass(t, 2*len(loadExamples(t)), Options{}, hostile)

	data, err := os.ReadFile(filepath.Join(out, MistakesFile))
	if err != nil {
		t.Fatal(err)
	}
	var m ClassMistakes
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", MistakesFile, err)
	}
	byStep := map[string]StepMistakes{}
	for _, s := range m.Steps {
		byStep[s.Step] = s
	}
	// Who made the mistake: exactly the students given an example that
	// makes it.
	var want []string
	for student, ex := range of {
		if ex.Name == "swapped-return" || ex.Name == "swapped-locals" {
			want = append(want, student)
		}
	}
	sort.Strings(want)
	var got *KnownMistake
	for i, k := range byStep["return-values"].Known {
		if k.ID == "values-returned-in-the-wrong-order" {
			got = &byStep["return-values"].Known[i]
		}
	}
	if got == nil {
		t.Fatalf("no known mistake values-returned-in-the-wrong-order in %s:\n%s", MistakesFile, data)
	}
	sort.Strings(got.Students)
	if got.Count != len(want) || !slices.Equal(got.Students, want) {
		t.Errorf("values-returned-in-the-wrong-order: %d students %v, want %v", got.Count, got.Students, want)
	}
	// The student's feedback says it too.
	fb, err := os.ReadFile(filepath.Join(out, FeedbackDir, FeedbackName(want[0])))
	if err != nil || !strings.Contains(string(fb), "This looks like a known mistake: values returned in the wrong order.") {
		t.Errorf("%s's feedback does not name the mistake (%v):\n%s", want[0], err, fb)
	}
	// The unexplained patterns come largest first, and the hostile one has
	// its file and a mutant entry that parses as the spec's.
	var found *Pattern
	for _, s := range m.Steps {
		for i, p := range s.Unexplained {
			if i > 0 && p.Count > s.Unexplained[i-1].Count {
				t.Errorf("step %s: pattern %d has %d students, more than the one before", s.Step, i, p.Count)
			}
			if slices.Contains(p.Students, "zz-hostile") {
				found = &s.Unexplained[i]
			}
		}
	}
	if found == nil || !strings.Contains(found.Example, "<script>alert(1)</script>") {
		t.Fatalf("the hostile student's failure is not an unexplained pattern with its file: %+v", found)
	}
	var entry []struct {
		Name  string            `yaml:"name"`
		Fails string            `yaml:"fails"`
		Files map[string]string `yaml:"files"`
	}
	if err := yaml.Unmarshal([]byte(found.Mutant), &entry); err != nil || len(entry) != 1 || entry[0].Fails != "return-values" ||
		entry[0].Files["step4.lua"] != string(hostile["zz-hostile/step4.lua"]) {
		t.Errorf("the mutant entry does not give the student's file back (%v):\n%s", err, found.Mutant)
	}

	page := filepath.Join(out, ReportFile)
	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	for _, want := range []string{
		`<section id="mistakes">`, `data-mistake="values-returned-in-the-wrong-order"`, "a failure no known mistake explains",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "known mistake:", "lowest score first", "<details open=",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script>alert") {
		t.Error("the student's markup reached the page as markup")
	}
	// The students' table goes from the lowest score up.
	var scores []float64
	for _, m := range regexp.MustCompile(`<tr class="student"><td>[^<]*</td><td class="n">([\d.]+)/`).FindAllStringSubmatch(dom, -1) {
		f, _ := strconv.ParseFloat(m[1], 64)
		scores = append(scores, f)
	}
	if len(scores) != len(of)+1 || !sort.Float64sAreSorted(scores) || scores[0] == scores[len(scores)-1] {
		t.Errorf("the students' scores, in the table's order: %v", scores)
	}

	shot := filepath.Join(t.TempDir(), "mistakes.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,2400", "file://"+page)
	img, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(img)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The screenshot, for whoever reads the test's output.
	keep := filepath.Join(os.TempDir(), "redisgrade-batch-mistakes.png")
	if err := os.WriteFile(keep, img, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the report: %s (%d KB)", keep, len(img)>>10)
}
