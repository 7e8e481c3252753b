// Package authoring proves exercise specs: that a reference solution passes
// every step and that each wrong solution (a mutant) fails the step it
// names, and finds spec mistakes before a class does.
package authoring

import (
	"context"
	"fmt"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
)

// Outcome is what testing one exercise found.
type Outcome struct {
	Exercise string
	// Reference is the reference solution's report.
	Reference *report.Report
	Mutants   []MutantOutcome
	// Surprises are the findings that make the test fail: a reference step
	// that failed, a mutant that was not caught.
	Surprises []string
	// Skipped are the steps the engine could not grade (Functions on the
	// emulator), and the mutants whose step it could not grade: none of them
	// is counted, and the exercise is not proven on this engine.
	Skipped []string
	// Indistinct are the groups of mutants of one step that fail it with
	// the same signature: a student's answer that fails that way is named
	// none of them. Each needs a case that tells it apart, or a merge.
	Indistinct []Indistinct
	// Generated are the answers made up for each step, and their fate.
	Generated []GeneratedOutcome
}

// Indistinct is a group of mutants a step cannot tell apart.
type Indistinct struct {
	Step    string
	Mutants []string
}

// Recognised counts the spec's mutants that grading names as themselves,
// of those counted: the mistake coverage.
func (o Outcome) Recognised() (recognised, total int) {
	for _, m := range o.Mutants {
		if m.Builtin || !m.Killed {
			continue
		}
		total++
		if m.Recognised {
			recognised++
		}
	}
	return recognised, total
}

// MutantOutcome is one mutant's fate.
type MutantOutcome struct {
	Name, Fails string
	Killed      bool
	Builtin     bool // made by the tester: the step's file left empty
	// Recognised: a submission that fails as this mutant does is named this
	// known mistake (its signature is its own).
	Recognised bool
}

// Score is the share of counted mutants that were killed, from 0 to 1.
func (o Outcome) Score() (killed, total int) {
	for _, m := range o.Mutants {
		total++
		if m.Killed {
			killed++
		}
	}
	return killed, total
}

// Test grades the exercise's reference and mutants on one session, and the
// answers it makes up for each step from the reference and the step's
// checks (Generate): equivalent answers, which must pass, and cheats, which
// must fail. Besides the spec's mutants, every step gets one made here: its
// file empty, which must fail it (a step that an empty file passes has
// checks that cannot fail). Every one of them is graded on the grader's one
// path for variants of the reference (grader.GradeVariant), and once.
func Test(ctx context.Context, ex *exercises.Exercise, sess *grader.Session, opts grader.Options) (*Outcome, error) {
	if len(ex.Reference) == 0 {
		return nil, fmt.Errorf("%s has no reference solution: add `reference:` with a correct file per step", ex.Source)
	}
	out := &Outcome{Exercise: ex.ID}
	ref, err := grader.GradeVariant(ctx, sess, ex, grader.Variant{Name: "reference"})
	if err != nil {
		return nil, err
	}
	out.Reference = ref
	skipped := map[string]bool{}
	for _, s := range ref.Steps {
		switch {
		case s.NotGradable:
			skipped[s.ID] = true
			out.Skipped = append(out.Skipped, s.ID)
		case !s.Passed:
			out.Surprises = append(out.Surprises, fmt.Sprintf("the reference fails step %s: %s", s.ID, firstFailure(s)))
		}
	}
	if err := out.testMutants(ctx, sess, ex, skipped); err != nil {
		return nil, err
	}
	if err := out.testEmptyFiles(ctx, sess, ex, skipped); err != nil {
		return nil, err
	}
	for i := range ex.Steps {
		s := &ex.Steps[i]
		if skipped[s.ID] || !stepPassed(ref, s.ID) {
			continue // an answer made from a reference that fails proves nothing
		}
		if err := out.testGenerated(ctx, sess, ex, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// testMutants grades the spec's mutants, as the grader grades them to
// recognise known mistakes: each must fail its step, as itself.
func (out *Outcome) testMutants(ctx context.Context, sess *grader.Session, ex *exercises.Exercise, skipped map[string]bool) error {
	known, err := grader.KnownMistakes(ctx, sess, ex)
	if err != nil {
		return err
	}
	grouped := map[string]bool{}
	for _, g := range known.Mutants {
		m := g.Mutant
		if skipped[m.Fails] {
			continue
		}
		step := stepOf(g.Report, m.Fails)
		if step == nil || step.NotGradable {
			out.Skipped = append(out.Skipped, "mutant "+m.Name)
			continue
		}
		mo := MutantOutcome{Name: m.Name, Fails: m.Fails, Killed: !step.Passed}
		if !mo.Killed {
			out.Surprises = append(out.Surprises, fmt.Sprintf("mutant %q passes step %s, which should catch it", m.Name, m.Fails))
		}
		like := known.Like(m.Fails, g.Fingerprint)
		mo.Recognised = mo.Killed && len(like) == 1 && like[0].ID == m.ID
		if key := m.Fails + "\x00" + g.Fingerprint; len(like) > 1 && !grouped[key] {
			grouped[key] = true
			group := Indistinct{Step: m.Fails}
			for _, l := range like {
				group.Mutants = append(group.Mutants, l.Name)
			}
			out.Indistinct = append(out.Indistinct, group)
		}
		out.Mutants = append(out.Mutants, mo)
	}
	return nil
}

// testEmptyFiles grades each step with its file left empty: it must fail.
func (out *Outcome) testEmptyFiles(ctx context.Context, sess *grader.Session, ex *exercises.Exercise, skipped map[string]bool) error {
	for _, s := range ex.Steps {
		if skipped[s.ID] {
			continue
		}
		empty := ""
		name := "empty " + s.File
		rep, err := grader.GradeVariant(ctx, sess, ex, grader.Variant{Name: name, Files: map[string]*string{s.File: &empty}, Step: s.ID})
		if err != nil {
			return err
		}
		step := stepOf(rep, s.ID)
		if step == nil || step.NotGradable {
			out.Skipped = append(out.Skipped, "mutant "+name)
			continue
		}
		out.Mutants = append(out.Mutants, MutantOutcome{Name: name, Fails: s.ID, Killed: !step.Passed, Builtin: true})
		if step.Passed {
			out.Surprises = append(out.Surprises, fmt.Sprintf("mutant %q passes step %s, which should catch it", name, s.ID))
		}
	}
	return nil
}

func stepOf(rep *report.Report, id string) *report.Step {
	for i := range rep.Steps {
		if rep.Steps[i].ID == id {
			return &rep.Steps[i]
		}
	}
	return nil
}

func stepPassed(rep *report.Report, id string) bool {
	s := stepOf(rep, id)
	return s != nil && s.Passed
}

func firstFailure(s report.Step) string {
	for _, c := range s.Checks {
		if !c.Passed {
			return c.Name + ": " + c.Message
		}
	}
	return "failed"
}
