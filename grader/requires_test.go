package grader

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

const requiresSpec = `id: needs-new
title: Needs a newer server
requires: REQUIRES
steps:
  - id: old
    title: Old
    file: old.redis
    checks: [{key: k, equals: "1"}]
  - id: new
    title: New
    file: new.redis
    requires: {redis: ">=99.0", valkey: ">=99.0"}
    checks: [{key: k, equals: "1"}]
`

// countingEngine counts the student's connections to its servers: none may be made for a grading that is
// refused.
func countingEngine(eng engine.Engine, n *atomic.Int64) engine.Engine {
	return &studentOptsEngine{Engine: eng, edit: func(_ engine.Server, opts *redis.Options) {
		opts.OnConnect = func(context.Context, *redis.Conn) error {
			n.Add(1)
			return nil
		}
	}}
}

// An exercise whose requires leave the server out is refused before any of the student's code runs, naming
// both ranges and the server; a step whose own requires leave it out is not graded, saying why, and the
// other steps are.
func TestRequires(t *testing.T) {
	sub, err := submissions.OpenFiles("sub", map[string][]byte{"old.redis": []byte("SET k 1\n"), "new.redis": []byte("SET k 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			var conns atomic.Int64
			eng := countingEngine(testEngine(t, kind), &conns)

			spec := strings.Replace(requiresSpec, "REQUIRES", `{redis: ">=8.0", valkey: none}`, 1)
			ex, err := exercises.Parse("needs-new.yaml", []byte(spec))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Grade(t.Context(), ex, sub, eng, Options{})
			var refused *RefusedError
			var infraErr *InfraError
			if !errors.As(err, &refused) || !errors.As(err, &infraErr) {
				t.Fatalf("grading on Redis 7.0: %v, want a refusal (an InfraError: exit 3)", err)
			}
			want := map[string]string{
				engine.KindProcess:  "exercise needs-new needs Redis >=8.0 (no Valkey); the process engine runs Redis 7.0.",
				engine.KindEmbedded: "exercise needs-new needs Redis >=8.0 (no Valkey); the embedded engine runs miniredis",
			}[kind]
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal %q, want it to say %q", err, want)
			}
			if n := conns.Load(); n != 0 {
				t.Errorf("the student's connection was opened %d times for a refused grading", n)
			}

			spec = strings.Replace(requiresSpec, "REQUIRES", `{redis: ">=7.0"}`, 1)
			if ex, err = exercises.Parse("needs-new.yaml", []byte(spec)); err != nil {
				t.Fatal(err)
			}
			rep, err := Grade(t.Context(), ex, sub, eng, Options{})
			if err != nil {
				t.Fatal(err)
			}
			old, new := rep.Steps[0], rep.Steps[1]
			if !old.Passed {
				t.Errorf("step old should pass:\n%s", failures(old))
			}
			if !new.NotGradable || new.Passed || len(new.Checks) != 0 ||
				!strings.Contains(new.Note, "not graded: this step needs Redis >=99.0 or Valkey >=99.0; the "+kind+" engine runs ") {
				t.Errorf("step new: not gradable %v, passed %v, %d checks, note %q; want it not graded, saying why", new.NotGradable, new.Passed, len(new.Checks), new.Note)
			}
		})
	}
}
