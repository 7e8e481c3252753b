package batch

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
)

// ClassStats is what the class report shows, computed from the results.
type ClassStats struct {
	Exercise *exercises.Exercise
	Run      RunInfo
	Results  int // students with a result
	Graded   int
	AllPass  int // graded with every step passed
	Errors   []*Result
	Mean     float64
	Median   float64
	MaxScore float64
	// Histogram has one bin per score value (or ten ranges when scores are
	// not small whole numbers).
	Histogram []Bin
	Steps     []StepStat
	// Failing lists the checks that failed for most students, most first.
	Failing []FailingCheck
	// Durations of one grading, in ms, from the reports.
	MedianMS, P95MS, MaxMS int64
	// Students are sorted by score, lowest first: who needs help.
	Students []StudentRow
	Mistakes *ClassMistakes
}

// Bin is one bar of the score histogram.
type Bin struct {
	Label    string // "3" or "2.5–3"
	Lo, Hi   float64
	Count    int
	Fraction float64 // of the graded students
}

// StepStat is one step's pass rate.
type StepStat struct {
	ID, Title, File string
	Passed, Graded  int
	Rate            float64
}

// FailingCheck is a way a step failed, counted once per student: a known
// mistake, else a failure signature (named by its first failing check), else
// (a result from before signatures) a check.
type FailingCheck struct {
	Step, StepTitle, Check string
	Mistake                bool // Check is a known mistake's name
	Students               int
	Example                string // one student's message
	ExampleStudent         string
}

// StudentRow is one line of the students' table.
type StudentRow struct {
	Student, Feedback string
	Score             string
	Failed            []string // ids of the failing steps
	Mistakes          []string // "step: mistake" of the known mistakes made
	Error             string
	score             float64
}

// Stats computes the class report's numbers.
func Stats(ex *exercises.Exercise, results []*Result, run RunInfo) *ClassStats {
	st := &ClassStats{Exercise: ex, Run: run, Results: len(results), MaxScore: ex.MaxScore()}
	stepIdx := map[string]int{}
	for i, s := range ex.Steps {
		stepIdx[s.ID] = i
		st.Steps = append(st.Steps, StepStat{ID: s.ID, Title: s.Title, File: s.File})
	}
	failing := failures{}
	var scores []float64
	var durations []int64
	for _, r := range results {
		row := StudentRow{Student: r.Student, Feedback: FeedbackDir + "/" + FeedbackName(r.Student)}
		if r.Status != StatusGraded {
			st.Errors = append(st.Errors, r)
			row.Error, row.Score = r.Error, "—"
			st.Students = append(st.Students, row)
			continue
		}
		if run.Engine.Kind == "" {
			st.Run.Engine = r.Report.Engine
		}
		scores = append(scores, r.Report.Score)
		durations = append(durations, r.Report.DurationMS)
		st.addGraded(r, &row, stepIdx, failing)
		st.Students = append(st.Students, row)
	}
	for i := range st.Steps {
		if st.Steps[i].Graded > 0 {
			st.Steps[i].Rate = float64(st.Steps[i].Passed) / float64(st.Steps[i].Graded)
		}
	}
	st.Failing = failing.mostCommon(stepIdx, 10)
	needsHelpFirst(st.Students)
	st.Mistakes = Mistakes(ex, results, run.StepFile)
	st.Histogram = histogram(ex, scores)
	st.Mean, st.Median = meanAndMedian(scores)
	st.MedianMS, st.P95MS, st.MaxMS = durationSpread(durations)
	return st
}

// addGraded counts a graded student's steps, passed or failed, and how
// each failed, and fills the student's row.
func (st *ClassStats) addGraded(r *Result, row *StudentRow, stepIdx map[string]int, failing failures) {
	st.Graded++
	rep := r.Report
	if rep.Passed() {
		st.AllPass++
	}
	row.Score = words.Number(rep.Score) + "/" + words.Number(rep.MaxScore)
	row.score, row.Mistakes = rep.Score, mistakeNames(rep)
	for _, s := range rep.Steps {
		i, ok := stepIdx[s.ID]
		if !ok {
			continue
		}
		st.Steps[i].Graded++
		if s.Passed {
			st.Steps[i].Passed++
			continue
		}
		row.Failed = append(row.Failed, s.ID)
		failing.add(s, r.Student)
	}
}

// failures counts the ways steps failed, each once per student, by step
// and way.
type failures map[failureKey]*FailingCheck

type failureKey struct{ step, check string }

// add counts how a student's step failed: by its known mistake or
// signature, else (a result from before signatures) by each failing check.
func (fs failures) add(s report.Step, student string) {
	if k, f := failingWay(s); k != "" {
		if fs[failureKey{s.ID, k}] == nil {
			f.Step, f.StepTitle, f.ExampleStudent = s.ID, s.Title, student
			fs[failureKey{s.ID, k}] = &f
		}
		fs[failureKey{s.ID, k}].Students++
		return
	}
	seen := map[string]bool{}
	for _, c := range s.Checks {
		name := c.Name // the same check of every case counts once
		if c.Passed || seen[name] {
			continue
		}
		seen[name] = true
		k := failureKey{s.ID, name}
		f := fs[k]
		if f == nil {
			f = &FailingCheck{Step: s.ID, StepTitle: s.Title, Check: name, Example: c.Message, ExampleStudent: student}
			fs[k] = f
		}
		f.Students++
	}
}

