package exercises

import (
	"strings"
	"testing"
)

func TestRangeAllows(t *testing.T) {
	for _, tc := range []struct {
		text string
		in   []string
		out  []string
	}{
		{">=7.0", []string{"7.0.15", "7.2", "7", "8.0.2", "7.0"}, []string{"6.2.14", "x", ""}},
		{">= 7.4", []string{"7.4.0", "8.0.2"}, []string{"7.2.4", "7.0.15"}},
		{">=7.2, <8", []string{"7.2.4", "7.4.2"}, []string{"8.0.0", "8.0.2", "7.0.15"}},
		{">7.2 <=8.0", []string{"7.2.1", "8.0", "8.0.0"}, []string{"7.2", "7.2.0", "8.0.2"}},
		{">=8.0, >=7.0", []string{"8.0.2"}, []string{"7.4.2"}}, // the tighter lower bound wins
		{"<8, <7.4", []string{"7.2.4"}, []string{"7.4.0"}},
		{">=8.1.0", []string{"8.1.0-rc1", "8.1.1"}, []string{"8.0.2"}}, // a pre-release counts as its release
		{"none", nil, []string{"7.0.15", "8.0.2"}},
		{"", []string{"7.0.15", "anything"}, nil},
	} {
		r, err := ParseRange(tc.text)
		if err != nil {
			t.Fatalf("ParseRange(%q): %v", tc.text, err)
		}
		for _, v := range tc.in {
			if !r.Allows(v) {
				t.Errorf("%q should allow %q", tc.text, v)
			}
		}
		for _, v := range tc.out {
			if r.Allows(v) {
				t.Errorf("%q should not allow %q", tc.text, v)
			}
		}
	}
}

func TestRangeErrors(t *testing.T) {
	for text, want := range map[string]string{
		"7.0":         `"7.0": each bound starts with >=, >, <= or <`,
		">=seven":     `">=seven": "seven" is not a version`,
		">=7.4, ~8":   `each bound starts with`,
		"any":         `"any": each bound starts with`,
		">=7..4":      `"7..4" is not a version`,
		"=>7.0":       `each bound starts with`,
		">=7.0 <":     `"" is not a version`,
		"none, >=7.0": `each bound starts with`,
	} {
		_, err := ParseRange(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRange(%q) = %v, want an error with %q", text, err, want)
		}
	}
}

func TestRangeEmptyAndIntersect(t *testing.T) {
	parse := func(s string) Range {
		t.Helper()
		r, err := ParseRange(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for text, empty := range map[string]bool{
		">=8, <7": true, ">=8, <8": true, ">8, <=8": true, ">=8, <=8": false, ">=7.2, <8": false, "none": true, "": false,
	} {
		if got := parse(text).Empty(); got != empty {
			t.Errorf("%q: Empty() = %v, want %v", text, got, empty)
		}
	}
	for _, tc := range []struct{ a, b, want string }{
		{">=7.4", ">=8.0", ">=8.0"},
		{">=7.4", "<8", ">=7.4, <8"},
		{">=7.4, <8", ">=8.0", ">=8.0, <8"},
		{"", ">=9.0", ">=9.0"},
		{"none", ">=7.0", "none"},
		{"", "", "(any version)"},
	} {
		if got := parse(tc.a).Intersect(parse(tc.b)).String(); got != tc.want {
			t.Errorf("%q ∩ %q = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	if got := parse(">= 7.0").Min(); got != "7.0" {
		t.Errorf("Min = %q", got)
	}
}

// A Valkey is judged by the Valkey range where the spec gives one, else by the Redis range at the Redis
// version it answers as; the emulator by the Redis range at the version it emulates.
func TestRequiresAdmits(t *testing.T) {
	type server struct{ name, version, compatible string }
	redis70, redis80 := server{"redis", "7.0.15", ""}, server{"redis", "8.0.2", ""}
	valkey81, valkey91 := server{"valkey", "8.1.1", "7.2.4"}, server{"valkey", "9.1.2", "7.2.4"}
	emulator := server{"miniredis", "miniredis v2.40.0", "7.0"}
	for _, tc := range []struct {
		q       Requires
		in, out []server
		says    string
	}{
		{Requires{Redis: ">=7.0"}, []server{redis70, redis80, valkey81, emulator}, nil,
			"Redis >=7.0 (Valkey judged as the Redis version it answers as)"},
		{Requires{Redis: ">=7.4"}, []server{redis80}, []server{redis70, valkey81, valkey91, emulator}, ""},
		{Requires{Redis: ">=7.4", Valkey: ">=9.0"}, []server{redis80, valkey91}, []server{redis70, valkey81, emulator},
			"Redis >=7.4 or Valkey >=9.0"},
		{Requires{Redis: ">=7.0", Valkey: "none"}, []server{redis70, redis80, emulator}, []server{valkey81},
			"Redis >=7.0 (no Valkey)"},
		{Requires{Redis: "none", Valkey: ">=8"}, []server{valkey81, valkey91}, []server{redis70, redis80, emulator},
			"Valkey >=8 (no Redis)"},
		{Requires{Redis: "<8"}, []server{redis70, valkey81, emulator}, []server{redis80}, ""},
		{Requires{}, []server{redis70, redis80, valkey81, emulator}, nil, ""},
	} {
		for _, s := range tc.in {
			if !tc.q.Admits(s.name, s.version, s.compatible) {
				t.Errorf("%+v should admit %v", tc.q, s)
			}
		}
		for _, s := range tc.out {
			if tc.q.Admits(s.name, s.version, s.compatible) {
				t.Errorf("%+v should refuse %v", tc.q, s)
			}
		}
		if tc.says != "" && tc.q.Describe() != tc.says {
			t.Errorf("%+v: Describe() = %q, want %q", tc.q, tc.q.Describe(), tc.says)
		}
	}
}

func TestRequiresPositionedErrors(t *testing.T) {
	spec := `id: x
title: X
requires: {redis: ">=seven", valkey: "7.2"}
steps:
  - id: a
    title: A
    file: a.redis
    requires:
      redis: none
      valkey: none
    checks: [{key: k, equals: "1"}]
`
	_, err := Parse("bad.yaml", []byte(spec))
	for _, want := range []string{
		`bad.yaml:3:11: requires.redis: ">=seven": "seven" is not a version such as 7.4 or 8.0.2`,
		`bad.yaml:3:11: requires.valkey: "7.2": each bound starts with >=, >, <= or <`,
		`bad.yaml:9:7: step 1: requires: redis and valkey are both none, so no server can grade it`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant %s", err, want)
		}
	}
}
