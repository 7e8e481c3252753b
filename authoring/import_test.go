package authoring

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
)

func parsePage(t *testing.T, text string) *Page {
	t.Helper()
	p, err := ParsePage("page.txt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The page's own words land in the spec, verbatim; the platform's chrome
// and emoji do not.
func TestParsePage(t *testing.T) {
	data, err := os.ReadFile("testdata/import/views.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePage("views.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Counting Page Views with Redis Counters" {
		t.Errorf("title = %q", p.Title)
	}
	if !strings.HasPrefix(p.Scenario, "A blog wants") || !strings.HasPrefix(p.Goal, "Keep a counter") {
		t.Errorf("scenario %q, goal %q", p.Scenario, p.Goal)
	}
	if len(p.Learn) != 3 || p.Learn[2] != "Update both from one Lua script" {
		t.Errorf("learn = %q", p.Learn)
	}
	want := []PageStep{
		{Title: "Create the counter", Task: "Create a key called views:home holding 0 using a Redis command.", Language: "Redis", Hint: "Use SET to store a value."},
		{Title: "Write a Lua script that records one view", Language: "Redis", Hint: "redis.call runs a Redis command from the script; return its result.",
			Task: "Write a Lua script that increments views:home by 1 with redis.call('INCR', 'views:home'), pushes the reader ann onto the list readers:home with LPUSH, and returns the new count."},
		{Title: "Read the recent readers", Task: "Use LRANGE to read every element of readers:home, then GET views:home.", Language: "Redis", Hint: "LRANGE key 0 -1 returns the whole list."},
	}
	if len(p.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(p.Steps), len(want))
	}
	for i, w := range want {
		got := p.Steps[i]
		got.Line = 0
		if got != w {
			t.Errorf("step %d:\n got %+v\nwant %+v", i+1, got, w)
		}
	}
	files := []string{"step1.redis", "step2.lua", "step3.redis"}
	for i, s := range p.Steps {
		if f := s.File(i + 1); f != files[i] {
			t.Errorf("step %d file = %s, want %s", i+1, f, files[i])
		}
	}
}

// The same page, written other ways, reads the same.
func TestParsePageVariations(t *testing.T) {
	plain := "Title Here\nScenario: A shop.\nGoal: Count.\nProgress 0 / 2 steps\n1\nFirst\nDo one.\nRedis\nNeed a hint?\nUse SET.\n2\nSecond\nDo two.\nLua\n"
	variants := map[string]string{
		"no emoji, spaces in Progress, no What You'll Learn": plain,
		"CRLF":              strings.ReplaceAll(plain, "\n", "\r\n"),
		"blank lines":       strings.ReplaceAll(plain, "\n", "\n\n\n"),
		"emoji":             strings.Replace(strings.Replace(plain, "Scenario:", "📖 Scenario:", 1), "Goal:", "🎯 Goal:", 1),
		"indented":          strings.ReplaceAll(plain, "\n", "\n   "),
		"lower-case":        strings.Replace(plain, "Progress 0 / 2 steps", "progress0/2 Steps", 1),
		"a byte-order mark": "\ufeff" + plain,
	}
	for name, text := range variants {
		t.Run(name, func(t *testing.T) {
			p := parsePage(t, text)
			if p.Title != "Title Here" || p.Scenario != "A shop." || p.Goal != "Count." || len(p.Steps) != 2 {
				t.Fatalf("got %+v", p)
			}
			s1, s2 := p.Steps[0], p.Steps[1]
			if s1.Title != "First" || s1.Task != "Do one." || s1.Hint != "Use SET." || s1.Language != "Redis" {
				t.Errorf("step 1 = %+v", s1)
			}
			// Step 2 has no hint at all.
			if s2.Title != "Second" || s2.Task != "Do two." || s2.Hint != "" || s2.Language != "Lua" {
				t.Errorf("step 2 = %+v", s2)
			}
		})
	}
	// A hint marker with no hint after it, and a task of two lines.
	p := parsePage(t, "T\nProgress0 / 1 steps\n1\nOnly\nLine one.\nLine two.\nRedis\nNeed a hint?\n")
	if s := p.Steps[0]; s.Task != "Line one.\nLine two." || s.Hint != "" {
		t.Errorf("step = %+v", s)
	}
}

func TestParsePageErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Title\nScenario: x\n1\nStep\nTask.\n", "page.txt:1: no `Progress 0 / N steps` line"},
		{"Title\nProgress0 / 3 steps\n1\nA\nDo a.\n2\nB\nDo b.\n", "page.txt:2: the page says 3 steps, but 2 follow"},
		{"Title\nProgress0 / 1 steps\nstray text\n1\nA\nDo a.\n", `page.txt:3: expected step 1's number, found "stray text"`},
		{"Title\nProgress0 / 2 steps\n1\nA\nDo a.\n2\n", "page.txt:6: step 2 has no title"},
		{"Title\nProgress0 / 1 steps\n\n1\nA\nRedis\nNeed a hint?\nh\n", "page.txt:4: step 1 (A) has no task"},
		{"0\n0\nProgress0 / 1 steps\n1\nA\nDo a.\n", "page.txt:1: no title"},
		{"Title\n\xff\nProgress0 / 1 steps\n", "page.txt:1: the page is not UTF-8 text"},
		// A page's escapes would reach students' terminals through the spec.
		{"Title\r\nProgress 0 / 1 steps\r\n1\r\nA\r\nDo \x1b[2Ja.\r\n", "page.txt:5: U+001B at column 4 is a terminal control"},
		{"Title\nScenario: \u202eevil\nProgress 0 / 1 steps\n1\nA\nDo a.\n", "page.txt:2: U+202E at column 11 is a terminal control"},
		{"Title\nProgress 0 / 1 steps\n1\nA\nDo a.\nNeed a hint?\nring \a\n", "page.txt:7: U+0007 at column 6 is a terminal control"},
	}
	for _, tt := range tests {
		_, err := ParsePage("page.txt", []byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestStepFile(t *testing.T) {
	tests := map[string]string{
		"Write a Lua script that decreases stock":                      ".lua",
		"Modify the Lua script to return the values":                   ".lua",
		"Use the Redis EVAL command to run the Lua script atomically.": ".redis",
		"Create two Redis keys called stock and sales":                 ".redis",
		"Write a script that sets a key":                               ".redis", // no Lua named
	}
	for task, ext := range tests {
		if f := (PageStep{Title: "Step", Task: task}).File(2); f != "step2"+ext {
			t.Errorf("%q: %s, want step2%s", task, f, ext)
		}
	}
	if s := exercises.Slug("Why Lua scripts enable atomicity in Redis - See It in Action!"); s != "why-lua-scripts-enable-atomicity-in-redis-see-it-in-action" {
		t.Errorf("slug = %q", s)
	}
}

// The whole path: import a page, lint says what is missing, fill in the
// reference, and the exercise grades: the reference passes, empty files and
// a wrong answer fail.
func TestImportedExerciseGrades(t *testing.T) {
	data, err := os.ReadFile("testdata/import/views.txt")
	if err != nil {
		t.Fatal(err)
	}
	page, err := ParsePage("views.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Skeleton(page, "views.txt")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exercises.Parse("views.yaml", spec)
	if err != nil {
		t.Fatalf("the skeleton does not load: %v\n%s", err, spec)
	}
	if ex.ID != "counting-page-views-with-redis-counters" || ex.Steps[1].Task != page.Steps[1].Task || ex.Steps[2].Hint != page.Steps[2].Hint {
		t.Errorf("the skeleton lost the page's words:\n%s", spec)
	}
	if ex.Steps[0].Setup != "" || ex.Steps[1].Setup != "reference" || ex.Steps[2].Setup != "reference" {
		t.Errorf("setups %q %q %q: later steps start from the reference's", ex.Steps[0].Setup, ex.Steps[1].Setup, ex.Steps[2].Setup)
	}
	var lint []string
	for _, e := range Lint(ex) {
		lint = append(lint, e.Error())
	}
	want := []string{
		"views.yaml:12:5: step 1 (step1): the reference's step1.redis is still a TODO: write the commands that solve the step",
		"views.yaml:20:5: step 2 (step2): the reference's step2.lua is still a TODO: write the Lua script that solves the step",
		"views.yaml:29:5: step 3 (step3): the reference's step3.redis is still a TODO: write the commands that solve the step",
	}
	if strings.Join(lint, "\n") != strings.Join(want, "\n") {
		t.Errorf("lint:\n%s\nwant:\n%s\nspec:\n%s", strings.Join(lint, "\n"), strings.Join(want, "\n"), spec)
	}

	ex.Reference = map[string]string{
		"step1.redis": "SET views:home 0\n",
		"step2.lua":   "local n = redis.call('INCR', 'views:home')\nredis.call('LPUSH', 'readers:home', 'ann')\nreturn n\n",
		"step3.redis": "LRANGE readers:home 0 -1\nGET views:home\n",
	}
	if errs := Lint(ex); len(errs) > 0 {
		t.Errorf("lint after filling the reference: %v", errs)
	}
	sess := session(t, engine.KindProcess)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := Test(ctx, ex, sess, grader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A skeleton compares with the reference only: exercise test says where
	// that lets the end state written directly through, for the author to
	// add what the task names, and nothing else.
	for _, s := range out.Surprises {
		if !strings.Contains(s, "(forged-state) passes") || !(strings.HasPrefix(s, "step step1:") || strings.HasPrefix(s, "step step2:")) {
			t.Error(s)
		}
	}
	if len(out.Surprises) != 2 {
		t.Errorf("surprises %q: want the forged state of steps 1 and 2", out.Surprises)
	}
	if killed, total := out.Score(); killed != total || total != 3 {
		t.Errorf("mutation score %d/%d, want 3/3", killed, total)
	}
	rep := gradeText(t, sess, ex, map[string]string{
		"step1.redis": "SET views:home 0\n",
		"step2.lua":   "redis.call('LPUSH', 'readers:home', 'ann')\nreturn redis.call('INCR', 'views:home')\n",
		"step3.redis": "LRANGE readers:home 1 -1\nGET views:home\n",
	})
	if !rep.Steps[0].Passed || !rep.Steps[1].Passed || rep.Steps[2].Passed {
		t.Fatalf("passed = %v %v %v, want true true false", rep.Steps[0].Passed, rep.Steps[1].Passed, rep.Steps[2].Passed)
	}
}

// Lint names what a reference-graded step still needs.
func TestLintUnfinishedReference(t *testing.T) {
	spec := `id: x
title: X
steps:
  - id: a
    title: A
    hint: h
    file: a.redis
    points: 1
    checks:
      - compare: reference
  - id: b
    title: B
    hint: h
    file: b.lua
    points: 1
    checks:
      - compare: reference
reference:
  a.redis: "# only a comment\n"
  b.lua: "  \n"
`
	ex, err := exercises.Parse("x.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	got := Lint(ex).Error()
	for _, w := range []string{
		"x.yaml:4:5: step 1 (a): the reference's a.redis holds only comments: write the commands that solve the step",
		"x.yaml:11:5: step 2 (b): the reference's b.lua is empty",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("lint:\n%s\nlacks %q", got, w)
		}
	}
	ex.Reference = nil
	if got := Lint(ex).Error(); !strings.Contains(got, "step 1 (a): compare: reference needs a reference solution: add `reference:` with a.redis") {
		t.Errorf("lint without a reference:\n%s", got)
	}
}
