package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type step struct {
	Pos     Pos           `yaml:"-"`
	ID      string        `yaml:"id"`
	Points  float64       `yaml:"points"`
	Hidden  bool          `yaml:"hidden"`
	Timeout time.Duration `yaml:"timeout"`
	Runs    int           `yaml:"runs"`
	File    *string       `yaml:"file"`
}

type spec struct {
	ID     string            `yaml:"id"`
	Tags   []string          `yaml:"tags"`
	Given  map[string]string `yaml:"given"`
	Steps  []step            `yaml:"steps"`
	Common `yaml:",inline"`
}

type Common struct {
	Title string `yaml:"title"`
}

func decode(t *testing.T, src string) (*spec, error) {
	t.Helper()
	root, err := Parse("s.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	d := &Decoder{File: "s.yaml"}
	var s spec
	d.Decode(root, &s)
	return &s, d.Err()
}

func TestDecodeGoodValues(t *testing.T) {
	s, err := decode(t, `id: x
title: Inline field
tags: [a, b]
given: {stock: 100}
steps:
  - id: one
    points: 1.5
    hidden: true
    timeout: 300ms
    runs: 0x10
    file: step1.redis
  - id: two
    file: null
`)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "x" || s.Title != "Inline field" || len(s.Tags) != 2 || s.Given["stock"] != "100" {
		t.Errorf("decoded %+v", s)
	}
	one, two := s.Steps[0], s.Steps[1]
	if one.Points != 1.5 || !one.Hidden || one.Timeout != 300*time.Millisecond || one.Runs != 16 || *one.File != "step1.redis" {
		t.Errorf("step one %+v", one)
	}
	if one.Pos != (Pos{6, 5}) || two.Pos != (Pos{12, 5}) {
		t.Errorf("positions %v %v, want 6:5 and 12:5", one.Pos, two.Pos)
	}
	if two.File != nil {
		t.Errorf("file: null should leave it unset, got %q", *two.File)
	}
}

// TestEveryProblemAtOnceWithColumns: one run reports each problem, in file
// order, at its line and column, and goes on decoding after each.
func TestEveryProblemAtOnceWithColumns(t *testing.T) {
	_, err := decode(t, `id: [not, a, string]
titel: typo
steps:
  - id: one
    points: lots
    hidden: yes please
    timeout: -1s
    runs: 99999999999999999999
    extra: 1
  - id: two
    id: again
given: [a]
`)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v, want Errors", err)
	}
	want := []string{
		`s.yaml:1:5: expected a string, found a list`,
		`s.yaml:2:1: unknown field "titel" (known: id, tags, given, steps, title)`,
		`s.yaml:5:13: expected a number, found "lots"`,
		`s.yaml:6:13: expected true or false, found "yes please"`,
		`s.yaml:7:14: expected a positive duration such as 2s or 500ms, found "-1s"`,
		`s.yaml:8:11: expected an integer, found the number 99999999999999999999`, // YAML makes it a float
		`s.yaml:9:5: unknown field "extra" (known: id, points, hidden, timeout, runs, file)`,
		`s.yaml:11:5: duplicate key "id" (first at line 10)`,
		`s.yaml:12:8: expected a mapping, found a list`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

// TestWhatYAMLv3Gives pins down why this package exists. yaml.v3's
// KnownFields(true) does report every unknown field, but as text in one
// error, by line only, and has no notion of a position to hand to later
// validation. If yaml.v3 starts giving columns, this test
// says so and the package's doc comment must change.
func TestWhatYAMLv3Gives(t *testing.T) {
	src := "titel: a\nsteps:\n  - idd: one\n"
	dec := yaml.NewDecoder(bytes.NewReader([]byte(src)))
	dec.KnownFields(true)
	var s struct {
		Title string `yaml:"title"`
		Steps []struct {
			ID string `yaml:"id"`
		} `yaml:"steps"`
	}
	err := dec.Decode(&s)
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) != 2 ||
		!strings.HasPrefix(te.Errors[0], "line 1: field titel not found") ||
		!strings.HasPrefix(te.Errors[1], "line 3: field idd not found") {
		t.Fatalf("yaml.v3 KnownFields gave %#v", err)
	}

	_, ours := decode(t, src)
	if ours == nil || !strings.Contains(ours.Error(), `s.yaml:1:1: unknown field "titel"`) ||
		!strings.Contains(ours.Error(), `s.yaml:3:5: unknown field "idd"`) {
		t.Errorf("ours: %v", ours)
	}
}

func TestSyntaxErrorsArePositioned(t *testing.T) {
	_, err := Parse("s.yaml", []byte("id: x\nsteps: [\n  - a\n"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Line == 0 || !strings.HasPrefix(err.Error(), "s.yaml:") {
		t.Errorf("syntax error %v", err)
	}
	if _, err := Parse("e.yaml", []byte("# only a comment\n")); err == nil || err.Error() != "e.yaml: the file is empty" {
		t.Errorf("empty file: %v", err)
	}
}

func TestAliasesAreFollowed(t *testing.T) {
	s, err := decode(t, "id: &name shared\ntitle: *name\n")
	if err != nil || s.Title != "shared" {
		t.Errorf("alias: %+v, %v", s, err)
	}
}

func TestDescribe(t *testing.T) {
	root, err := Parse("d.yaml", []byte("[~, 1, 1.5, true, text, [a], {a: b}]"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"nothing (null)", "the integer 1", "the number 1.5", "the boolean true", `"text"`, "a list", "a mapping"}
	for i, n := range root.Content {
		if got := Describe(n); got != want[i] {
			t.Errorf("Describe(%s) = %q, want %q", n.Value, got, want[i])
		}
	}
}

// laughs is a "billion laughs": each level a list of ten aliases of the
// one before, so the last expands to 10^levels nodes from a few hundred
// bytes.
func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("id: x\ntags: &l0 [\"lol\"]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// TestAliasExpansionBounded: aliases that would expand past the bound, or
// nest past the depth, are refused by Parse, before anything decodes
// them, at the alias that goes over; anchors used as authors use them
// pass.
func TestAliasExpansionBounded(t *testing.T) {
	bomb := laughs(9)
	if len(bomb) > 1024 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	var deep strings.Builder
	deep.WriteString("a0: &a0 [x]\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&deep, "a%d: &a%d [*a%d]\n", i, i, i-1)
	}
	for _, tt := range []struct {
		name, src, want string
	}{
		{"a billion laughs", bomb, "s.yaml:7:15: the aliases up to *l4 expand to over 100000 nodes"},
		{"aliases nested deep", deep.String(), "nests the document over 100 levels deep"},
		{"a literal list nested deep", "id: " + strings.Repeat("[", 120) + strings.Repeat("]", 120) + "\n", "s.yaml:1:104: the document nests over 100 levels deep here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.src))
			var es Errors
			if !errors.As(err, &es) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v, want an Error saying %q", err, tt.want)
			}
		})
	}
	ok := "id: x\ntags: &t [a, b]\ngiven: &g {k: v}\nsteps:\n  - {id: one, file: &f f.redis}\n  - {id: two, file: *f}\nlabels: [*t, *t, *g]\n"
	if _, err := Parse("s.yaml", []byte(ok)); err != nil {
		t.Errorf("anchors used as authors use them: %v", err)
	}
	if _, err := Parse("s.yaml", []byte(laughs(4))); err != nil {
		t.Errorf("10,000 aliased nodes: %v", err)
	}
}

// TestUnreadableCharacterLocated: a control character or a byte that is
// not UTF-8, which yaml.v3 refuses without a position, is located.
func TestUnreadableCharacterLocated(t *testing.T) {
	for src, want := range map[string]string{
		"id: x\ntitle: a\x1b[31mred\n":     "s.yaml:2:9: control character U+001B is not allowed in YAML",
		"id: x\ntitle: \"ok\"\ntask: \x07": "s.yaml:3:7: control character U+0007 is not allowed in YAML",
		"id: x\ntitle: caf\xe9\n":          "s.yaml:2:11: byte 0xe9 is not UTF-8",
	} {
		_, err := Parse("s.yaml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
