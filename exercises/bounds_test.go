package exercises

import (
	"strings"
	"testing"
)

// TestBounds: numbers past their bounds and file names that are path
// tricks are refused where they stand; values at the bounds load.
func TestBounds(t *testing.T) {
	spec := func(top, step string) string {
		return "id: x\ntitle: X\n" + top + "steps:\n  - id: s\n    title: S\n" + step + "    checks:\n      - key: k\n        absent: true\n"
	}
	file := "    file: f.redis\n"
	tests := []struct{ name, src, want string }{
		{"points past the bound", spec("", file+"    points: 1001\n"), "f.yaml:4:5: step 1: points 1001: a step is worth at most 1000"},
		{"points that would add up to +Inf", "id: x\ntitle: X\nsteps:\n  - {id: a, title: A, file: a.redis, points: 1e308, checks: [{keys: []}]}\n  - {id: b, title: B, file: b.redis, points: 1e308, checks: [{keys: []}]}\n",
			"f.yaml:4:5: step 1: points 1e+308: a step is worth at most 1000\nf.yaml:5:5: step 2: points 1e+308: a step is worth at most 1000"},
		{"an exercise worth too much", spec("points: 1001\n", file), "f.yaml:1:1: points 1001: an exercise is worth from 0 to 1000 a step"},
		{"an exercise worth less than nothing", spec("points: -1\n", file), "f.yaml:1:1: points -1: an exercise is worth from 0 to 1000 a step"},
		{"a timeout no command meets", spec("", file+"    timeout: 1ns\n"), "f.yaml:4:5: step 1: timeout 1ns: a case's time limit is from 10ms to 10m0s"},
		{"a timeout past any deadline", spec("timeout: 1000h\n", file), "f.yaml:1:1: the exercise's timeout 1000h0m0s: a case's time limit is from 10ms to 10m0s"},
		{"a backslash", spec("", "    file: 'sub\\step1.redis'\n"), `f.yaml:4:5: step 1: file "sub\\step1.redis" holds a backslash, a folder separator on Windows: a step's file is a plain name`},
		{"a Windows device", spec("", "    file: CON.redis\n"), `f.yaml:4:5: step 1: file "CON.redis" is a device on Windows, whatever its extension: choose another name`},
		{"a dot-file", spec("", "    file: .hidden.redis\n"), `f.yaml:4:5: step 1: file ".hidden.redis" must be a plain name`},
		{"a control character", spec("", "    file: \"a\\e[2J.redis\"\n"), `f.yaml:4:5: step 1: file "a\x1b[2J.redis" must be a plain name`},
		{"a bidi override", spec("", "    file: \"a\\u202eb.redis\"\n"), `f.yaml:4:5: step 1: file "a\u202eb.redis" must be a plain name`},
		{"a drive", spec("", "    file: \"C:step1.redis\"\n"), `f.yaml:4:5: step 1: file "C:step1.redis" must be a plain name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
	for _, ok := range []string{
		spec("points: 1000\n", file+"    points: 1000\n    timeout: 10ms\n"),
		spec("timeout: 10m\n", "    file: Übung_1-a.redis\n    points: 0.25\n"),
	} {
		if _, err := Parse("f.yaml", []byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