// mostCommon returns at most n ways of failing, by students, most first,
// then in step order; ties (two signatures of one check) by their example,
// so that a report is the same each time it is made.
func (fs failures) mostCommon(stepIdx map[string]int, n int) []FailingCheck {
	var out []FailingCheck
	for _, f := range fs {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Students != b.Students {
			return a.Students > b.Students
		}
		if stepIdx[a.Step] != stepIdx[b.Step] {
			return stepIdx[a.Step] < stepIdx[b.Step]
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Example != b.Example {
			return a.Example < b.Example
		}
		return a.ExampleStudent < b.ExampleStudent
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// needsHelpFirst sorts the students who need help first: the ungraded,
// then the lowest scores.
func needsHelpFirst(students []StudentRow) {
	sort.SliceStable(students, func(i, j int) bool {
		a, b := students[i], students[j]
		if (a.Error != "") != (b.Error != "") {
			return a.Error != ""
		}
		return a.score < b.score
	})
}

// meanAndMedian of the scores, 0 and 0 for none. It sorts scores.
func meanAndMedian(scores []float64) (mean, median float64) {
	if len(scores) == 0 {
		return 0, 0
	}
	sort.Float64s(scores)
	total := 0.0
	for _, s := range scores {
		total += s
	}
	mean = total / float64(len(scores))
	median = scores[len(scores)/2]
	if len(scores)%2 == 0 {
		median = (scores[len(scores)/2-1] + scores[len(scores)/2]) / 2
	}
	return mean, median
}

// durationSpread is the median, the 95th percentile and the maximum of
// the durations (zeros for none). It sorts durations.
func durationSpread(durations []int64) (median, p95, maxMS int64) {
	if len(durations) == 0 {
		return 0, 0, 0
	}
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	median = durations[len(durations)/2]
	p95 = durations[min(len(durations)-1, int(math.Ceil(0.95*float64(len(durations))))-1)]
	return median, p95, durations[len(durations)-1]
}

// histogram bins the scores: one bin per whole score when every step's
// points are whole and the maximum is at most 20, else ten ranges.
func histogram(ex *exercises.Exercise, scores []float64) []Bin {
	maxScore := ex.MaxScore()
	whole := maxScore <= 20
	for _, s := range ex.Steps {
		whole = whole && s.Points == math.Trunc(s.Points)
	}
	var bins []Bin
	if whole {
		for v := 0.0; v <= maxScore; v++ {
			bins = append(bins, Bin{Label: words.Number(v), Lo: v, Hi: v})
		}
	} else {
		width := maxScore / 10
		for i := 0; i < 10; i++ {
			lo, hi := float64(i)*width, float64(i+1)*width
			bins = append(bins, Bin{Label: fmt.Sprintf("%.3g–%.3g", lo, hi), Lo: lo, Hi: hi})
		}
	}
	for _, s := range scores {
		i := 0
		if whole {
			i = int(math.Round(s))
		} else if maxScore > 0 {
			i = int(s / (maxScore / 10))
		}
		bins[max(0, min(i, len(bins)-1))].Count++
	}
	for i := range bins {
		if len(scores) > 0 {
			bins[i].Fraction = float64(bins[i].Count) / float64(len(scores))
		}
	}
	return bins
}

// svgBar is one histogram bar placed in the SVG.
type svgBar struct {
	Bin
	X, Y, W, H float64
	LabelX     float64
}

// WriteHTML writes the class report: one self-contained page (inline CSS and
// SVG; no scripts, fonts or images from anywhere).
func WriteHTML(w io.Writer, ex *exercises.Exercise, results []*Result, run RunInfo) error {
	return reportTemplate.Execute(w, Stats(ex, results, run))
}

const (
	histW, histH     = 640.0, 240.0
	histTop, histBot = 24.0, 40.0
)

// reportHTML is the class report's page.
//
//go:embed templates/report.html.tmpl
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"num": words.Number,
	"fixed": func(f float64) string {
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
	},
	"bars": func(bins []Bin) []svgBar {
		maxCount := 1
		for _, b := range bins {
			maxCount = max(maxCount, b.Count)
		}
		slot := (histW - 40) / float64(len(bins))
		out := make([]svgBar, len(bins))
		for i, b := range bins {
			h := (histH - histTop - histBot) * float64(b.Count) / float64(maxCount)
			x := 40 + float64(i)*slot + slot*0.15
			out[i] = svgBar{Bin: b, X: x, W: slot * 0.7, H: h, Y: histH - histBot - h, LabelX: x + slot*0.35}
		}
		return out
	},
	"histW":   func() float64 { return histW },
	"histH":   func() float64 { return histH },
	"axisY":   func() float64 { return histH - histBot },
	"labelY":  func() float64 { return histH - histBot + 18 },
	"titleY":  func() float64 { return histH - 4 },
	"minus":   func(a, b float64) float64 { return a - b },
	"seconds": func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) },
	"rate":    rateOf,
	"when":    func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
	"mode": func(fresh bool) string {
		return map[bool]string{false: "one warm server per worker, reset between cases", true: "a fresh server per submission"}[fresh]
	},
	"joinIDs": func(ids []string) string { return strings.Join(ids, ", ") },
	"join":    func(ids []string) string { return strings.Join(ids, ", ") },
}).Parse(reportHTML))

func rateOf(run RunInfo) string {
	if run.Elapsed <= 0 || run.Saved == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f submissions/s", float64(run.Saved)/run.Elapsed.Seconds())
}
