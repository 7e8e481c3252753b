// Package exercises holds the exercise spec types, their strict loading and
// validation, and the shipped specs themselves (embedded into the binary).
package exercises

import (
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// DefaultTimeout bounds one case's commands when the spec sets no timeout.
const DefaultTimeout = 2 * time.Second

// Exercise is one graded exercise: steps a student completes in order, each
// graded on its own.
type Exercise struct {
	ID       string        `yaml:"id"`
	Title    string        `yaml:"title"`
	Summary  string        `yaml:"summary"`
	Requires Requires      `yaml:"requires"`
	Timeout  time.Duration `yaml:"timeout"` // per case; steps may override
	// Points, when set, is what the exercise is worth: lint checks that the
	// steps' points add up to it.
	Points float64 `yaml:"points"`
	Steps  []Step  `yaml:"steps"`
	// Reference is a correct submission: file name to content. It must pass
	// every step (redisgrade exercise test).
	Reference map[string]string `yaml:"reference"`
	// Mutants are wrong submissions, each the reference with some files
	// changed, that must fail the step they name.
	Mutants []Mutant `yaml:"mutants"`

	Source string `yaml:"-"` // the file it was loaded from
	// Digest is the SHA-256 of the spec's bytes, hex: what results computed
	// from the spec (its mistakes' signatures) are cached by.
	Digest string         `yaml:"-"`
	Pos    yamlstrict.Pos `yaml:"-"`
}

// Step is one task, graded from its own clean state.
type Step struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
	Task  string `yaml:"task"`
	Hint  string `yaml:"hint"`
	// Hints are further hints, each more direct than the last, for students
	// who ask again (redisgrade hint).
	Hints []string `yaml:"hints"`
	// File is the submission file graded: .redis, commands run in order;
	// .lua, a script run with EVAL (or, with function, a Functions library
	// loaded with FUNCTION LOAD and called with FCALL).
	File   string  `yaml:"file"`
	Points float64 `yaml:"points"`
	// Hidden steps are graded but their results are shown to the student
	// only after the due date (on LMSs that support it, e.g. Gradescope).
	Hidden bool `yaml:"hidden"`
	// Function names the function a .lua library file registers: the
	// grader loads the file with FUNCTION LOAD REPLACE, then FCALLs it.
	Function string `yaml:"function"`
	// Call gives the keys and arguments of the EVAL or FCALL.
	Call *Call `yaml:"call"`
	// Requires: what this step needs beyond the exercise: Redis Functions, a newer server for a newer
	// command. A server outside its ranges grades the other steps and says this one is not graded.
	Requires Requires      `yaml:"requires"`
	Timeout  time.Duration `yaml:"timeout"`
	// Given is the state before the commands run, when the step has no cases.
	Given checks.State `yaml:"given"`
	// Setup, when "reference", runs the reference's files of the earlier
	// steps, in order, on the given keys before the step's commands: the
	// step starts from what a right answer to them leaves, so it earns its
	// credit whatever the student's earlier steps did.
	Setup string `yaml:"setup"`
	// Checks hold in every case of the step.
	Checks checks.List `yaml:"checks"`
	// Cases run the same file from several starting states.
	Cases []Case `yaml:"cases"`
	// Waive excuses answers `exercise test` makes up for the step, where the
	// task truly asks for one exact form.
	Waive []Waiver `yaml:"waive"`

	Pos yamlstrict.Pos `yaml:"-"`
}

// AnswerKinds are the kinds of answer `exercise test` makes up for a step:
// equivalent answers, which must pass (reads added, lower case, a command
// split per member, pcall for call, a read in a script called again), and
// cheats, which must fail (a reply forged, the end state forged, a script's
// KEYS and ARGV replaced by one case's values).
var AnswerKinds = []string{"reads", "lowercase", "split", "pcall", "read-again", "forged-reply", "forged-state", "literal-keys"}

