// Package workspace is the student's side of redisgrade: a folder made by
// `redisgrade init` that holds one exercise's step files, a README of the
// task and a small state file; the watch loop that re-grades it on every
// save; and the terminal screens that read it, check and hint. The demo,
// which needs no workspace, is package demo.
package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/regularfile"
	"github.com/redisgrade/redisgrade/report"
)

// StateFile is the name of the state file at the root of a workspace.
const StateFile = ".redisgrade.json"

// ReadmeFile is the task's README that init writes.
const ReadmeFile = "README.md"

// stateVersion is written into every state file, so that a later format can
// tell an old file from its own.
const stateVersion = 1

// maxStateSize bounds the state file read: it is a few hundred bytes.
const maxStateSize = 1 << 20

// State is what a workspace remembers between commands.
type State struct {
	Version int `json:"version"`
	// Exercise names a shipped exercise ("lua-atomicity") or holds the
	// absolute path of a spec .yaml.
	Exercise string `json:"exercise"`
	// HintsSeen counts, per step id, the hints already shown.
	HintsSeen map[string]int `json:"hints_seen,omitempty"`
	// LastStep is the id of the first unfinished step at the last check;
	// empty when every step passed (or before the first check).
	LastStep string `json:"last_step,omitempty"`
}

// Workspace is an opened workspace.
type Workspace struct {
	Dir   string // absolute
	State State
}

// ErrNoWorkspace is returned (wrapped) by Open when neither the folder nor
// any folder above it holds a state file.
var ErrNoWorkspace = errors.New("no redisgrade workspace")

// ExistsError is init's refusal to overwrite: it names the files already there.
type ExistsError struct {
	Dir   string
	Files []string // relative to Dir
}

func (e *ExistsError) Error() string {
	quoted := make([]string, len(e.Files))
	for i, f := range e.Files {
		quoted[i] = filepath.Join(e.Dir, f)
	}
	return fmt.Sprintf("will not overwrite existing work: %s already exists (choose another folder, or move it away)",
		strings.Join(quoted, ", "))
}

// Files lists what init writes for an exercise: the step files, the README
// and the state file, in that order.
func Files(ex *exercises.Exercise) []string {
	out := make([]string, 0, len(ex.Steps)+2)
	for _, s := range ex.Steps {
		out = append(out, s.File)
	}
	return append(out, ReadmeFile, StateFile)
}

// Init creates a workspace for ex in dir (created if missing): one starter
// file per step holding only a comment that says what goes there, the
// README and the state file. ref is what the state file records to load the
// exercise again: a shipped name, or a spec path (made absolute). It writes
// nothing if any of those files exists, and returns an *ExistsError naming
// them.
func Init(dir string, ex *exercises.Exercise, ref string) (*Workspace, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") || strings.ContainsRune(ref, filepath.Separator) {
		if ref, err = filepath.Abs(ref); err != nil {
			return nil, err
		}
	}
	files := Files(ex)
	var existing []string
	for _, f := range files {
		if !filepath.IsLocal(f) {
			return nil, fmt.Errorf("exercise %s: step file %q is not a plain file name", ex.ID, f)
		}
		if _, err := os.Lstat(filepath.Join(abs, f)); err == nil {
			existing = append(existing, f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if len(existing) > 0 {
		return nil, &ExistsError{Dir: dir, Files: existing}
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create the workspace: %w", err)
	}
	ws := &Workspace{Dir: abs, State: State{Version: stateVersion, Exercise: ref}}
	contents := map[string][]byte{ReadmeFile: []byte(Readme(ex))}
	for i := range ex.Steps {
		contents[ex.Steps[i].File] = []byte(Starter(i, &ex.Steps[i]))
	}
	if contents[StateFile], err = ws.State.encode(); err != nil {
		return nil, err
	}
	for _, f := range files {
		// O_EXCL: a file that appeared since the check above is not overwritten either.
		if err := writeNew(filepath.Join(abs, f), contents[f]); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return nil, &ExistsError{Dir: dir, Files: []string{f}}
			}
			return nil, fmt.Errorf("create the workspace: %w", err)
		}
	}
	return ws, nil
}

