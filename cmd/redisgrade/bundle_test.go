package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A small Linux x86-64 executable stands in for the grader: true(1), which
// is dynamically linked, so bundling it warns.
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestBundleGradescope(t *testing.T) {
	out := filepath.Join(t.TempDir(), "autograder.zip")
	code, stdout, stderr := runCLI(t, "bundle", "gradescope", "-e", "lua-atomicity", "-o", out, "--binary", testBinary(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout: %q", stdout)
	}
	if !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, "is dynamically linked") {
		t.Errorf("stderr: %q", stderr)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"setup.sh", "run_autograder", "redisgrade"}) {
		t.Errorf("entries %q", names)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".autograder.zip.*")); len(matches) != 0 {
		t.Errorf("temporary files left: %q", matches)
	}
}

func TestBundlePrairieLearn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "grader")
	code, _, stderr := runCLI(t, "bundle", "prairielearn", "-e", "../../testdata/lms/hidden.yaml", "-o", dir, "--binary", testBinary(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"Dockerfile", "grade.sh", "redisgrade", "exercise.yaml", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBundleErrors(t *testing.T) {
	script := filepath.Join(t.TempDir(), "redisgrade")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "a.zip")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no platform", []string{"bundle"}, 2, "bundle needs a platform"},
		{"unknown platform", []string{"bundle", "moodle"}, 2, `unknown platform "moodle"`},
		{"no output", []string{"bundle", "gradescope", "-e", "lua-atomicity"}, 2, `required flag(s) "output" not set`},
		{"no exercise", []string{"bundle", "gradescope", "-o", out}, 2, `required flag(s) "exercise" not set`},
		{"unknown exercise", []string{"bundle", "gradescope", "-e", "nope", "-o", out, "--binary", testBinary(t)}, 2, `no exercise named "nope"`},
		{"not a linux binary", []string{"bundle", "gradescope", "-e", "lua-atomicity", "-o", out, "--binary", script}, 2, "is not a Linux executable"},
		{"output folder missing", []string{"bundle", "gradescope", "-e", "lua-atomicity", "-o", "/no/such/dir/a.zip", "--binary", testBinary(t)}, 2, "/no/such/dir does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed bundle left a zip")
	}
}

// A submission that cannot be read: the LMS formats write a result that
// says so (PrairieLearn: not gradable), and the exit code stays 2.
func TestGradeUnreadableForLMS(t *testing.T) {
	notArchive := filepath.Join(t.TempDir(), "work.rar")
	if err := os.WriteFile(notArchive, []byte("rar"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "grade", "-e", "lua-atomicity", "--format", "prairielearn", notArchive)
	if code != 2 || !strings.Contains(stderr, "not a folder, .zip, .tar.gz or .tgz") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var pl struct {
		Gradable     *bool    `json:"gradable"`
		FormatErrors []string `json:"format_errors"`
	}
	if err := json.Unmarshal([]byte(stdout), &pl); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if pl.Gradable == nil || *pl.Gradable || !slices.Equal(pl.FormatErrors, []string{"not a folder, .zip, .tar.gz or .tgz"}) {
		t.Errorf("results: %s", stdout)
	}

	code, stdout, _ = runCLI(t, "grade", "-e", "lua-atomicity", "--format", "gradescope", notArchive)
	var gs struct {
		Score  *float64 `json:"score"`
		Output string   `json:"output"`
	}
	if err := json.Unmarshal([]byte(stdout), &gs); err != nil || code != 2 {
		t.Fatalf("exit %d, %v\n%s", code, err, stdout)
	}
	if gs.Score == nil || *gs.Score != 0 || !strings.Contains(gs.Output, "could not be read") || strings.Contains(gs.Output, notArchive) {
		t.Errorf("results: %s", stdout)
	}

	// text and json keep to stderr.
	for _, f := range []string{"text", "json"} {
		if code, stdout, _ := runCLI(t, "grade", "-e", "lua-atomicity", "--format", f, notArchive); code != 2 || stdout != "" {
			t.Errorf("--format %s: exit %d, stdout %q", f, code, stdout)
		}
	}
}
