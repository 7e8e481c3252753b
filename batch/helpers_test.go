package batch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	if os.Getenv(holdClassTempEnv) != "" {
		holdClassTemp()
	}
	os.Exit(m.Run())
}

// holdClassTempEnv makes the test binary a process that makes a class
// temp folder, prints its path and waits to be killed.
const holdClassTempEnv = "REDISGRADE_TEST_HOLD_CLASS_TEMP"

func holdClassTemp() {
	dir, _, err := makeClassTemp()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
	io.Copy(io.Discard, os.Stdin) // until killed
	os.Exit(0)
}

const examplesDir = "../submissions/examples/lua-atomicity"

func loadExercise(t testing.TB) *exercises.Exercise {
	t.Helper()
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func loadExamples(t testing.TB) []Example {
	t.Helper()
	exs, err := LoadExamples(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

// zipOf builds a zip from name -> content ("" content with a trailing "/"
// name is a folder).
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarGzOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// exampleFiles reads an example's step files.
func exampleFiles(t testing.TB, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	des, err := os.ReadDir(filepath.Join(examplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if de.Name() == "expected.yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(examplesDir, name, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[de.Name()] = string(data)
	}
	return out
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// redisServersOf lists the redis-server processes that are children of pid.
func redisServersOf(t testing.TB, pid int) []int {
	t.Helper()
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(data)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < 0 {
			continue
		}
		comm := s[open+1 : close]
		fields := strings.Fields(s[close+1:])
		if len(fields) < 2 || !strings.HasPrefix(comm, "redis-server") {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			id, _ := strconv.Atoi(strings.Fields(s)[0])
			out = append(out, id)
		}
	}
	return out
}
