package exercises

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/checks"
)

func TestShippedLuaAtomicity(t *testing.T) {
	ex, err := Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range ex.Steps {
		ids = append(ids, s.ID)
	}
	if got, want := strings.Join(ids, ","), "setup,script,run-atomically,return-values"; got != want {
		t.Errorf("step ids = %s, want %s", got, want)
	}
	if ex.MaxScore() != 4 {
		t.Errorf("max score = %v, want 4", ex.MaxScore())
	}
	if !ex.Steps[1].IsScript() || ex.Steps[0].IsScript() {
		t.Errorf("step 2 should be a script and step 1 not")
	}
	// Step-level checks apply in every case, before the case's own.
	cases := ex.Steps[3].RunCases()
	if len(cases) != 3 {
		t.Fatalf("step 4 has %d cases, want 3", len(cases))
	}
	if n := len(cases[0].Checks); n != 3 {
		t.Errorf("step 4 case 1 has %d checks, want 3 (change, calls, reply)", n)
	}
	if _, ok := cases[0].Checks[2].(*checks.ReplyCheck); !ok {
		t.Errorf("step 4 case 1's last check is %T, want a reply check", cases[0].Checks[2])
	}
	if ex.Source != "exercises/lua-atomicity.yaml" {
		t.Errorf("source = %q", ex.Source)
	}
}

