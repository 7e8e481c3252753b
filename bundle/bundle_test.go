package bundle

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const (
	examples   = "../submissions/examples/lua-atomicity/"
	hiddenSpec = "../testdata/lms/hidden.yaml"
)

var (
	buildOnce sync.Once
	buildDir  string
	builtPath string
	buildErr  error
)

// grader builds the redisgrade command once per test run, as the bundles
// ship it: a static linux/amd64 binary.
func grader(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "redisgrade-bundle-test-"); buildErr != nil {
			return
		}
		builtPath = filepath.Join(buildDir, "redisgrade")
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", builtPath, "github.com/redisgrade/redisgrade/cmd/redisgrade")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtPath
}

// A Gradescope bundle made once per exercise, and its files unpacked once.
type gradescopeBundle struct {
	zip    []byte
	modes  map[string]fs.FileMode
	source string // the unpacked files
}

var (
	bundlesMu sync.Mutex
	bundles   = map[string]*gradescopeBundle{}
)

// gradescopeZip makes the bundle as an instructor does, with `redisgrade
// bundle gradescope`: the same Gradescope code, without the race detector,
// under which deflating the 26 MB binary took most of this package's time.
func gradescopeZip(t *testing.T, exercise string) *gradescopeBundle {
	t.Helper()
	bin := grader(t)
	bundlesMu.Lock()
	defer bundlesMu.Unlock()
	if gb, ok := bundles[exercise]; ok {
		return gb
	}
	zipPath := filepath.Join(buildDir, fmt.Sprintf("gradescope-%d.zip", len(bundles)))
	out, err := run(t, nil, bin, "bundle", "gradescope", "--exercise", exercise, "-o", zipPath)
	if err != nil {
		t.Fatalf("redisgrade bundle gradescope --exercise %s: %v\n%s", exercise, err, out)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("warnings for a static build:\n%s", out)
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	gb := &gradescopeBundle{zip: data, source: filepath.Join(buildDir, fmt.Sprintf("source-%d", len(bundles)))}
	if err := os.Mkdir(gb.source, 0o755); err != nil {
		t.Fatal(err)
	}
	gb.modes = unzip(t, gb.zip, gb.source)
	bundles[exercise] = gb
	return gb
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func needRedis(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("these tests grade on a real redis-server: install it (apt-get install redis-server)")
	}
}

// copyDir copies the regular files of src into dst, modes kept.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "expected.yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// unzip extracts a bundle as Gradescope does, modes kept.
func unzip(t *testing.T, data []byte, dst string) map[string]fs.FileMode {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]fs.FileMode{}
	for _, f := range zr.File {
		if strings.Contains(f.Name, "/") {
			t.Errorf("zip entry %q is not at the root", f.Name)
		}
		modes[f.Name] = f.Mode()
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f.Name), content, f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return modes
}

