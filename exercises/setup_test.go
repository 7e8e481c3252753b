package exercises

import (
	"strings"
	"testing"
)

// setup takes only `reference`, which needs a reference; compare must read
// the student's keys before an atomicity probe changes them.
func TestSetupAndCompareRules(t *testing.T) {
	spec := func(step string, withRef bool) string {
		s := "id: x\ntitle: X\nsteps:\n  - id: a\n    title: A\n    file: a.redis\n" + step
		if withRef {
			s += "reference:\n  a.redis: \"SET stock 1\\n\"\n"
		}
		return s
	}
	tests := []struct {
		name, step string
		withRef    bool
		want       string
	}{
		{"setup: reference", "    setup: reference\n    checks: [{compare: reference}]\n", true, ""},
		{"an unknown setup", "    setup: earlier\n    checks: [{compare: reference}]\n", true, `x.yaml:4:5: step 1: setup can only be reference, not "earlier"`},
		{"setup without a reference", "    setup: reference\n    checks: [{key: k, absent: true}]\n", false, "x.yaml:4:5: step 1: setup: reference runs the reference's earlier steps, but the exercise has no reference"},
		{"compare before atomic", "    checks: [{compare: reference}, {atomic: [stock, sales]}]\n", true, ""},
		{"compare after atomic", "    checks: [{atomic: [stock, sales]}, {compare: reference}]\n", true, "x.yaml:4:5: step 1: put compare before the atomic and serializable checks"},
		{"a bad replies", "    checks: [{compare: reference, replies: first}]\n", true, `replies must be reads, all, last, none or a list of commands such as [HGETALL], not "first"`},
		{"compare what", "    checks: [{compare: solution}]\n", true, "compare can only be `compare: reference`"},
	}
	for _, tt := range tests {
		_, err := Parse("x.yaml", []byte(spec(tt.step, tt.withRef)))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}
