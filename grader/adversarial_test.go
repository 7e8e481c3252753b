package grader

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

type adversary struct {
	Description string              `yaml:"description"`
	Steps       map[string]string   `yaml:"steps"`
	Messages    map[string][]string `yaml:"messages"`
	Keyspace    map[string][]string `yaml:"keyspace"` // what "the keys your commands left" must show, all of it
	Generate    map[string]int64    `yaml:"generate"` // file name: size, made by the test
	// Timeout replaces adversaryTimeout where the hostile step is slow but
	// not stuck (writing 40 MB), so that what is checked is its message.
	Timeout time.Duration `yaml:"timeout"`
}

// adversaryTimeout keeps the suite quick: every hostile step is cut at
// this, instead of the spec's 2s.
const adversaryTimeout = 500 * time.Millisecond

// TestAdversarialSubmissions grades each hostile submission under
// submissions/adversarial on every engine: the right step fails with a
// clear message, in bounded time, the other steps pass, and the correct
// submission graded next on the same engine passes.
func TestAdversarialSubmissions(t *testing.T) {
	root := filepath.Join("..", "submissions", "adversarial", "lua-atomicity")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	correct, err := submissions.Open(filepath.Join("..", "submissions", "examples", "lua-atomicity", "correct"))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run once every engine's parallel subtests are done.
	t.Cleanup(func() {
		if n := childRedisServers(t); n > 0 {
			t.Errorf("%d redis-server processes of ours are still running", n)
		}
	})
	for _, kind := range engineKinds {
		t.Run(kind, func(t *testing.T) {
			// The engines run side by side; on each, one warm session
			// grades every adversary and, after each, the correct
			// submission, as a batch would.
			t.Parallel()
			pool := testPool(t, testEngine(t, kind), kind)
			for _, e := range entries {
				t.Run(e.Name(), func(t *testing.T) {
					dir := filepath.Join(root, e.Name())
					var want adversary
					data, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
					if err != nil {
						t.Fatal(err)
					}
					if err := yaml.Unmarshal(data, &want); err != nil {
						t.Fatal(err)
					}
					sub, err := submissions.Open(materialize(t, dir, want.Generate))
					if err != nil {
						t.Fatal(err)
					}
					began := time.Now()
					timeout := adversaryTimeout
					if want.Timeout > 0 {
						timeout = want.Timeout
					}
					rep, err := pool.Grade(context.Background(), ex, sub, Options{Timeout: timeout})
					took := time.Since(began)
					if err != nil {
						t.Fatalf("the grader failed instead of the student: %v", err)
					}
					if took > 20*time.Second {
						t.Errorf("grading took %s", took)
					}
					for _, st := range rep.Steps {
						verdict := map[bool]string{true: "pass", false: "fail"}[st.Passed]
						if verdict != want.Steps[st.ID] {
							t.Errorf("step %s: %s, want %s (%s)\n%s", st.ID, verdict, want.Steps[st.ID], want.Description, failures(st))
							continue
						}
						if subs := want.Messages[st.ID]; len(subs) > 0 && !mentionsAny(failures(st), subs) {
							t.Errorf("step %s: the failure should mention one of %q:\n%s", st.ID, subs, failures(st))
						}
						for _, sub := range want.Keyspace[st.ID] {
							if !strings.Contains(st.Keyspace, sub) {
								t.Errorf("step %s: the keys left should show %q:\n%s", st.ID, sub, st.Keyspace)
							}
						}
					}
					t.Logf("%s in %s", want.Description, took.Round(time.Millisecond))

					// The engine is unharmed: the next submission grades as usual.
					rep, err = pool.Grade(context.Background(), ex, correct, Options{})
					if err != nil || !rep.Passed() {
						t.Fatalf("the correct submission after this one: %v\n%+v", err, rep)
					}
				})
			}
		})
	}
}

// materialize copies dir to a temp folder and adds the generated files: a
// 40 MB file is made at test time rather than kept in git.
func materialize(t *testing.T, dir string, generate map[string]int64) string {
	t.Helper()
	if len(generate) == 0 {
		return dir
	}
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	line := []byte("EVAL \"redis.call('DECR', 'stock') redis.call('INCR', 'sales')\" 0\n")
	for name, size := range generate {
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		for written := int64(0); written < size; written += int64(len(line)) {
			if _, err := f.Write(line); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	return out
}

func mentionsAny(text string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// childRedisServers counts redis-server processes whose parent is us.
func childRedisServers(t *testing.T) int {
	t.Helper()
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	me := strconv.Itoa(os.Getpid())
	n := 0
	for _, p := range procs {
		stat, err := os.ReadFile(filepath.Join("/proc", p.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		close := strings.LastIndexByte(s, ')')
		open := strings.IndexByte(s, '(')
		if open < 0 || close < 0 {
			continue
		}
		fields := strings.Fields(s[close+1:])
		if len(fields) > 1 && s[open+1:close] == "redis-server" && fields[1] == me {
			n++
		}
	}
	return n
}
