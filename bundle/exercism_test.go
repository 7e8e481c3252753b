package bundle

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func exercismDir(t *testing.T, exercise string) string {
	t.Helper()
	b, err := New(exercise, grader(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "exercism-runner")
	if err := b.Exercism(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExercismLayout(t *testing.T) {
	dir := exercismDir(t, hiddenSpec)
	want := map[string]fs.FileMode{"Dockerfile": 0o644, "README.md": 0o644, SpecFile: 0o644,
		"bin/run.sh": 0o755, "bin/redisgrade": 0o755}
	var got []string
	if err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("files %q, want %v", got, want)
	}
	for name, mode := range want {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want mode %v", name, info, err, mode)
		}
	}
	docker, _ := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	for _, want := range []string{"FROM debian:", "apt-get install -y --no-install-recommends redis-server",
		"WORKDIR /opt/test-runner", "COPY exercise.yaml ./", `ENTRYPOINT ["/opt/test-runner/bin/run.sh"]`} {
		if !bytes.Contains(docker, []byte(want)) {
			t.Errorf("Dockerfile lacks %q:\n%s", want, docker)
		}
	}
	if out, err := run(t, nil, "bash", "-n", filepath.Join(dir, "bin", "run.sh")); err != nil {
		t.Errorf("run.sh: %v\n%s", err, out)
	}
	shipped := exercismDir(t, "lua-atomicity")
	if _, err := os.Stat(filepath.Join(shipped, SpecFile)); err == nil {
		t.Error("a shipped exercise's runner holds a spec file")
	}
}

type exercismResult struct {
	Version int     `json:"version"`
	Status  string  `json:"status"`
	Message *string `json:"message"`
	Tests   []map[string]any
}

// bin/run.sh SLUG INPUT_DIR OUTPUT_DIR, as Exercism runs it (paths with and
// without a trailing slash): results.json in the output folder, exit 0
// whatever the tests did, and no output key (the student's code printed
// nothing).
func TestExercismRunSh(t *testing.T) {
	needRedis(t)
	dir := exercismDir(t, "lua-atomicity")
	runSh := filepath.Join(dir, "bin", "run.sh")
	exercismRun := func(t *testing.T, input string, env ...string) (exercismResult, string) {
		t.Helper()
		output := t.TempDir()
		out, err := run(t, env, runSh, "lua-atomicity", input+"/", output)
		if err != nil {
			t.Fatalf("run.sh: %v\n%s", err, out)
		}
		var res exercismResult
		readJSON(t, filepath.Join(output, "results.json"), &res)
		raw, _ := os.ReadFile(filepath.Join(output, "results.json"))
		if bytes.Contains(raw, []byte(`"output"`)) {
			t.Errorf("results.json has an output:\n%s", raw)
		}
		return res, out
	}
	for _, tt := range []struct {
		submission, status string
		failed             int
	}{
		{"correct", "pass", -1},
		{"two-commands", "fail", 2},
	} {
		t.Run(tt.submission, func(t *testing.T) {
			input := filepath.Join(t.TempDir(), "solution")
			copyDir(t, examples+tt.submission, input)
			// Exercism's solution folder holds its own files too.
			copyDir(t, examples+tt.submission, filepath.Join(input, ".exercism"))
			if err := os.WriteFile(filepath.Join(input, "HELP.md"), []byte("# Help\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, out := exercismRun(t, input)
			if res.Version != 3 || res.Status != tt.status || res.Message != nil || len(res.Tests) != 4 {
				t.Fatalf("results: %+v\n%s", res, out)
			}
			for i, tc := range res.Tests {
				want := "pass"
				if i == tt.failed {
					want = "fail"
				}
				if tc["status"] != want || tc["task_id"] != float64(i+1) {
					t.Errorf("test %d: %v", i, tc)
				}
			}
			if tt.failed >= 0 && !strings.Contains(fmt.Sprint(res.Tests[tt.failed]["message"]), "sends no DECR command") {
				t.Errorf("the failing test's message: %v", res.Tests[tt.failed]["message"])
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		input := t.TempDir()
		for i := range 1001 { // over the 1000 entries a submission may hold
			if err := os.WriteFile(filepath.Join(input, fmt.Sprintf("f%d.redis", i)), []byte("PING\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, _ := exercismRun(t, input)
		if res.Status != "error" || res.Message == nil || !strings.Contains(*res.Message, "too many entries") ||
			res.Tests == nil || len(res.Tests) != 0 {
			t.Errorf("results: %+v", res)
		}
	})

	t.Run("grader failure", func(t *testing.T) {
		input, output := t.TempDir(), t.TempDir()
		copyDir(t, examples+"correct", input)
		out, err := run(t, []string{"REDISGRADE_ENGINE=docker-that-is-not"}, runSh, "lua-atomicity", input, output)
		if err == nil || !strings.Contains(out, "without a result") {
			t.Fatalf("run.sh: %v with a broken grader:\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(output, "results.json")); err == nil {
			t.Error("a results.json was written though nothing was graded")
		}
	})

	t.Run("usage", func(t *testing.T) {
		out, err := run(t, nil, runSh, "lua-atomicity", t.TempDir())
		if err == nil || !strings.Contains(out, "usage: ") {
			t.Errorf("run.sh with two arguments: %v\n%s", err, out)
		}
	})
}
