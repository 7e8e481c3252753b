package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/redistest"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

const examples = "../../submissions/examples/lua-atomicity/"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	badSpec := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badSpec, []byte("id: x\ntitle: X\nstepz: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"correct", []string{"grade", "-e", "lua-atomicity", examples + "correct"}, 0, ""},
		{"wrong", []string{"grade", "-e", "lua-atomicity", examples + "two-commands"}, 1, ""},
		{"embedded engine", []string{"grade", "-e", "lua-atomicity", "--engine", "embedded", examples + "correct"}, 0, ""},
		{"bad spec", []string{"grade", "-e", badSpec, examples + "correct"}, 2, "bad.yaml:3:1: unknown field \"stepz\""},
		{"unknown exercise", []string{"grade", "-e", "nope", examples + "correct"}, 2, `no exercise named "nope"`},
		{"missing submission", []string{"grade", "-e", "lua-atomicity", "/no/such/dir"}, 2, "/no/such/dir"},
		{"no exercise flag", []string{"grade", examples + "correct"}, 2, `required flag(s) "exercise" not set`},
		{"two submissions", []string{"grade", "-e", "lua-atomicity", "a", "b"}, 2, "grade takes one submission"},
		{"unknown flag", []string{"grade", "--frobnicate"}, 2, "unknown flag: --frobnicate"},
		{"unknown format", []string{"grade", "-e", "lua-atomicity", "-f", "xml", examples + "correct"}, 2, `--format: unknown format "xml"`},
		{"unknown engine", []string{"grade", "-e", "lua-atomicity", "--engine", "vm", examples + "correct"}, 2, "--engine"},
		{"bad color", []string{"grade", "-e", "lua-atomicity", "--color", "pink", examples + "correct"}, 2, `--color: unknown colour mode "pink"`},
		{"negative timeout", []string{"grade", "-e", "lua-atomicity", "--timeout", "-1s", examples + "correct"}, 2, "--timeout must be positive"},
		{"batch without a deadline", []string{"batch", "-e", "lua-atomicity", "--out", "never-written", "--deadline", "0s", examples}, 2, "--deadline must be positive"},
		{"bad image", []string{"grade", "-e", "lua-atomicity", "--engine", "docker", "--image", "not a valid image", examples + "correct"}, 2, `--engine: engine options: image "not a valid image"`},
		{"no redis-server", []string{"grade", "-e", "lua-atomicity", "--engine", "process", "--redis-server", "/no/redis-server", examples + "correct"}, 3, "redis-server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q should contain %q", stderr, tt.stderr)
			}
		})
	}
}

func TestJSONOutput(t *testing.T) {
	code, out, stderr := runCLI(t, "grade", "-e", "lua-atomicity", "--format", "json", examples+"swapped-return")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Exercise string  `json:"exercise"`
		Score    float64 `json:"score"`
		MaxScore float64 `json:"max_score"`
		Steps    []struct {
			ID     string `json:"id"`
			Passed bool   `json:"passed"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if rep.Exercise != "lua-atomicity" || rep.Score != 3 || rep.MaxScore != 4 || rep.Steps[3].Passed {
		t.Errorf("report: %+v", rep)
	}
}

// Text output to a pipe has no colour; --color always forces it.
func TestTextColour(t *testing.T) {
	_, out, _ := runCLI(t, "grade", "-e", "lua-atomicity", examples+"correct")
	if strings.Contains(out, "\x1b[") || !strings.Contains(out, "Score: 4/4") {
		t.Errorf("plain output:\n%s", out)
	}
	_, out, _ = runCLI(t, "grade", "-e", "lua-atomicity", "--color", "always", examples+"correct")
	if !strings.Contains(out, "\x1b[") {
		t.Error("--color always gave no colour")
	}
}

// A submission's name and what is wrong with it reach stderr: its control
// characters are shown as escapes, not sent to the terminal.
func TestErrorsShowControlsAsEscapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x\x1b]52;c;cHduZWQ=\x07\x1b[2J.zip")
	if err := os.WriteFile(path, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "grade", "-e", "lua-atomicity", path)
	if code != exitUsage || !strings.Contains(stderr, `x\x1b]52;c;cHduZWQ=\x07\x1b[2J.zip`) || strings.ContainsAny(stderr+stdout, "\x1b\x07") {
		t.Errorf("exit %d, stderr %q, stdout %q", code, stderr, stdout)
	}
}

// In GitHub Actions, --format classroom appends the runner result to the
// step's output file, as the command grader does, and not to the log.
func TestClassroomWritesGitHubOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(out, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_OUTPUT", out)
	code, stdout, stderr := runCLI(t, "grade", "-e", "lua-atomicity", "--engine", "embedded", "--format", "classroom", examples+"two-commands")
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	encoded, ok := strings.CutPrefix(string(data), "earlier=1\nresult=")
	if !ok || strings.Contains(stdout, "set-output") {
		t.Fatalf("output file %q, log:\n%s", data, stdout)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(encoded, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Status   string  `json:"status"`
		MaxScore float64 `json:"max_score"`
		Tests    []struct {
			Score float64 `json:"score"`
		} `json:"tests"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, tc := range res.Tests {
		total += tc.Score
	}
	if res.Status != "fail" || res.MaxScore != 4 || len(res.Tests) != 4 || total != 3 {
		t.Errorf("result: %+v", res)
	}
}

// On the docker engine, grade's stderr stays empty: testcontainers prints a banner on its first connection through
// its package-wide logger, to the process's stderr (not the writer run is given, so the binary is run for real),
// and the engine silences it; its other lines go to the engine's log, shown with -v.
func TestDockerEngineLeavesStderrEmpty(t *testing.T) {
	redistest.DockerEngine(t) // skipped without Docker, unless REDISGRADE_TEST_ALL=1
	bin := buildBinary(t)
	for _, tt := range []struct {
		verbose    bool
		wantStderr string
	}{{false, ""}, {true, "docker engine: 🔔 Container is ready"}} {
		args := []string{"grade", "-e", "lua-atomicity", "--engine", "docker", "--image", redistest.TestImage(), examples + "correct"}
		if tt.verbose {
			args = append(args, "-v")
		}
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil || !strings.Contains(stdout.String(), "Score: 4/4") {
			t.Fatalf("%v: %v\n%s%s", args, err, stdout.String(), stderr.String())
		}
		if got := stderr.String(); tt.wantStderr == "" && got != "" || !strings.Contains(got, tt.wantStderr) || strings.Contains(got, "Connected to docker") {
			t.Errorf("-v %v: stderr %q, want %q", tt.verbose, got, tt.wantStderr)
		}
	}
}
