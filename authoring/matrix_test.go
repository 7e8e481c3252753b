package authoring

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/redistest"
	"github.com/redisgrade/redisgrade/internal/redistest/versions"
)

// Every shipped exercise holds up on every server of the version matrix, side by side, as it does on the
// default engines (TestShippedExercisesHoldUp, which proves it on the machine's own redis-server): its
// reference passes and every mutant is caught. A server outside an exercise's requires refuses it, naming
// both ranges, before anything runs.
func TestShippedExercisesOnEveryServer(t *testing.T) {
	for _, tg := range versions.Targets(t) {
		if tg.Default {
			continue
		}
		t.Run(tg.Label, func(t *testing.T) {
			t.Parallel()
			sess, err := grader.NewSession(context.Background(), redistest.VersionEngine(t, tg.Server, tg.Docker))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(sess.Close)
			if info := sess.Info(); info.Server != tg.Server.Kind() || info.Version != tg.Server.Version() {
				t.Fatalf("the engine says it runs %s %s", info.Server, info.Version)
			}
			for _, name := range exercises.Shipped() {
				t.Run(name, func(t *testing.T) { holdsUp(t, sess, name) })
			}
		})
	}
}

// holdsUp proves a shipped exercise on a real server's session, or checks that the server refuses it.
func holdsUp(t *testing.T, sess *grader.Session, name string) {
	t.Helper()
	ex, err := exercises.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	info := sess.Info()
	if !ex.Requires.Admits(info.Server, info.Version, info.Compatible) {
		checkRefused(t, sess, ex)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := Test(ctx, ex, sess, grader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Surprises {
		t.Error(s)
	}
	// A real server grades every step, but one whose own requires leave this server out.
	for _, skipped := range out.Skipped {
		if !outOfRange(ex, skipped, info.Server, info.Version, info.Compatible) {
			t.Errorf("a real server graded only part of it; skipped: %v", skipped)
		}
	}
	if killed, total := out.Score(); killed != total {
		t.Errorf("mutation score %d/%d: want every mutant killed", killed, total)
	}
}

// checkRefused checks that exercise test refuses the exercise on this server, naming both ranges.
func checkRefused(t *testing.T, sess *grader.Session, ex *exercises.Exercise) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Test(ctx, ex, sess, grader.Options{})
	var refused *grader.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), ex.Requires.Describe()) {
		t.Errorf("outside requires (%s), exercise test gave %v, want the refusal naming both ranges", ex.Requires.Describe(), err)
	}
}

// outOfRange reports whether a skipped step (its id) or mutant ("mutant NAME") belongs to a step whose own
// requires leave the server out.
func outOfRange(ex *exercises.Exercise, skipped, server, version, compatible string) bool {
	stepID := skipped
	if name, ok := strings.CutPrefix(skipped, "mutant "); ok {
		stepID = ""
		for _, m := range ex.Mutants {
			if m.Name == name {
				stepID = m.Fails
			}
		}
		if stepID == "" { // an empty file of the tester's own: "empty step4.redis"
			for _, s := range ex.Steps {
				if "empty "+s.File == name {
					stepID = s.ID
				}
			}
		}
	}
	for _, s := range ex.Steps {
		if s.ID == stepID {
			return !s.Requires.Admits(server, version, compatible)
		}
	}
	return false
}
