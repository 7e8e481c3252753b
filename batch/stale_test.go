package batch

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCleanStale: what a SIGKILLed batch leaves behind is removed at the
// next start, and nothing whose owner may be alive is touched.
func TestCleanStale(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	// A class folder whose owner was SIGKILLed.
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), holdClassTempEnv+"=1")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	killedDir := strings.TrimSpace(line)
	if err != nil || !strings.HasPrefix(killedDir, tmp) {
		child.Process.Kill()
		t.Fatalf("helper printed %q, %v", line, err)
	}
	// While it lives, its folder stays.
	if removed, err := CleanStale(tmp); err != nil || len(removed) != 0 {
		t.Fatalf("with the owner alive: removed %q, %v", removed, err)
	}
	child.Process.Kill()
	child.Wait()

	// A class folder of this live process, and one of an older version
	// (no lock file): both stay.
	liveDir, lock, err := makeClassTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	legacy := filepath.Join(tmp, "redisgrade-class-123456")
	if err := os.Mkdir(legacy, 0o700); err != nil {
		t.Fatal(err)
	}

	// Socket folders: a server listening (old socket), a dead socket that
	// is old, a dead one just made, a folder with no socket yet.
	old := time.Now().Add(-2 * staleSocketAge)
	socketDir := func(name string, listening bool, mtime time.Time) string {
		dir := filepath.Join(tmp, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, serverSocket), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		if listening {
			t.Cleanup(func() { l.Close() })
		} else {
			l.SetUnlinkOnClose(false)
			l.Close()
		}
		if err := os.Chtimes(filepath.Join(dir, serverSocket), mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	live := socketDir("redisgrade-111", true, old)
	dead := socketDir("redisgrade-222", false, old)
	fresh := socketDir("redisgrade-333", false, time.Now())
	empty := filepath.Join(tmp, "redisgrade-444")
	other := filepath.Join(tmp, "redisgrade-upload-555")
	for _, d := range []string{empty, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	removed, err := CleanStale(tmp)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{dead, killedDir}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	for _, d := range []string{liveDir, legacy, live, fresh, empty, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
	for _, d := range []string{killedDir, dead} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", d, err)
		}
	}
}
