package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
)

func loadLua(t *testing.T) *exercises.Exercise {
	t.Helper()
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestInitWritesStarterFiles(t *testing.T) {
	ex := loadLua(t)
	dir := filepath.Join(t.TempDir(), "work")
	ws, err := Init(dir, ex, "lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	if ws.Dir != dir || ws.State.Exercise != "lua-atomicity" {
		t.Errorf("workspace %+v", ws)
	}
	want := []string{".redisgrade.json", "README.md", "step1.redis", "step2.lua", "step3.redis", "step4.lua"}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for i := range ex.Steps {
		s := &ex.Steps[i]
		data, err := os.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !Untouched(dir, s) {
			t.Errorf("%s is not comment-only:\n%s", s.File, text)
		}
		prefix := "# "
		if s.IsScript() {
			prefix = "-- "
		}
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if line != strings.TrimSpace(prefix) && !strings.HasPrefix(line, prefix) {
				t.Errorf("%s: line %q is not a %q comment", s.File, line, prefix)
			}
		}
		if !strings.Contains(text, s.Title) || !strings.Contains(text, "redisgrade check") {
			t.Errorf("%s does not say what goes there:\n%s", s.File, text)
		}
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# " + ex.Title, "## Step 1: Set up the stock and sales keys (`step1.redis`)",
		"## Step 4: Return the updated values from the script (`step4.lua`)", "redisgrade check --watch",
		"redisgrade hint", "redisgrade demo lua-atomicity", "stock and sales counters"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if len([]rune(line)) > textWidth {
			t.Errorf("README line over %d runes: %q", textWidth, line)
		}
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	ex := loadLua(t)
	for _, existing := range []string{"step2.lua", "README.md", StateFile} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, existing)
			if err := os.WriteFile(path, []byte("my work"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Init(dir, ex, "lua-atomicity")
			var exists *ExistsError
			if !errors.As(err, &exists) || !reflect.DeepEqual(exists.Files, []string{existing}) {
				t.Fatalf("err = %v, want an ExistsError naming %s", err, existing)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, existing)) || !strings.Contains(err.Error(), "will not overwrite") {
				t.Errorf("message %q", err)
			}
			if data, _ := os.ReadFile(path); string(data) != "my work" {
				t.Errorf("%s was overwritten: %q", existing, data)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("init wrote files although it refused: %v", entries)
			}
		})
	}
}

func TestStateRoundTrip(t *testing.T) {
	ex := loadLua(t)
	dir := t.TempDir()
	ws, err := Init(dir, ex, "lua-atomicity")
	if err != nil {
		t.Fatal(err)
	}
	ws.State.HintsSeen = map[string]int{"setup": 1, "script": 2}
	ws.State.LastStep = "script"
	if err := ws.Save(); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "notes", "deeper")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	again, err := Open(sub) // found from a folder below, as git finds its repository
	if err != nil {
		t.Fatal(err)
	}
	if again.Dir != dir || !reflect.DeepEqual(again.State, ws.State) || again.State.Version != 1 {
		t.Errorf("read back %+v from %s, wrote %+v", again.State, again.Dir, ws.State)
	}
	if _, err := again.Exercise(); err != nil {
		t.Errorf("exercise: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("save left %s behind", e.Name())
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, StateFile))
	for _, want := range []string{`"exercise": "lua-atomicity"`, `"script": 2`, `"last_step": "script"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("state file lacks %s:\n%s", want, raw)
		}
	}
}

func TestInitRecordsSpecPathAbsolute(t *testing.T) {
	ex := loadLua(t)
	dir := t.TempDir()
	t.Chdir(dir)
	ws, err := Init("w", ex, "specs/mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "specs", "mine.yaml"); ws.State.Exercise != want {
		t.Errorf("exercise %q, want %q", ws.State.Exercise, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); !errors.Is(err, ErrNoWorkspace) || !strings.Contains(err.Error(), "redisgrade init") {
		t.Errorf("empty folder: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), StateFile) {
		t.Errorf("bad state file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"version": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "names no exercise") {
		t.Errorf("state without exercise: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder opened")
	}
}

func TestStepLookup(t *testing.T) {
	ex := loadLua(t)
	for name, want := range map[string]int{"1": 0, "script": 1, "step3.redis": 2, "RETURN-VALUES": 3} {
		if got, err := Step(ex, name); err != nil || got != want {
			t.Errorf("Step(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	if _, err := Step(ex, "5"); err == nil || !strings.Contains(err.Error(), "1 (setup, step1.redis)") {
		t.Errorf("Step(5): %v", err)
	}
}

func TestLuaOnlyComments(t *testing.T) {
	tests := map[string]bool{
		"":                                   true,
		"-- a comment\n":                     true,
		"\uFEFF  -- x\n\n   -- y":            true,
		"--[[ long\ncomment ]] \n-- more":    true,
		"--[==[ a ]] still ]==]\n":           true,
		"--[[ never closed":                  true,
		"return 1":                           false,
		"-- c\nreturn 1":                     false,
		"--[[ c ]] return 1":                 false,
		"--[==[ a ]] b ]==] redis.call('x')": false,
		"-- [[ not long\nx = 1":              false,
	}
	for src, want := range tests {
		if got := luaOnlyComments(src); got != want {
			t.Errorf("luaOnlyComments(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestInitEveryShippedExercise(t *testing.T) {
	for _, name := range exercises.Shipped() {
		t.Run(name, func(t *testing.T) {
			ex, err := exercises.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := Init(dir, ex, name); err != nil {
				t.Fatal(err)
			}
			for i := range ex.Steps {
				if !Untouched(dir, &ex.Steps[i]) {
					t.Errorf("%s is not comment-only", ex.Steps[i].File)
				}
			}
			if _, err := Open(dir); err != nil {
				t.Error(err)
			}
		})
	}
}
