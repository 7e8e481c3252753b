package workspace

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

var kinds = []string{engine.KindProcess, engine.KindEmbedded}

func grade(t *testing.T, kind, dir string) *report.Report {
	t.Helper()
	eng, _, err := engine.New(t.Context(), kind, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := ws.Exercise()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := submissions.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := grader.Grade(ctx, ex, sub, eng, grader.Options{})
	if err != nil {
		t.Fatalf("%s engine: %v", kind, err)
	}
	return rep
}

// The files init writes are "not done yet" for the grader, on every engine,
// and the check screen says so in words instead of listing checks; the
// answers, written in, pass.
func TestStarterFilesAreNotDoneYet(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			ex := loadLua(t)
			dir := t.TempDir()
			ws, err := Init(dir, ex, "lua-atomicity")
			if err != nil {
				t.Fatal(err)
			}
			rep := grade(t, kind, dir)
			if Done(rep) != 0 || FirstUnfinished(rep) != 0 {
				t.Fatalf("a fresh workspace has %d steps done", Done(rep))
			}
			if msg := rep.Steps[0].Checks[0].Message; !strings.Contains(msg, "holds only comments") {
				t.Errorf("step 1: %q", msg)
			}
			var out bytes.Buffer
			if err := ws.RenderCheck(&out, ex, rep, false); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"✘ Step 1: Set up the stock and sales keys (step1.redis)", "    In step1.redis, write the Redis commands",
				"step1.redis holds only comments so far: write your commands below\n      them, then save.",
				"Stuck? Run redisgrade hint for a hint (2 in all, one at a time).", "· Step 2:", "[□□□□] 0/4 steps"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("screen lacks %q:\n%s", want, out.String())
				}
			}

			// Step 2 alone: the comment-only script returns nil and fails.
			answers := map[string]string{"step1.redis": "SET stock 100\nSET sales 0\n"}
			write(t, dir, answers)
			rep = grade(t, kind, dir)
			if !rep.Steps[0].Passed || rep.Steps[1].Passed || FirstUnfinished(rep) != 1 {
				t.Fatalf("after step 1: %+v", rep.Steps[:2])
			}
			out.Reset()
			_ = ws.RenderCheck(&out, ex, rep, false)
			if !strings.Contains(out.String(), "step2.lua holds only comments so far: write your script below them,\n      then save.") ||
				!strings.Contains(out.String(), "[■□□□] 1/4 steps") {
				t.Errorf("screen:\n%s", out.String())
			}

			write(t, dir, map[string]string{
				"step2.lua":   "-- my answer\nredis.call('DECR', 'stock')\nredis.call('INCR', 'sales')\n",
				"step3.redis": "EVAL \"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\" 0\n",
				"step4.lua":   "local stock = redis.call('DECR', 'stock')\nlocal sales = redis.call('INCR', 'sales')\nreturn {stock, sales}\n",
			})
			if rep = grade(t, kind, dir); !rep.Passed() {
				t.Errorf("the answers do not pass: %+v", rep.Steps)
			}
		})
	}
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
