package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/redistest/versions"
	"github.com/redisgrade/redisgrade/report"
)

const fieldExpiry = "../../submissions/examples/hash-field-expiry/correct"

// The server the machine has is enough to see the matrix's contract: its flags, its exit codes, and a
// refusal by requires, on grade as on matrix.
func TestMatrixWithoutVersions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"no servers", []string{"matrix", "-e", "lua-atomicity", examples + "correct"}, exitUsage, nil,
			"matrix needs servers to compare: --redis-server PATH, --image IMAGE"},
		{"bad format", []string{"matrix", "-e", "lua-atomicity", "--embedded", "-f", "junit", examples + "correct"}, exitUsage, nil,
			`--format: unknown format "junit" (known: text, json)`},
		{"passes on both", []string{"matrix", "-e", "lua-atomicity", "--redis-server", "redis-server", "--embedded", examples + "correct"}, exitPassed,
			[]string{"correct, on 2 servers", "1 setup           ✔ pass", "The servers that graded it agree on every step.", "Scores: Redis 7.0.15 4/4 · miniredis v"}, ""},
		{"fails on both", []string{"matrix", "-e", "lua-atomicity", "--redis-server", "redis-server", "--embedded", examples + "two-commands"}, exitFailed,
			[]string{"3 run-atomically  ✘ fail        ✘ fail"}, ""},
		{"no such server", []string{"matrix", "-e", "lua-atomicity", "--redis-server", "/no/such/server", examples + "correct"}, exitInfra,
			[]string{"server 1: could not grade: "}, "server 1 could not grade it"},
		{"refused by all", []string{"matrix", "-e", "hash-field-expiry", "--redis-server", "redis-server", "--embedded", fieldExpiry}, exitInfra,
			[]string{"Redis 7.0.15: refused, the exercise needs Redis >=7.4 or Valkey >=9.0."}, "no server given may grade this exercise"},
		{"grade refused", []string{"grade", "-e", "hash-field-expiry", "--engine", "process", fieldExpiry}, exitInfra, nil,
			"exercise hash-field-expiry needs Redis >=7.4 or Valkey >=9.0; the process engine runs Redis 7.0.15"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q\n%s", code, stderr, tc.code, tc.stderr, stdout)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}

// server finds a server of the version matrix by name.
func server(t *testing.T, name string) string {
	t.Helper()
	for _, s := range versions.Servers(t) {
		if s.Name == name {
			return s.Path
		}
	}
	t.Fatalf("%s names no %s", versions.ServersEnv, name)
	return ""
}

// On the servers of the version matrix: grade names Valkey as Valkey, by its own version; an exercise
// outside a server's requires is refused on Valkey as on Redis; and matrix shows a step the servers
// disagree on, with why.
func TestMatrixOnVersions(t *testing.T) {
	redis7, redis8, valkey := server(t, "redis-7.0.15"), server(t, "redis-8.0.2"), server(t, "valkey-8.1.1")
	image := versions.Image(t)

	code, stdout, stderr := runCLI(t, "grade", "-e", "lua-atomicity", "-f", "json", "--engine", "process", "--redis-server", valkey, examples+"correct")
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); code != exitPassed || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, stderr)
	}
	if want := (report.Engine{Kind: "process", Server: "valkey", Version: "8.1.1", Compatible: "7.2.4"}); rep.Engine != want {
		t.Errorf("engine %+v, want %+v", rep.Engine, want)
	}
	code, stdout, _ = runCLI(t, "grade", "-e", "lua-atomicity", "--color", "never", "--engine", "process", "--redis-server", valkey, examples+"correct")
	if code != exitPassed || !strings.Contains(stdout, "correct · process engine, Valkey 8.1.1\n") {
		t.Errorf("exit %d; the text report should name Valkey 8.1.1:\n%s", code, stdout)
	}

	code, _, stderr = runCLI(t, "grade", "-e", "hash-field-expiry", "--engine", "process", "--redis-server", valkey, fieldExpiry)
	if want := "exercise hash-field-expiry needs Redis >=7.4 or Valkey >=9.0; the process engine runs Valkey 8.1.1, which answers as Redis 7.2.4"; code != exitInfra || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitInfra, want)
	}
	if code, stdout, stderr := runCLI(t, "grade", "-e", "hash-field-expiry", "--engine", "process", "--redis-server", redis8, fieldExpiry); code != exitPassed {
		t.Errorf("hash-field-expiry on Redis 8.0.2: exit %d\n%s%s", code, stdout, stderr)
	}

	// A script that reads the clock: Redis 7.0 gives scripts no os table, Redis 8 and Valkey do.
	sub := t.TempDir()
	for _, name := range []string{"step1.redis", "step3.redis", "step4.lua"} {
		data, err := os.ReadFile(filepath.Join(examples+"correct", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := "local started = os.clock()\nredis.call('DECR', 'stock')\nredis.call('INCR', 'sales')\n"
	if err := os.WriteFile(filepath.Join(sub, "step2.lua"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, "matrix", "-e", "lua-atomicity", "--redis-server", redis7, "--redis-server", redis8,
		"--redis-server", valkey, "--image", image.Path, sub)
	if code != exitFailed {
		t.Errorf("exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{
		"step              Redis 7.0.15  Redis 8.0.2  Valkey 8.1.1  Valkey 8.1.1 (docker)\n",
		"1 setup           ✔ pass        ✔ pass       ✔ pass        ✔ pass\n",
		"2 script          ✘ fail        ✔ pass       ✔ pass        ✔ pass  ≠\n",
		"≠ The servers disagree:\n  step 2 (script):\n    fail on Redis 7.0.15: ",
		"nonexistent global variable 'os'",
		"    pass on Redis 8.0.2\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("matrix output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCLI(t, "matrix", "-e", "lua-atomicity", "-f", "json", "--redis-server", redis7, "--redis-server", redis8, sub)
	var res struct {
		Servers []struct {
			Engine report.Engine `json:"engine"`
		} `json:"servers"`
		Steps []struct {
			ID       string   `json:"id"`
			Verdicts []string `json:"verdicts"`
			Agree    bool     `json:"agree"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); code != exitFailed || err != nil || len(res.Steps) != 4 {
		t.Fatalf("exit %d, %v\n%s", code, err, stdout)
	}
	if s := res.Steps[1]; s.Agree || strings.Join(s.Verdicts, ",") != "fail,pass" || res.Servers[1].Engine.Version != "8.0.2" {
		t.Errorf("step 2: %+v, servers %+v", s, res.Servers)
	}
	if !regexp.MustCompile(`"agree": true`).MatchString(stdout) {
		t.Errorf("the other steps should agree:\n%s", stdout)
	}
}
