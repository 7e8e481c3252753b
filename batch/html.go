package batch

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/words"
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
	var scores []float64
	var durations []int64
	stepIdx := map[string]int{}
	for i, s := range ex.Steps {
		stepIdx[s.ID] = i
		st.Steps = append(st.Steps, StepStat{ID: s.ID, Title: s.Title, File: s.File})
	}
	type key struct{ step, check string }
	failing := map[key]*FailingCheck{}
	for _, r := range results {
		row := StudentRow{Student: r.Student, Feedback: FeedbackDir + "/" + FeedbackName(r.Student)}
		if r.Status != StatusGraded {
			st.Errors = append(st.Errors, r)
			row.Error, row.Score = r.Error, "—"
			st.Students = append(st.Students, row)
			continue
		}
		st.Graded++
		rep := r.Report
		if run.Engine.Kind == "" {
			st.Run.Engine = rep.Engine
		}
		scores = append(scores, rep.Score)
		durations = append(durations, rep.DurationMS)
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
			if k, f := failingWay(s); k != "" {
				if failing[key{s.ID, k}] == nil {
					f.Step, f.StepTitle, f.ExampleStudent = s.ID, s.Title, r.Student
					failing[key{s.ID, k}] = &f
				}
				failing[key{s.ID, k}].Students++
				continue
			}
			seen := map[string]bool{}
			for _, c := range s.Checks {
				name := c.Name // the same check of every case counts once
				if c.Passed || seen[name] {
					continue
				}
				seen[name] = true
				k := key{s.ID, name}
				f := failing[k]
				if f == nil {
					f = &FailingCheck{Step: s.ID, StepTitle: s.Title, Check: name, Example: c.Message, ExampleStudent: r.Student}
					failing[k] = f
				}
				f.Students++
			}
		}
		st.Students = append(st.Students, row)
	}
	for i := range st.Steps {
		if st.Steps[i].Graded > 0 {
			st.Steps[i].Rate = float64(st.Steps[i].Passed) / float64(st.Steps[i].Graded)
		}
	}
	for _, f := range failing {
		st.Failing = append(st.Failing, *f)
	}
	sort.Slice(st.Failing, func(i, j int) bool {
		a, b := st.Failing[i], st.Failing[j]
		if a.Students != b.Students {
			return a.Students > b.Students
		}
		if stepIdx[a.Step] != stepIdx[b.Step] {
			return stepIdx[a.Step] < stepIdx[b.Step]
		}
		return a.Check < b.Check
	})
	if len(st.Failing) > 10 {
		st.Failing = st.Failing[:10]
	}
	// Who needs help first: the ungraded, then the lowest scores.
	sort.SliceStable(st.Students, func(i, j int) bool {
		a, b := st.Students[i], st.Students[j]
		if (a.Error != "") != (b.Error != "") {
			return a.Error != ""
		}
		return a.score < b.score
	})
	st.Mistakes = Mistakes(ex, results, run.StepFile)
	st.Histogram = histogram(ex, scores)
	if len(scores) > 0 {
		sort.Float64s(scores)
		total := 0.0
		for _, s := range scores {
			total += s
		}
		st.Mean = total / float64(len(scores))
		st.Median = scores[len(scores)/2]
		if len(scores)%2 == 0 {
			st.Median = (scores[len(scores)/2-1] + scores[len(scores)/2]) / 2
		}
	}
	if len(durations) > 0 {
		sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
		st.MedianMS = durations[len(durations)/2]
		st.P95MS = durations[min(len(durations)-1, int(math.Ceil(0.95*float64(len(durations))))-1)]
		st.MaxMS = durations[len(durations)-1]
	}
	return st
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

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Exercise.ID}}: class report</title>
<style>
:root { --ink: #1d2430; --muted: #5b6472; --line: #d9dee5; --pass: #1f8a4c; --fail: #c0392b; --bar: #3867d6; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 20px; }
.card, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; }
.card { padding: 12px 14px; }
.card b { display: block; font-size: 24px; }
.card span { color: var(--muted); font-size: 13px; }
section { padding: 16px 18px; margin-bottom: 18px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; align-items: start; }
.grid2 section { margin-bottom: 0; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
.grid2 + section { margin-top: 18px; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg .count { font-weight: 600; }
svg rect.bar { fill: var(--bar); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.meter { background: #e9edf2; border-radius: 4px; height: 12px; min-width: 120px; }
.meter i { display: block; height: 12px; border-radius: 4px; background: var(--pass); }
.meter.low i { background: var(--fail); }
code { white-space: nowrap; }
code, .msg { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.msg { color: #333; white-space: pre-wrap; word-break: break-word; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 5; overflow: hidden; }
.err { color: var(--fail); }
.muted { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
details summary { cursor: pointer; font-weight: 600; }
.banner { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 8px; padding: 10px 14px; margin-bottom: 18px; }
</style>
</head>
<body>
<main>
<h1>{{.Exercise.Title}}</h1>
<p class="sub">Class report for exercise <code>{{.Exercise.ID}}</code> · {{.Results}} students · generated {{when .Run.Finished}}</p>
{{if or .Run.Interrupted (gt .Run.Remaining 0)}}<div class="banner" id="partial">Partial results: {{.Run.Remaining}} of {{.Run.Students}} submissions are not graded yet. Run the batch again with <code>--resume</code> to finish.</div>{{end}}

<div class="cards">
<div class="card" id="card-graded"><b>{{.Graded}}</b><span>graded</span></div>
<div class="card" id="card-allpass"><b>{{.AllPass}}</b><span>passed every step</span></div>
<div class="card" id="card-mean"><b>{{fixed .Mean}} / {{num .MaxScore}}</b><span>mean score (median {{fixed .Median}})</span></div>
<div class="card" id="card-errors"><b{{if .Errors}} class="err"{{end}}>{{len .Errors}}</b><span>could not be graded</span></div>
</div>

<div class="grid2">
<section id="histogram">
<h2>Score distribution</h2>
<svg role="img" aria-label="Histogram of scores" viewBox="0 0 {{histW}} {{histH}}" width="100%">
<line x1="40" y1="{{axisY}}" x2="{{histW}}" y2="{{axisY}}" stroke="#9aa3ae"/>
{{range bars .Histogram}}<g class="bin" data-score="{{.Label}}" data-count="{{.Count}}">
<title>score {{.Label}}: {{.Count}} students ({{pct .Fraction}})</title>
<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="3"/>
<text class="count" x="{{.LabelX}}" y="{{minus .Y 6}}" text-anchor="middle">{{.Count}}</text>
<text x="{{.LabelX}}" y="{{labelY}}" text-anchor="middle">{{.Label}}</text>
</g>
{{end}}<text x="{{minus histW 300}}" y="{{titleY}}" text-anchor="middle" class="muted">score (points)</text>
</svg>
</section>

<section id="steps">
<h2>Pass rate per step</h2>
<table>
<tr><th>step</th><th>passed</th><th></th></tr>
{{range $i, $s := .Steps}}<tr class="step" data-step="{{$s.ID}}" data-rate="{{pct $s.Rate}}">
<td>{{$s.Title}}<br><span class="muted"><code>{{$s.ID}}</code> · <code>{{$s.File}}</code></span></td>
<td class="n">{{pct $s.Rate}}<br><span class="muted">{{$s.Passed}}/{{$s.Graded}}</span></td>
<td style="width:40%"><div class="meter{{if lt $s.Rate 0.5}} low{{end}}"><i style="width:{{pct $s.Rate}}"></i></div></td>
</tr>
{{end}}</table>
</section>
</div>

<section id="failing">
<h2>Most common failures</h2>
{{if .Failing}}<table>
<tr><th>students</th><th>step</th><th>known mistake or failing check, with one student's message</th></tr>
{{range .Failing}}<tr class="failing">
<td class="n">{{.Students}}</td>
<td><code>{{.Step}}</code></td>
<td>{{if .Mistake}}<span class="muted">known mistake:</span> {{end}}<b>{{.Check}}</b><div class="msg">{{.Example}}</div><span class="muted">for example {{.ExampleStudent}}</span></td>
</tr>
{{end}}</table>{{else}}<p class="muted">No check failed.</p>{{end}}
</section>

<section id="mistakes">
<h2>Mistakes, step by step</h2>
<p class="muted">Known mistakes are the spec's mutants: a student's failing step is named one when it fails exactly as that mutant does. Failures no known mistake explains are grouped by how they failed, largest first, each with one student's file and a <code>mutants:</code> entry to name and paste into the spec.</p>
{{if .Mistakes.Any}}{{range .Mistakes.Steps}}{{if or .Known .Unexplained}}<div class="mistake-step" data-step="{{.Step}}">
<h3>{{.Title}} <span class="muted"><code>{{.Step}}</code> · <code>{{.File}}</code></span></h3>
{{if .Known}}<table>
<tr><th>students</th><th>known mistake</th><th>who</th></tr>
{{range .Known}}<tr class="known" data-mistake="{{.ID}}" data-count="{{.Count}}"><td class="n">{{.Count}}</td><td><b>{{.Name}}</b><br><span class="muted"><code>{{.ID}}</code></span></td><td>{{join .Students}}</td></tr>
{{end}}</table>{{end}}
{{range .Unexplained}}<details class="unexplained" data-count="{{.Count}}">
<summary>{{.Count}} {{if eq .Count 1}}student{{else}}students{{end}}: a failure no known mistake explains <span class="muted">({{.Check}})</span></summary>
<p class="muted">who: {{join .Students}}</p>
<p class="muted">signature: <code class="msg">{{.Signature}}</code></p>
{{if .Example}}<p class="muted">{{index .Students 0}}'s file:</p><pre class="msg example">{{.Example}}</pre>
<p class="muted">as a mutant for the spec:</p><pre class="msg mutant">{{.Mutant}}</pre>{{end}}
</details>
{{end}}</div>
{{end}}{{end}}{{else}}<p class="muted">No step failed.</p>{{end}}
</section>

{{if .Errors}}<section id="errors">
<h2>Could not be graded</h2>
<table>
<tr><th>student</th><th>why</th></tr>
{{range .Errors}}<tr><td>{{.Student}}</td><td><div class="msg err">{{.Error}}</div>{{if eq .ErrorKind "grader"}}<span class="muted">a grader failure: <code>--resume</code> grades it again</span>{{end}}</td></tr>
{{end}}</table>
</section>{{end}}

<section id="run">
<h2>Engine and timing</h2>
<dl>
<dt>engine</dt><dd>{{.Run.Engine.Kind}} {{.Run.Engine.ServerName}}{{if .Run.Engine.Emulator}} <span class="err">(an emulator: {{.Run.Engine.Note}})</span>{{end}}{{if .Run.EngineReason}} <span class="muted">({{.Run.EngineReason}})</span>{{end}}</dd>
<dt>workers</dt><dd>{{.Run.Workers}}, {{mode .Run.Fresh}}</dd>
<dt>this run</dt><dd>{{.Run.Saved}} submissions in {{seconds .Run.Elapsed}} ({{rate .Run}}){{if .Run.Skipped}}, {{.Run.Skipped}} graded by an earlier run{{end}}</dd>
<dt>one grading</dt><dd>median {{.MedianMS}} ms · 95th percentile {{.P95MS}} ms · slowest {{.MaxMS}} ms</dd>
</dl>
</section>

<section id="students">
<details open>
<summary>All {{len .Students}} students, lowest score first</summary>
<table>
<tr><th>student</th><th>score</th><th>failing steps</th><th>known mistakes</th><th>feedback</th></tr>
{{range .Students}}<tr class="student"><td>{{.Student}}</td><td class="n">{{.Score}}</td><td>{{if .Error}}<span class="err">not graded</span>{{else}}{{joinIDs .Failed}}{{end}}</td><td>{{range .Mistakes}}{{.}}<br>{{end}}</td><td><a href="{{.Feedback}}">{{.Feedback}}</a></td></tr>
{{end}}</table>
</details>
</section>
</main>
</body>
</html>
`