func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// gradescopeRoot lays out a temporary /autograder from a bundle and a
// submission, as Gradescope does: source/ holds the unpacked zip,
// run_autograder is copied to the root, submission/ holds the student's files.
func gradescopeRoot(t *testing.T, gb *gradescopeBundle, submission string) string {
	t.Helper()
	root := t.TempDir()
	source := filepath.Join(root, "source")
	copyDir(t, gb.source, source)
	script, err := os.ReadFile(filepath.Join(source, "run_autograder"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "run_autograder"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	if submission != "" {
		copyDir(t, submission, filepath.Join(root, "submission"))
	}
	return root
}

type gradescopeResult struct {
	Score  float64 `json:"score"`
	Output string  `json:"output"`
	Tests  []struct {
		Name       string  `json:"name"`
		Score      float64 `json:"score"`
		MaxScore   float64 `json:"max_score"`
		Status     string  `json:"status"`
		Output     string  `json:"output"`
		Visibility string  `json:"visibility"`
	} `json:"tests"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
}

func TestGradescopeZipLayout(t *testing.T) {
	for _, tt := range []struct {
		exercise string
		files    []string
	}{
		{"lua-atomicity", []string{"setup.sh", "run_autograder", "redisgrade"}},
		{hiddenSpec, []string{"setup.sh", "run_autograder", "redisgrade", SpecFile}},
	} {
		t.Run(filepath.Base(tt.exercise), func(t *testing.T) {
			gb := gradescopeZip(t, tt.exercise)
			dir, modes := gb.source, gb.modes
			if len(modes) != len(tt.files) {
				t.Errorf("entries %v, want %v", modes, tt.files)
			}
			for _, f := range tt.files {
				mode, ok := modes[f]
				want := fs.FileMode(0o755)
				if f == SpecFile {
					want = 0o644
				}
				if !ok || mode.Perm() != want {
					t.Errorf("%s: mode %v (present %v), want %v", f, mode, ok, want)
				}
			}
			bin, _ := os.ReadFile(grader(t))
			if got, _ := os.ReadFile(filepath.Join(dir, "redisgrade")); !bytes.Equal(got, bin) {
				t.Error("the bundled binary differs from the one given")
			}
			if tt.exercise == hiddenSpec {
				spec, _ := os.ReadFile(hiddenSpec)
				if got, _ := os.ReadFile(filepath.Join(dir, SpecFile)); !bytes.Equal(got, spec) {
					t.Error("the bundled spec differs from the file given")
				}
			}
			for _, script := range []string{"setup.sh", "run_autograder"} {
				if out, err := run(t, nil, "bash", "-n", filepath.Join(dir, script)); err != nil {
					t.Errorf("%s: %v\n%s", script, err, out)
				}
			}
		})
	}
}

// run_autograder grades submission/ against a temporary /autograder and
// writes results.json, exiting 0 whether the student passed or not.
func TestGradescopeRunAutograder(t *testing.T) {
	needRedis(t)
	gb := gradescopeZip(t, "lua-atomicity")
	for _, tt := range []struct {
		submission string
		score      float64
		failed     []string
	}{
		{"correct", 4, nil},
		{"two-commands", 3, []string{"Run the script atomically with EVAL"}},
	} {
		t.Run(tt.submission, func(t *testing.T) {
			root := gradescopeRoot(t, gb, examples+tt.submission)
			out, err := run(t, []string{"AUTOGRADER_ROOT=" + root}, filepath.Join(root, "run_autograder"))
			if err != nil {
				t.Fatalf("run_autograder: %v\n%s", err, out)
			}
			var res gradescopeResult
			readJSON(t, filepath.Join(root, "results", "results.json"), &res)
			if res.Score != tt.score || len(res.Tests) != 4 {
				t.Fatalf("score %v with %d tests, want %v with 4\n%s", res.Score, len(res.Tests), tt.score, out)
			}
			var failed []string
			for _, tc := range res.Tests {
				if tc.Status == "failed" {
					failed = append(failed, tc.Name)
				}
				if tc.Visibility != "visible" {
					t.Errorf("%s: visibility %q", tc.Name, tc.Visibility)
				}
			}
			if fmt.Sprint(failed) != fmt.Sprint(tt.failed) {
				t.Errorf("failed tests %q, want %q", failed, tt.failed)
			}
			if tt.failed != nil && !strings.Contains(res.Tests[2].Output, "sends no DECR command") {
				t.Errorf("the failing test's output:\n%s", res.Tests[2].Output)
			}
			if _, err := os.Stat(filepath.Join(root, "results", "results.json.part")); err == nil {
				t.Error("the partial file was left behind")
			}
		})
	}
}

// A spec given by path is bundled and used; its hidden step is shown after
// the due date, and the summary does not give it away.
func TestGradescopeHiddenStep(t *testing.T) {
	needRedis(t)
	root := gradescopeRoot(t, gradescopeZip(t, hiddenSpec), examples+"two-commands")
	if out, err := run(t, []string{"AUTOGRADER_ROOT=" + root}, filepath.Join(root, "run_autograder")); err != nil {
		t.Fatalf("run_autograder: %v\n%s", err, out)
	}
	var res gradescopeResult
	readJSON(t, filepath.Join(root, "results", "results.json"), &res)
	if len(res.Tests) != 2 || res.Tests[0].Visibility != "visible" || res.Tests[1].Visibility != "after_due_date" ||
		res.Tests[1].Status != "failed" || res.Score != 1 {
		t.Fatalf("results: %+v", res)
	}
	if !strings.Contains(res.Output, "1 step is hidden until the due date") || strings.Contains(res.Output, "failed") {
		t.Errorf("output:\n%s", res.Output)
	}
}

// One archive uploaded is graded; a submission that cannot be read still
// gets a results.json that says why, and the script exits 0.
func TestGradescopeSubmissionKinds(t *testing.T) {
	needRedis(t)
	gb := gradescopeZip(t, "lua-atomicity")

	t.Run("one zip", func(t *testing.T) {
		root := gradescopeRoot(t, gb, "")
		sub := filepath.Join(root, "submission")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		writeZip(t, filepath.Join(sub, "Work.ZIP"), examples+"correct")
		if out, err := run(t, []string{"AUTOGRADER_ROOT=" + root}, filepath.Join(root, "run_autograder")); err != nil {
			t.Fatalf("run_autograder: %v\n%s", err, out)
		}
		var res gradescopeResult
		readJSON(t, filepath.Join(root, "results", "results.json"), &res)
		if res.Score != 4 {
			t.Errorf("score %v", res.Score)
		}
	})

	t.Run("unreadable", func(t *testing.T) {
		root := gradescopeRoot(t, gb, "")
		sub := filepath.Join(root, "submission")
		if err := os.WriteFile(sub, []byte("not a folder"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := run(t, []string{"AUTOGRADER_ROOT=" + root}, filepath.Join(root, "run_autograder")); err != nil {
			t.Fatalf("run_autograder: %v\n%s", err, out)
		}
		var res gradescopeResult
		readJSON(t, filepath.Join(root, "results", "results.json"), &res)
		if res.Score != 0 || len(res.Tests) != 0 || !strings.Contains(res.Output, "could not be read") ||
			strings.Contains(res.Output, root) {
			t.Errorf("results: %+v", res)
		}
	})

	t.Run("grader failure", func(t *testing.T) {
		root := gradescopeRoot(t, gb, examples+"correct")
		out, err := run(t, []string{"AUTOGRADER_ROOT=" + root, "REDISGRADE_ENGINE=docker-that-is-not"}, filepath.Join(root, "run_autograder"))
		if err == nil {
			t.Fatalf("run_autograder succeeded with a broken grader:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(root, "results", "results.json")); err == nil {
			t.Error("a results.json was written though nothing was graded")
		}
		if !strings.Contains(out, "without a result") {
			t.Errorf("log:\n%s", out)
		}
	})
}

func writeZip(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create("work/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// setup.sh installs with apt-get (faked here), installs the binary, and stops
// the build when the image's Redis is older than the exercise needs.
func TestGradescopeSetup(t *testing.T) {
	needRedis(t)
	root := gradescopeRoot(t, gradescopeZip(t, "lua-atomicity"), "")
	fake := t.TempDir()
	log := filepath.Join(fake, "apt.log")
	writeScript(t, filepath.Join(fake, "apt-get"), `echo "apt-get $*" >> "`+log+`"`)
	bin := t.TempDir()
	env := []string{"AUTOGRADER_ROOT=" + root, "REDISGRADE_BIN_DIR=" + bin, "PATH=" + fake + ":" + os.Getenv("PATH")}

	out, err := run(t, env, "bash", filepath.Join(root, "source", "setup.sh"))
	if err != nil {
		t.Fatalf("setup.sh: %v\n%s", err, out)
	}
	calls, _ := os.ReadFile(log)
	if string(calls) != "apt-get update\napt-get install -y --no-install-recommends redis-server\n" {
		t.Errorf("apt-get calls:\n%s", calls)
	}
	if info, err := os.Stat(filepath.Join(bin, "redisgrade")); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("installed binary: %v %v", info, err)
	}

	writeScript(t, filepath.Join(fake, "redis-server"), `echo "Redis server v=6.0.16 sha=00000000:0 malloc=jemalloc-5.2.1 bits=64 build=a3fdef44459b3ad6"`)
	out, err = run(t, env, "bash", filepath.Join(root, "source", "setup.sh"))
	if err == nil || !strings.Contains(out, "needs Redis >= 7.0; this image's redis-server is 6.0.16") ||
		!strings.Contains(out, "Ubuntu 24.04") {
		t.Errorf("setup.sh with Redis 6.0: %v\n%s", err, out)
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

type prairieLearnResult struct {
	Gradable     *bool    `json:"gradable"`
	Score        *float64 `json:"score"`
	Message      string   `json:"message"`
	FormatErrors []string `json:"format_errors"`
	Tests        []struct {
		Name      string  `json:"name"`
		Points    float64 `json:"points"`
		MaxPoints float64 `json:"max_points"`
		Message   string  `json:"message"`
		Output    string  `json:"output"`
	} `json:"tests"`
}

func prairieLearnDir(t *testing.T, exercise string) string {
	t.Helper()
	b, err := New(exercise, grader(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pl-grader")
	if err := b.PrairieLearn(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPrairieLearnLayout(t *testing.T) {
	dir := prairieLearnDir(t, hiddenSpec)
	want := map[string]fs.FileMode{"Dockerfile": 0o644, "grade.sh": 0o755, "redisgrade": 0o755, "README.md": 0o644, SpecFile: 0o644}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("files: %v", entries)
	}
	for name, mode := range want {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want mode %v", name, info, err, mode)
		}
	}
	docker, _ := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	for _, want := range []string{"FROM debian:", "apt-get install -y --no-install-recommends redis-server",
		"COPY redisgrade grade.sh exercise.yaml /opt/redisgrade/", "need='7.0'"} {
		if !bytes.Contains(docker, []byte(want)) {
			t.Errorf("Dockerfile lacks %q:\n%s", want, docker)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	for _, want := range []string{`"entrypoint": "/opt/redisgrade/grade.sh"`, `file-names="step1.redis, step3.redis"`} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	if out, err := run(t, nil, "bash", "-n", filepath.Join(dir, "grade.sh")); err != nil {
		t.Errorf("grade.sh: %v\n%s", err, out)
	}

	shipped := prairieLearnDir(t, "lua-atomicity")
	if _, err := os.Stat(filepath.Join(shipped, SpecFile)); err == nil {
		t.Error("a shipped exercise's bundle holds a spec file")
	}
	docker, _ = os.ReadFile(filepath.Join(shipped, "Dockerfile"))
	if !bytes.Contains(docker, []byte("COPY redisgrade grade.sh /opt/redisgrade/")) {
		t.Errorf("Dockerfile:\n%s", docker)
	}
}

// grade.sh grades student/ against a temporary /grade and writes
// results.json; an unreadable submission is marked not gradable.
func TestPrairieLearnEntrypoint(t *testing.T) {
	needRedis(t)
	dir := prairieLearnDir(t, "lua-atomicity")
	for _, tt := range []struct {
		submission string
		score      float64
		failed     int
	}{
		{"correct", 1, -1},
		{"two-commands", 0.75, 2},
	} {
		t.Run(tt.submission, func(t *testing.T) {
			root := t.TempDir()
			copyDir(t, examples+tt.submission, filepath.Join(root, "student"))
			out, err := run(t, []string{"GRADE_ROOT=" + root}, filepath.Join(dir, "grade.sh"))
			if err != nil {
				t.Fatalf("grade.sh: %v\n%s", err, out)
			}
			var res prairieLearnResult
			readJSON(t, filepath.Join(root, "results", "results.json"), &res)
			if res.Gradable == nil || !*res.Gradable || res.Score == nil || *res.Score != tt.score || len(res.Tests) != 4 {
				t.Fatalf("results: %+v", res)
			}
			for i, tc := range res.Tests {
				if (tc.Points < tc.MaxPoints) != (i == tt.failed) {
					t.Errorf("test %d: %v/%v", i, tc.Points, tc.MaxPoints)
				}
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		root := t.TempDir()
		student := filepath.Join(root, "student")
		if err := os.Mkdir(student, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 1001 { // over the 1000 entries a submission may hold
			if err := os.WriteFile(filepath.Join(student, fmt.Sprintf("f%d.redis", i)), []byte("PING\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := run(t, []string{"GRADE_ROOT=" + root}, filepath.Join(dir, "grade.sh"))
		if err != nil {
			t.Fatalf("grade.sh: %v\n%s", err, out)
		}
		var res prairieLearnResult
		readJSON(t, filepath.Join(root, "results", "results.json"), &res)
		if res.Gradable == nil || *res.Gradable || res.Score != nil || len(res.FormatErrors) != 1 ||
			!strings.Contains(res.FormatErrors[0], "too many entries") || strings.Contains(res.FormatErrors[0], root) {
			t.Errorf("results: %+v", res)
		}
	})
}

func TestNewRefuses(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "redisgrade")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		exercise, binary, want string
	}{
		{"lua-atomicity", notELF, "is not a Linux executable"},
		{"lua-atomicity", filepath.Join(t.TempDir(), "none"), "no such file"},
		{"no-such-exercise", notELF, `no exercise named "no-such-exercise"`},
	} {
		if _, err := New(tt.exercise, tt.binary); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %q) = %v, want %q", tt.exercise, tt.binary, err, tt.want)
		}
	}
}