func TestEveryShippedSpecLoads(t *testing.T) {
	for _, name := range Shipped() {
		if _, err := Load(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A spec with many mistakes reports all of them at once, in file order, each
// with its line and column.
func TestParseReportsEveryProblem(t *testing.T) {
	spec := `id: Bad_ID
title: t
timeout: soon
colour: blue
steps:
  - id: one
    title: One
    file: step1.redis
    points: many
    checks:
      - key: stock
        equals: "1"
        extra: 1
      - frobnicate: yes
  - id: one
    title: Again
    file: step2.txt
    checks:
      - reply: 1.5
  - title: No file
    checks: nope
  - id: four
    title: Empty case
    file: s.lua
    cases:
      - given: {a: "1"}
`
	_, err := Parse("bad.yaml", []byte(spec))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`bad.yaml:1:1: the exercise needs an id of lower-case letters, digits and dashes, such as lua-atomicity`,
		`bad.yaml:3:10: expected a positive duration such as 2s or 500ms, found "soon"`,
		`bad.yaml:4:1: unknown field "colour" (known: id, title, summary, requires, timeout, points, steps, reference, mutants)`,
		`bad.yaml:9:13: expected a number, found "many"`,
		`bad.yaml:13:9: unknown field "extra" (known: key, equals, absent, type, list, set, zset, hash, why)`,
		`bad.yaml:14:9: unknown check kind "frobnicate" (known: atomic, calls, change, compare, key, keys, reply, sent, serializable, ttl, uses)`,
		`bad.yaml:15:5: duplicate step id "one" (first at line 6)`,
		`bad.yaml:15:5: step 2: file "step2.txt" must end in .redis (commands) or .lua (a script)`,
		`bad.yaml:19:16: RESP2 has no floating-point replies (Lua truncates numbers to integers): write an integer, or quote it for a string`,
		`bad.yaml:20:5: step 3 needs an id of lower-case letters, digits and dashes`,
		`bad.yaml:20:5: step 3 needs a file: the submission file it grades, such as step1.redis`,
		`bad.yaml:21:13: expected a list of checks, found "nope"`,
		`bad.yaml:26:9: step 4: a case with no checks cannot fail; add checks to the step or the case`,
	}
	got := strings.Split(err.Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestParseErrorsAreSpecific(t *testing.T) {
	base := "id: x\ntitle: X\nsteps:\n  - id: s\n    title: S\n    file: f.redis\n    checks:\n"
	tests := []struct{ name, checks, want string }{
		{"key needs equals or absent", "      - key: k\n", "f.yaml:8:9: a key check needs exactly one of `equals`, `absent: true`, `list`, `set`, `zset` or `hash` (or just `type`)"},
		{"reply bool", "      - reply: true\n", "f.yaml:8:16: RESP2 has no booleans (Lua true becomes the integer 1, false becomes nil): write 1 or null"},
		{"reply bad mapping", "      - reply: {ok: 1}\n", `f.yaml:8:16: expected a reply; the only mapping a reply can be is {error: "ERR ..."}`},
		{"calls not a map", "      - calls: [decr]\n", "f.yaml:8:16: expected a mapping, found a list"},
		{"change not int", "      - change: {stock: down}\n", `f.yaml:8:25: expected an integer, found "down"`},
		{"duplicate key", "      - change: {a: 1, a: 2}\n", `f.yaml:8:24: duplicate key "a" (first at line 8)`},
		{"atomic one key", "      - atomic: [stock]\n", "f.yaml:8:9: an atomic check needs at least two keys whose sum stays the same"},
		{"sent negative", "      - sent: DECR\n        times: -1\n", "f.yaml:8:9: times must not be negative"},
		{"check not a mapping", "      - key\n", `f.yaml:8:9: expected a check such as ` + "`key: stock`" + `, found "key"`},
		{"null string", "      - key: ~\n        absent: true\n", "f.yaml:8:14: expected a string, found nothing (null)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(base+tt.checks))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseSyntaxErrorIsPositioned(t *testing.T) {
	_, err := Parse("s.yaml", []byte("id: x\nsteps: [\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "s.yaml:") {
		t.Fatalf("got %v, want an error naming s.yaml and a line", err)
	}
	if _, err := Parse("e.yaml", []byte("# nothing\n")); err == nil || err.Error() != "e.yaml: the file is empty" {
		t.Errorf("empty file: got %v", err)
	}
}

func TestLoadByPathAndName(t *testing.T) {
	data, err := os.ReadFile("lua-atomicity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "copy.yaml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ex, err := Load(p)
	if err != nil || ex.ID != "lua-atomicity" || ex.Source != p {
		t.Fatalf("Load(%s) = %v, %v", p, ex, err)
	}
	if _, err := Load("no-such-exercise"); err == nil || !strings.Contains(err.Error(), "shipped: ") || !strings.Contains(err.Error(), "lua-atomicity") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadNamesIgnoreCaseAndSuggest(t *testing.T) {
	ex, err := Load("Lua-Atomicity")
	if err != nil || ex.ID != "lua-atomicity" || ex.Source != "exercises/lua-atomicity.yaml" {
		t.Fatalf("Load(Lua-Atomicity) = %v, %v", ex, err)
	}
	_, err = Load("lua-atomicty")
	var unknown *UnknownError
	if !errors.As(err, &unknown) || unknown.Meant != "lua-atomicity" ||
		!strings.Contains(err.Error(), `no exercise named "lua-atomicty" (did you mean "lua-atomicity"?)`) {
		t.Errorf("a typo: %v", err)
	}
	_, err = Load("nothing-like-it")
	if !errors.As(err, &unknown) || unknown.Meant != "" || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("far from every name: %v", err)
	}
}

func TestMutantIDs(t *testing.T) {
	spec := `id: x
title: X
steps:
  - {id: a, title: A, file: a.redis, checks: [{key: k, equals: "1"}]}
  - {id: b, title: B, file: b.redis, checks: [{key: k, equals: "1"}]}
reference: {a.redis: "SET k 1", b.redis: "SET k 1"}
mutants:
  - {name: "Wrong value, again!", fails: a, files: {a.redis: "SET k 2"}}
  - {name: "Wrong value, again!", fails: b, files: {b.redis: "SET k 2"}}
  - {name: other, id: wrong-value-again, fails: b, files: {b.redis: "SET k 3"}}
  - {name: bad id, id: Bad_Id, fails: a, files: {a.redis: "SET k 4"}}
`
	_, err := Parse("m.yaml", []byte(spec))
	want := []string{
		`m.yaml:10:5: mutant "other": id "wrong-value-again" is also the id of the mutant at line 9, which fails the same step; give one an id of its own`,
		`m.yaml:11:5: mutant "bad id": id "Bad_Id" must be lower-case letters, digits and dashes`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	ex, err := Parse("m.yaml", []byte(strings.Split(spec, "  - {name: other")[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got := ex.Mutants[0].ID; got != "wrong-value-again" {
		t.Errorf("default id = %q, want the slug of the name", got)
	}
}
