package grader

import (
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
)

// A compare check resets the server to run the reference, and the reset forgets what the student's commands
// did that the emulator cannot answer as Redis: the step must still go ungraded there, and be graded on a
// real server.
func TestUnfaithfulSurvivesCompare(t *testing.T) {
	ex, err := exercises.Parse("unfaithful.yaml", []byte(`id: unfaithful
title: A command the emulator lacks, then a comparison
steps:
  - id: one
    title: Set a key and read it
    hint: SET, then GET.
    file: step1.redis
    points: 1
    checks:
      - compare: reference
reference:
  step1.redis: "SET k 1\nGET k\n"
`))
	if err != nil {
		t.Fatal(err)
	}
	sub := writeSubmission(t, map[string]string{"step1.redis": "SET k 1\nOBJECT ENCODING k\n"})
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			st := grade(t, ex, sub, testEngine(t, kind)).Steps[0]
			switch {
			case kind == engine.KindEmbedded && !st.NotGradable:
				t.Errorf("graded on the emulator (passed %v), though OBJECT ENCODING is not emulated:\n%s", st.Passed, failures(st))
			case kind == engine.KindEmbedded && !strings.Contains(st.Note, "OBJECT ENCODING"):
				t.Errorf("the note does not name OBJECT ENCODING: %q", st.Note)
			case kind != engine.KindEmbedded && (st.NotGradable || st.Passed):
				t.Errorf("on %s: not gradable %v, passed %v; want a failed step (OBJECT ENCODING replies otherwise than GET)", kind, st.NotGradable, st.Passed)
			}
		})
	}
}