func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := f.Close(); werr == nil {
		werr = err
	}
	return werr
}

// Open opens the workspace at dir, or at the nearest folder above it that
// holds a state file, as git finds its repository.
func Open(dir string) (*Workspace, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open the workspace: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("open the workspace: %s is not a folder", dir)
	}
	for d := abs; ; d = filepath.Dir(d) {
		path := filepath.Join(d, StateFile)
		data, err := readBounded(path)
		if err == nil {
			ws := &Workspace{Dir: d}
			if err := json.Unmarshal(data, &ws.State); err != nil {
				return nil, fmt.Errorf("%s: not a redisgrade state file: %v", path, err)
			}
			if ws.State.Exercise == "" {
				return nil, fmt.Errorf("%s: names no exercise", path)
			}
			return ws, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open the workspace: %w", err)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return nil, fmt.Errorf("%w in %s or any folder above it (no %s): create one with `redisgrade init EXERCISE [DIR]`",
		ErrNoWorkspace, abs, StateFile)
}

// readBounded reads a state file: a regular file (a symlink is not
// followed, a named pipe not opened), at most maxStateSize bytes.
func readBounded(path string) ([]byte, error) {
	data, err := regularfile.ReadNoFollow(path, maxStateSize)
	var tooLarge *regularfile.TooLargeError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%s is over %d bytes: not a state file", path, maxStateSize)
	}
	return data, err
}

// Exercise loads the exercise the state file names.
func (w *Workspace) Exercise() (*exercises.Exercise, error) {
	return exercises.Load(w.State.Exercise)
}

// Save writes the state file, atomically (a temporary file renamed over it).
func (w *Workspace) Save() error {
	data, err := w.State.encode()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(w.Dir, StateFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("save the workspace state: %w", err)
	}
	_, werr := tmp.Write(data)
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(w.Dir, StateFile))
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save the workspace state: %w", werr)
	}
	return nil
}

func (s State) encode() ([]byte, error) {
	if s.Version == 0 {
		s.Version = stateVersion
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Step finds a step by its number (from 1), its id or its file name.
func Step(ex *exercises.Exercise, name string) (int, error) {
	for i, s := range ex.Steps {
		if name == fmt.Sprint(i+1) || strings.EqualFold(name, s.ID) || name == s.File {
			return i, nil
		}
	}
	known := make([]string, len(ex.Steps))
	for i, s := range ex.Steps {
		known[i] = fmt.Sprintf("%d (%s, %s)", i+1, s.ID, s.File)
	}
	return 0, fmt.Errorf("no step %q in %s: steps are %s", name, ex.ID, strings.Join(known, ", "))
}

// RecordLastStep remembers the first unfinished step of rep in the state
// file, for hint; it writes only when that changed.
func (w *Workspace) RecordLastStep(rep *report.Report) error {
	last := ""
	if i := FirstUnfinished(rep); i >= 0 {
		last = rep.Steps[i].ID
	}
	if last == w.State.LastStep {
		return nil
	}
	w.State.LastStep = last
	return w.Save()
}

// HintResult is what asking for a hint gave.
type HintResult struct {
	Hints []string // the hints to show, in order: every one seen so far
	Total int      // how many the step has
	// Fresh is true when the last of Hints is new; false when every hint
	// had been shown already (and all are shown again), or there are none.
	Fresh bool
}

// NextHint reveals one more of the step's hints and records it in the
// state (the caller saves it). Once every hint was shown, it shows them all
// again and says so.
func (s *State) NextHint(step *exercises.Step) HintResult {
	all := step.AllHints()
	res := HintResult{Total: len(all)}
	if len(all) == 0 {
		return res
	}
	seen := s.HintsSeen[step.ID]
	if seen < len(all) {
		seen++
		if s.HintsSeen == nil {
			s.HintsSeen = map[string]int{}
		}
		s.HintsSeen[step.ID] = seen
		res.Fresh = true
	}
	res.Hints = all[:min(seen, len(all))]
	return res
}
