// Package exercises holds the exercise spec types, their strict loading and
// validation, and the shipped specs themselves (embedded into the binary).
package exercises

import (
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
	Steps    []Step        `yaml:"steps"`

	Source string         `yaml:"-"` // the file it was loaded from
	Pos    yamlstrict.Pos `yaml:"-"`
}

// Requires states what a server must be to grade the exercise.
type Requires struct {
	Redis string `yaml:"redis"` // a minimum version: ">=7.0"
}

// Step is one task, graded from its own clean state.
type Step struct {
	ID      string        `yaml:"id"`
	Title   string        `yaml:"title"`
	Task    string        `yaml:"task"`
	Hint    string        `yaml:"hint"`
	// Hints are further hints, each more direct than the last, for students
	// who ask again (redisgrade hint).
	Hints []string `yaml:"hints"`
	File    string        `yaml:"file"` // .redis: commands run in order; .lua: a script run with EVAL
	Points  float64       `yaml:"points"`
	// Hidden steps are graded but their results are shown to the student
	// only after the due date (on LMSs that support it, e.g. Gradescope).
	Hidden bool `yaml:"hidden"`
	Eval    *Eval         `yaml:"eval"`
	Timeout time.Duration `yaml:"timeout"`
	// Given is the state before the commands run, when the step has no cases.
	Given checks.State `yaml:"given"`
	// Checks hold in every case of the step.
	Checks checks.List `yaml:"checks"`
	// Cases run the same file from several starting states.
	Cases []Case `yaml:"cases"`

	Pos yamlstrict.Pos `yaml:"-"`
}

// Eval says how the grader runs a .lua file: EVAL script numkeys keys... args...
type Eval struct {
	Keys []string `yaml:"keys"`
	Args []string `yaml:"args"`
}

// Case is one run of a step's file from a given state.
type Case struct {
	Name   string       `yaml:"name"`
	Given  checks.State `yaml:"given"`
	Checks checks.List  `yaml:"checks"`

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

// IsScript reports whether the step's file is a Lua script the grader EVALs.
func (s *Step) IsScript() bool { return hasExt(s.File, ".lua") }

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
