package workspace

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
)

func TestNextHintOneMoreEachTime(t *testing.T) {
	step := &exercises.Step{ID: "s", Title: "A step", File: "s.redis", Hint: "first", Hints: []string{"second", "third"}}
	var st State
	for i, want := range [][]string{{"first"}, {"first", "second"}, {"first", "second", "third"}} {
		res := st.NextHint(step)
		if !res.Fresh || res.Total != 3 || !reflect.DeepEqual(res.Hints, want) {
			t.Fatalf("ask %d: %+v, want fresh %v", i+1, res, want)
		}
		if st.HintsSeen["s"] != i+1 {
			t.Fatalf("ask %d: seen %d", i+1, st.HintsSeen["s"])
		}
	}
	res := st.NextHint(step)
	if res.Fresh || len(res.Hints) != 3 || st.HintsSeen["s"] != 3 {
		t.Errorf("after all hints: %+v, seen %d", res, st.HintsSeen["s"])
	}
	var out bytes.Buffer
	if err := RenderHints(&out, 1, step, res, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Step 2: A step (s.redis)", "No more hints for this step: you have seen all 3. Here they are again:",
		"Hint 1 of 3:\n    first", "Hint 3 of 3:\n    third", "That is every hint"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A state file from a spec with more hints than now: still bounded.
	st.HintsSeen["s"] = 9
	if res := st.NextHint(step); res.Fresh || len(res.Hints) != 3 {
		t.Errorf("seen beyond the hints: %+v", res)
	}
}

func TestNextHintFreshOutput(t *testing.T) {
	step := &exercises.Step{ID: "s", Title: "A step", File: "s.lua", Hint: "first", Hints: []string{"second"}}
	var st State
	res := st.NextHint(step)
	var out bytes.Buffer
	if err := RenderHints(&out, 0, step, res, false); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "Hint 1 of 2:\n    first") || !strings.Contains(s, "Run redisgrade hint again for the next one (1 more)") ||
		strings.Contains(s, "second") || strings.Contains(s, "No more hints") {
		t.Errorf("output:\n%s", s)
	}
}

func TestNoHints(t *testing.T) {
	step := &exercises.Step{ID: "s", Title: "A step", File: "s.lua"}
	var st State
	res := st.NextHint(step)
	if res.Fresh || res.Total != 0 || st.HintsSeen != nil {
		t.Errorf("%+v, state %+v", res, st)
	}
	var out bytes.Buffer
	_ = RenderHints(&out, 0, step, res, false)
	if !strings.Contains(out.String(), "no hints") {
		t.Errorf("output:\n%s", out.String())
	}
}
