package exercises

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/internal/regularfile"
	"github.com/redisgrade/redisgrade/internal/suggest"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

//go:embed *.yaml
var shipped embed.FS

// maxSpecSize bounds a spec file: specs are small, and a mistaken path to a
// large file should fail fast rather than be parsed.
const maxSpecSize = 1 << 20

// Load returns an exercise by name ("lua-atomicity", shipped in the binary) or
// by path (anything ending in .yaml or .yml, or containing a slash). Every
// problem in the file comes back at once, as yamlstrict.Errors.
func Load(nameOrPath string) (*Exercise, error) {
	if isPath(nameOrPath) {
		data, err := ReadSpec(nameOrPath)
		if err != nil {
			return nil, err
		}
		return Parse(nameOrPath, data)
	}
	name, err := shippedName(nameOrPath)
	if err != nil {
		return nil, err
	}
	data, err := shipped.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("load exercise %s: %w", nameOrPath, err)
	}
	return Parse("exercises/"+name+".yaml", data)
}

// ReadSpec reads a spec file: a regular file (a named pipe would block,
// /dev/zero never end), at most 1 MiB.
func ReadSpec(path string) ([]byte, error) {
	data, err := regularfile.Read(path, maxSpecSize)
	if err != nil {
		return nil, fmt.Errorf("load exercise: %w", err)
	}
	return data, nil
}

// UnknownError is Load's error for a name no shipped exercise has.
type UnknownError struct {
	Name    string
	Meant   string // the nearest shipped name, if one is near enough
	Shipped []string
}

func (e *UnknownError) Error() string {
	meant := ""
	if e.Meant != "" {
		meant = fmt.Sprintf(" (did you mean %q?)", e.Meant)
	}
	return fmt.Sprintf("no exercise named %q%s; shipped: %s; or give a path to a .yaml file", e.Name, meant, strings.Join(e.Shipped, ", "))
}

// shippedName finds the shipped exercise a user named, ignoring case; an
// unknown name's error suggests the nearest one.
func shippedName(name string) (string, error) {
	all := Shipped()
	for _, s := range all {
		if strings.EqualFold(s, name) {
			return s, nil
		}
	}
	meant, _ := suggest.Closest(name, all)
	return "", &UnknownError{Name: name, Meant: meant, Shipped: all}
}

func isPath(s string) bool {
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, os.PathSeparator) ||
		hasExt(s, ".yaml") || hasExt(s, ".yml")
}

func hasExt(name, ext string) bool { return strings.EqualFold(path.Ext(name), ext) }

