// Package versions tells tests which servers the version matrix grades on: Redis and Valkey binaries
// (testdata/servers/fetch.sh gets them) and a docker image of one. It imports no engine, so that the engine's
// own tests can use it.
package versions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Environment variables test.sh sets.
const (
	// ServersEnv names the servers: NAME=PATH,... such as redis-8.0.2=/path/redis-server (fetch.sh prints it).
	ServersEnv = "REDISGRADE_TEST_SERVERS"
	// ImageEnv names a docker image of one of the newer servers (testdata/servers/image.sh builds it).
	ImageEnv = "REDISGRADE_TEST_MATRIX_IMAGE"
	// AllEnv=1 (test.sh, CI) makes a missing server a failure instead of a skip.
	AllEnv = "REDISGRADE_TEST_ALL"
)

// howTo says how to get the servers.
const howTo = "the version matrix needs its servers: export " + ServersEnv + "=$(testdata/servers/fetch.sh) " +
	"and " + ImageEnv + "=$(testdata/servers/image.sh valkey-8.1.1), as ./test.sh does (testdata/servers/README.md)"

// Server is one server of the matrix.
type Server struct {
	Name string // such as valkey-8.1.1: the server and the version it must report
	Path string // its binary, or a script that starts it
}

// Kind is the name's server: redis or valkey.
func (s Server) Kind() string { kind, _, _ := strings.Cut(s.Name, "-"); return kind }

// Version is the name's version: 8.1.1 for valkey-8.1.1.
func (s Server) Version() string { _, v, _ := strings.Cut(s.Name, "-"); return v }

// Servers returns the servers ServersEnv names. Without it the test is skipped, saying how to get them;
// with AllEnv=1 it fails instead. A server named but not runnable always fails the test.
func Servers(t testing.TB) []Server {
	t.Helper()
	list := strings.TrimSpace(os.Getenv(ServersEnv))
	if list == "" {
		missing(t, ServersEnv+" is not set")
	}
	var out []Server
	for _, item := range strings.Split(list, ",") {
		name, path, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || name == "" || path == "" {
			t.Fatalf("%s: %q is not NAME=PATH (%s)", ServersEnv, item, howTo)
		}
		if _, err := exec.LookPath(path); err != nil {
			t.Fatalf("%s: server %s: %v (%s)", ServersEnv, name, err, howTo)
		}
		out = append(out, Server{Name: name, Path: path})
	}
	return out
}

// Image returns the docker image ImageEnv names, skipping or failing as Servers does.
func Image(t testing.TB) Server {
	t.Helper()
	image := strings.TrimSpace(os.Getenv(ImageEnv))
	if image == "" {
		missing(t, ImageEnv+" is not set")
	}
	// The tag says what it holds: redisgrade/valkey:8.1.1-local is valkey-8.1.1.
	repo, tag, _ := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
	return Server{Name: repo + "-" + strings.TrimSuffix(tag, "-local"), Path: image}
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(AllEnv) == "1" {
		t.Fatalf("%s: %s", why, howTo)
	}
	t.Skipf("%s: %s", why, howTo)
}

// Target is one column of the matrix: a server, and whether the docker engine runs it (its image).
type Target struct {
	Label  string // valkey-8.1.1, or valkey-8.1.1 (docker)
	Server Server
	Docker bool
	// Default: the server is the machine's own redis-server, which the tests of the default process engine
	// grade on already. A test that runs both grades it once: two sessions of one engine share the known
	// mistakes the grader caches for it, and SCAN's order differs from one server process to the next.
	Default bool
}

// Targets are the servers with the process engine, then the image's with the docker engine, skipping or
// failing as Servers does.
func Targets(t testing.TB) []Target {
	t.Helper()
	var out []Target
	own := resolve("redis-server")
	for _, s := range Servers(t) {
		out = append(out, Target{Label: s.Name, Server: s, Default: own != "" && resolve(s.Path) == own})
	}
	img := Image(t)
	return append(out, Target{Label: img.Name + " (docker)", Server: img, Docker: true})
}

// resolve is the file a command runs, symlinks followed, or "".
func resolve(cmd string) string {
	path, err := exec.LookPath(cmd)
	if err != nil {
		return ""
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	return real
}
