// Package tiers sorts the tests in two tiers. The default tier needs only Go
// and redis-server, what the README's quick start installs: a plain
// `go test ./...` there passes. A test that needs more (a Docker engine,
// Chromium, node, prove, xmllint, tmux, zsh, fish) says so through this
// package when it starts: where that is missing the test is skipped, with
// how to install it, unless REDISGRADE_TEST_ALL=1 (./test.sh and CI set it),
// where it fails with the same message, so a machine meant to run
// everything cannot pass by skipping.
package tiers

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// EnvAll is the variable that makes every tier required.
const EnvAll = "REDISGRADE_TEST_ALL"

// All reports whether every tier must run (REDISGRADE_TEST_ALL=1).
func All() bool { return os.Getenv(EnvAll) == "1" }

// Needs returns the path of the program tool on PATH. Without it the test
// ends (see Missing), saying how to install it.
func Needs(t testing.TB, tool, installHint string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		Missing(t, "%s is not installed: %s", tool, installHint)
	}
	return path
}

// Missing ends a test that cannot run on this machine because something
// outside Go and redis-server is missing: skipped in the default tier,
// failed under REDISGRADE_TEST_ALL=1. The message says what is missing and
// how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if All() {
		t.Fatalf("%s (%s=1: every test must run here)", msg, EnvAll)
	} else {
		t.Skipf("%s (skipped; %s=1 makes this a failure, as ./test.sh does)", msg, EnvAll)
	}
}