// Waiver excuses one answer `exercise test` makes up for a step.
type Waiver struct {
	// Answer is the kind of answer (see AnswerKinds).
	Answer string `yaml:"answer"`
	// Command narrows the waiver to the answers about one command (split
	// LPUSH, a forged reply of GET); default all of that kind.
	Command string `yaml:"command"`
	// Why says why the task asks for that exact form; lint lists it.
	Why string `yaml:"why"`

	Pos yamlstrict.Pos `yaml:"-"`
}

// Waived returns the waiver that excuses an answer of that kind about that
// command, if any.
func (s *Step) Waived(kind, command string) (Waiver, bool) {
	for _, w := range s.Waive {
		if w.Answer == kind && (w.Command == "" || strings.EqualFold(w.Command, command)) {
			return w, true
		}
	}
	return Waiver{}, false
}

// Call gives the keys and arguments of the grader's EVAL or FCALL:
// EVAL script numkeys keys... args....
type Call struct {
	Keys []string `yaml:"keys"`
	Args []string `yaml:"args"`
}

// Mutant is a wrong submission that a spec's checks must catch.
type Mutant struct {
	Name string `yaml:"name"`
	// ID is the mistake's stable slug, kept in results and class reports
	// when the name is reworded; it defaults to the slug of the name.
	ID string `yaml:"id"`
	// Feedback teaches a student who makes this mistake: what it is, why it
	// is wrong and what to do instead. It is shown when a failing step fails
	// the way this mutant does.
	Feedback string `yaml:"feedback"`
	// Fails is the id of the step this mutant must fail.
	Fails string `yaml:"fails"`
	// Files replace the reference's; a null removes the file.
	Files map[string]*string `yaml:"files"`

	Pos yamlstrict.Pos `yaml:"-"`
}

// Case is one run of a step's file from a given state.
type Case struct {
	Name  string       `yaml:"name"`
	Given checks.State `yaml:"given"`
	// Call overrides the step's keys and arguments. In a .redis step it
	// re-sends the file's own EVAL (or FCALL) commands, their script as the
	// student wrote it, with these keys and arguments: a script that names
	// its keys instead of reading KEYS then fails.
	Call   *Call       `yaml:"call"`
	Checks checks.List `yaml:"checks"`

	Pos yamlstrict.Pos `yaml:"-"`
}

// AllHints returns the step's hints in the order a student should see them.
func (s *Step) AllHints() []string {
	var out []string
	if s.Hint != "" {
		out = append(out, s.Hint)
	}
	return append(out, s.Hints...)
}

// IsScript reports whether the step's file is Lua the grader runs itself:
// a script it EVALs, or a library it loads and FCALLs.
func (s *Step) IsScript() bool { return hasExt(s.File, ".lua") }

// NeedsFunctions reports whether grading the step needs Redis Functions.
func (e *Exercise) NeedsFunctions(s *Step) bool {
	return s.Function != "" || s.Requires.Functions || e.Requires.Functions
}

// CallFor returns the keys and arguments for a case: its own, else the step's.
func (s *Step) CallFor(c Case) Call {
	switch {
	case c.Call != nil:
		return *c.Call
	case s.Call != nil:
		return *s.Call
	}
	return Call{}
}

// RunCases returns the cases to run: the step's own, or one built from its
// given state. Each carries the step's checks followed by its own.
func (s *Step) RunCases() []Case {
	if len(s.Cases) == 0 {
		return []Case{{Given: s.Given, Checks: s.Checks, Pos: s.Pos}}
	}
	out := make([]Case, len(s.Cases))
	for i, c := range s.Cases {
		out[i] = c
		out[i].Checks = append(append(checks.List{}, s.Checks...), c.Checks...)
	}
	return out
}

// CaseTimeout is how long one case's commands may run.
func (e *Exercise) CaseTimeout(s *Step) time.Duration {
	switch {
	case s.Timeout > 0:
		return s.Timeout
	case e.Timeout > 0:
		return e.Timeout
	}
	return DefaultTimeout
}

// MaxScore is the sum of the steps' points.
func (e *Exercise) MaxScore() float64 {
	var total float64
	for _, s := range e.Steps {
		total += s.Points
	}
	return total
}
