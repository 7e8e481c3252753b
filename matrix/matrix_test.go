package matrix

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
)

func testExercise(t *testing.T) *exercises.Exercise {
	t.Helper()
	ex, err := exercises.Parse("two.yaml", []byte(`id: two
title: Two steps
steps:
  - {id: set, title: Set, file: a.redis, checks: [{key: k, equals: "1"}]}
  - {id: script, title: Script, file: b.lua, checks: [{key: k, equals: "1"}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func graded(server, version string, scriptPassed bool, message string) ColumnResult {
	e := report.Engine{Kind: "process", Server: server, Version: version}
	rep := &report.Report{Exercise: "two", Engine: e, Score: 1, MaxScore: 2, Steps: []report.Step{
		{ID: "set", Passed: true, Score: 1, MaxScore: 1},
		{ID: "script", Passed: scriptPassed, MaxScore: 1, Checks: []report.Check{{Name: "commands run without errors", Passed: scriptPassed, Message: message}}},
	}}
	if scriptPassed {
		rep.Score = 2
	}
	return ColumnResult{Engine: e, Report: rep}
}

// The table has a row per step and a column per server; a step two servers that graded it disagree on is
// marked, with each server's verdict and why; refused and failed servers are said apart and left out of
// the comparison; student text stays text.
func TestTable(t *testing.T) {
	ex := testExercise(t)
	cols := []ColumnResult{
		graded("redis", "7.0.15", false, "EVAL returned (error) ERR user_script:1: Script attempted to access nonexistent global variable 'os' \x1b[31mred\x1b[0m"+strings.Repeat(" and more", 20)),
		graded("valkey", "8.1.1", true, ""),
		{Engine: report.Engine{Kind: "docker", Server: "valkey", Version: "8.1.1"}, Report: graded("valkey", "8.1.1", true, "").Report},
		{Engine: report.Engine{Kind: "process", Server: "valkey", Version: "8.0.1"}, Refused: "needs Redis >=7.4 (no Valkey)"},
		{Error: "start redis-server: exec: no such file"},
		graded("redis", "7.0.15", false, "the same again"),
	}
	res := build(ex, "ann\x1b]52;c;bad\x07", cols)
	if want := []bool{true, false}; res.Steps[0].Agree != want[0] || res.Steps[1].Agree != want[1] || !res.Disagree() {
		t.Errorf("agree %v %v, want true false", res.Steps[0].Agree, res.Steps[1].Agree)
	}
	wantVerdicts := []string{Fail, Pass, Pass, Refused, Error, Fail}
	if got := res.Steps[1].Verdicts; strings.Join(got, ",") != strings.Join(wantVerdicts, ",") {
		t.Errorf("verdicts %v, want %v", got, wantVerdicts)
	}
	var b bytes.Buffer
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Two steps (two)\n",
		"on 6 servers\n",
		"step      Redis 7.0.15  Valkey 8.1.1  Valkey 8.1.1 (docker)  Valkey 8.0.1  server 5  Redis 7.0.15 #2\n",
		"1 set     ✔ pass        ✔ pass        ✔ pass                 refused       error     ✔ pass\n",
		"2 script  ✘ fail        ✔ pass        ✔ pass                 refused       error     ✘ fail  ≠\n",
		"≠ The servers disagree:\n  step 2 (script):\n",
		"    fail on Redis 7.0.15: commands run without errors: EVAL returned (error) ERR user_script:1: Script attempted to access nonexistent global variable 'os' \\x1b[31mred\\x1b[0m and more an…\n",
		"    pass on Valkey 8.1.1\n    pass on Valkey 8.1.1 (docker)\n    fail on Redis 7.0.15 #2: commands run without errors: the same again\nValkey 8.0.1: refused",
		"Valkey 8.0.1: refused, the exercise needs Redis >=7.4 (no Valkey).\n",
		"server 5: could not grade: start redis-server: exec: no such file\n",
		"Scores: Redis 7.0.15 1/2 · Valkey 8.1.1 2/2 · Valkey 8.1.1 (docker) 2/2 · Redis 7.0.15 #2 1/2\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("student text reached the terminal raw:\n%q", out)
	}
	b.Reset()
	if err := res.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Columns) != 6 || back.Steps[1].Agree || back.Columns[1].Engine.Server != "valkey" {
		t.Errorf("JSON read back: %v, %+v", err, back)
	}
}

// Servers that agree are said to; one server alone has nothing to compare.
func TestTableAgreement(t *testing.T) {
	ex := testExercise(t)
	for _, tc := range []struct {
		cols []ColumnResult
		want string
	}{
		{[]ColumnResult{graded("redis", "8.0.2", true, ""), graded("valkey", "8.1.1", true, "")}, "The servers that graded it agree on every step.\n"},
		{[]ColumnResult{graded("redis", "8.0.2", true, ""), {Refused: "needs Redis >=9"}}, "1 server graded it: nothing to compare.\n"},
	} {
		res := build(ex, "ann", tc.cols)
		var b bytes.Buffer
		if err := res.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if res.Disagree() || !strings.Contains(b.String(), tc.want) {
			t.Errorf("want %q:\n%s", tc.want, b.String())
		}
	}
}