// Shipped lists the names of the exercises embedded in the binary.
func Shipped() []string {
	entries, _ := shipped.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Parse decodes and validates a spec. file names it in messages.
func Parse(file string, data []byte) (*Exercise, error) {
	root, err := yamlstrict.Parse(file, data)
	if err != nil {
		return nil, err
	}
	d := &yamlstrict.Decoder{File: file, Source: data}
	var ex Exercise
	d.Decode(root, &ex)
	ex.Source = file
	sum := sha256.Sum256(data)
	ex.Digest = hex.EncodeToString(sum[:])
	validate(d, &ex)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return &ex, nil
}

// IDPattern is what exercise and step ids look like.
var IDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// validate reports what the types alone cannot: required fields, unique ids,
// and combinations that make no sense.
func validate(d *yamlstrict.Decoder, ex *Exercise) {
	validateExercise(d, ex)
	stepIDs := map[string]yamlstrict.Pos{}
	for i := range ex.Steps {
		validateStep(d, ex, i, stepIDs)
	}
	validateMutants(d, ex, stepIDs)
	validateBounds(d, ex)
}

func validateExercise(d *yamlstrict.Decoder, ex *Exercise) {
	if !IDPattern.MatchString(ex.ID) {
		d.ErrorAt(ex.Pos, "the exercise needs an id of lower-case letters, digits and dashes, such as lua-atomicity")
	}
	if ex.Title == "" {
		d.ErrorAt(ex.Pos, "the exercise needs a title")
	}
	validateRequires(d, ex.Requires, ex.Pos, "requires")
	if len(ex.Steps) == 0 {
		d.ErrorAt(ex.Pos, "the exercise needs at least one step")
	}
	if len(ex.Mutants) > 0 && len(ex.Reference) == 0 {
		d.ErrorAt(ex.Pos, "mutants need a reference solution to change")
	}
}

// validateStep checks step i, and records its id in ids (first place of each).
func validateStep(d *yamlstrict.Decoder, ex *Exercise, i int, ids map[string]yamlstrict.Pos) {
	s := &ex.Steps[i]
	label := "step " + strconv.Itoa(i+1)
	switch first, dup := ids[s.ID]; {
	case !IDPattern.MatchString(s.ID):
		d.ErrorAt(s.Pos, "%s needs an id of lower-case letters, digits and dashes", label)
	case dup:
		d.ErrorAt(s.Pos, "duplicate step id %q (first at line %d)", s.ID, first.Line)
	default:
		ids[s.ID] = s.Pos
	}
	if s.Title == "" {
		d.ErrorAt(s.Pos, "%s needs a title", label)
	}
	validateStepFile(d, s, label)
	validateRequires(d, s.Requires, s.Pos, label+": requires")
	if s.Points < 0 {
		d.ErrorAt(s.Pos, "%s: points must not be negative", label)
	}
	switch s.Setup {
	case "":
	case "reference":
		if len(ex.Reference) == 0 {
			d.ErrorAt(s.Pos, "%s: setup: reference runs the reference's earlier steps, but the exercise has no reference", label)
		}
	default:
		d.ErrorAt(s.Pos, "%s: setup can only be reference, not %q", label, s.Setup)
	}
	if len(s.Cases) > 0 && len(s.Given) > 0 {
		d.ErrorAt(s.Pos, "%s has cases: put given in each case instead of the step", label)
	}
	for _, c := range s.RunCases() {
		if len(c.Checks) == 0 {
			d.ErrorAt(c.Pos, "%s: a case with no checks cannot fail; add checks to the step or the case", label)
		}
		if compareAfterProbe(c.Checks) {
			d.ErrorAt(c.Pos, "%s: put compare before the atomic and serializable checks: compare reads what the student's commands left, which those checks change", label)
		}
	}
	for _, w := range s.Waive {
		validateWaiver(d, w, label)
	}
}

// validateStepFile checks the file a step grades and what goes with its kind.
func validateStepFile(d *yamlstrict.Decoder, s *Step, label string) {
	switch {
	case s.File == "":
		d.ErrorAt(s.Pos, "%s needs a file: the submission file it grades, such as step1.redis", label)
	case path.Base(s.File) != s.File:
		d.ErrorAt(s.Pos, "%s: file %q must be a plain file name, without folders", label, s.File)
	case !hasExt(s.File, ".redis") && !hasExt(s.File, ".lua"):
		d.ErrorAt(s.Pos, "%s: file %q must end in .redis (commands) or .lua (a script)", label, s.File)
	}
	if s.Call != nil && !s.IsScript() {
		d.ErrorAt(s.Pos, "%s: call on a .redis step belongs to a case: it re-sends the file's EVAL with other keys and arguments in that case", label)
	}
	if s.Function != "" && !s.IsScript() {
		d.ErrorAt(s.Pos, "%s: function applies only to a .lua library file", label)
	}

}

func validateWaiver(d *yamlstrict.Decoder, w Waiver, label string) {
	if !slices.Contains(AnswerKinds, w.Answer) {
		d.ErrorAt(w.Pos, "%s: waive: answer must be one of %s, not %q", label, strings.Join(AnswerKinds, ", "), w.Answer)
	}
	if strings.TrimSpace(w.Why) == "" {
		d.ErrorAt(w.Pos, "%s: a waiver says why the task asks for that exact form: add `why:`", label)
	}
}

func validateMutants(d *yamlstrict.Decoder, ex *Exercise, stepIDs map[string]yamlstrict.Pos) {
	mutantIDs := map[string]yamlstrict.Pos{}
	for i := range ex.Mutants {
		m := &ex.Mutants[i]
		if m.Name == "" {
			d.ErrorAt(m.Pos, "a mutant needs a name")
		}
		switch {
		case m.ID == "" && m.Name != "":
			m.ID = Slug(m.Name)
		case m.ID != "" && !IDPattern.MatchString(m.ID):
			d.ErrorAt(m.Pos, "mutant %q: id %q must be lower-case letters, digits and dashes", m.Name, m.ID)
		}
		// A mistake is named within its step: the same mistake may be made
		// in two steps, but two mistakes of one step need two ids.
		stepID := m.Fails + "\x00" + m.ID
		if first, dup := mutantIDs[stepID]; dup && m.ID != "" {
			d.ErrorAt(m.Pos, "mutant %q: id %q is also the id of the mutant at line %d, which fails the same step; give one an id of its own", m.Name, m.ID, first.Line)
		} else {
			mutantIDs[stepID] = m.Pos
		}
		if _, ok := stepIDs[m.Fails]; !ok {
			d.ErrorAt(m.Pos, "mutant %q: fails names no step (%q)", m.Name, m.Fails)
		}
		if len(m.Files) == 0 {
			d.ErrorAt(m.Pos, "mutant %q changes no file", m.Name)
		}
	}
}

// compareAfterProbe reports whether a compare check follows another probe,
// which would have changed the state it compares by then.
func compareAfterProbe(cs checks.List) bool {
	probed := false
	for _, c := range cs {
		if _, ok := c.(*checks.CompareCheck); ok && probed {
			return true
		}
		if _, ok := c.(checks.Prober); ok {
			probed = true
		}
	}
	return false
}

// validateRequires checks that a requires' ranges read, and that some server is left to grade.
func validateRequires(d *yamlstrict.Decoder, q Requires, at yamlstrict.Pos, label string) {
	if q.Pos != (yamlstrict.Pos{}) {
		at = q.Pos
	}
	redis, redisErr := ParseRange(q.Redis)
	valkey, valkeyErr := ParseRange(q.Valkey)
	if redisErr != nil {
		d.ErrorAt(at, "%s.redis: %v", label, redisErr)
	}
	if valkeyErr != nil {
		d.ErrorAt(at, "%s.valkey: %v", label, valkeyErr)
	}
	if redis.None && valkey.None {
		d.ErrorAt(at, "%s: redis and valkey are both none, so no server can grade it", label)
	}
}

var slugSep = regexp.MustCompile(`[^a-z0-9]+`)

// Slug makes an id (of an exercise or a mistake) of a title or a name.
func Slug(title string) string {
	s := strings.Trim(slugSep.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
		if i := strings.LastIndex(s, "-"); i > 30 {
			s = s[:i]
		}
	}
	if s == "" {
		s = "exercise"
	}
	return s
}
