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
	"github.com/redisgrade/redisgrade/submissions"
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

// Test grades the exercise's reference and mutants on one session. Besides
// the spec's mutants, every step gets one made here: its file empty, which
// must fail it (a step that an empty file passes has checks that cannot
// fail).
func Test(ctx context.Context, ex *exercises.Exercise, sess *grader.Session, opts grader.Options) (*Outcome, error) {
	if len(ex.Reference) == 0 {
		return nil, fmt.Errorf("%s has no reference solution: add `reference:` with a correct file per step", ex.Source)
	}
	out := &Outcome{Exercise: ex.ID}
	ref, err := gradeFiles(ctx, sess, ex, "reference", ex.Reference, opts)
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

	// The spec's mutants are graded once, as the grader grades them to
	// recognise known mistakes; their reports say whether each is caught.
	known, err := grader.KnownMistakes(ctx, sess, ex)
	if err != nil {
		return nil, err
	}
	grouped := map[string]bool{}
	for _, g := range known.Mutants {
		m := g.Mutant
		if skipped[m.Fails] {
			continue
		}
		var step *report.Step
		for i := range g.Report.Steps {
			if g.Report.Steps[i].ID == m.Fails {
				step = &g.Report.Steps[i]
			}
		}
		if step == nil || step.NotGradable {
			out.Skipped = append(out.Skipped, "mutant "+m.Name)
			continue
		}
		mo := MutantOutcome{Name: m.Name, Fails: m.Fails, Killed: !step.Passed}
		if !mo.Killed {
			out.Surprises = append(out.Surprises, fmt.Sprintf("mutant %q passes step %s, which should catch it", m.Name, m.Fails))
		}
		like := known.Like(m.Fails, g.Signature)
		mo.Recognised = mo.Killed && len(like) == 1 && like[0].ID == m.ID
		if key := m.Fails + "\x00" + g.Signature; len(like) > 1 && !grouped[key] {
			grouped[key] = true
			group := Indistinct{Step: m.Fails}
			for _, l := range like {
				group.Mutants = append(group.Mutants, l.Name)
			}
			out.Indistinct = append(out.Indistinct, group)
		}
		out.Mutants = append(out.Mutants, mo)
	}

	type mutant struct {
		name, fails string
		files       map[string]*string
		builtin     bool
	}
	var mutants []mutant
	for _, s := range ex.Steps {
		empty := ""
		mutants = append(mutants, mutant{"empty " + s.File, s.ID, map[string]*string{s.File: &empty}, true})
	}
	for _, m := range mutants {
		if skipped[m.fails] {
			continue
		}
		files := map[string]string{}
		for name, content := range ex.Reference {
			files[name] = content
		}
		for name, content := range m.files {
			if content == nil {
				delete(files, name)
			} else {
				files[name] = *content
			}
		}
		rep, err := gradeFiles(ctx, sess, ex, m.name, files, opts)
		if err != nil {
			return nil, err
		}
		killed, graded := false, true
		for _, s := range rep.Steps {
			if s.ID == m.fails {
				killed, graded = !s.Passed, !s.NotGradable
			}
		}
		if !graded {
			out.Skipped = append(out.Skipped, "mutant "+m.name)
			continue
		}
		out.Mutants = append(out.Mutants, MutantOutcome{Name: m.name, Fails: m.fails, Killed: killed, Builtin: m.builtin})
		if !killed {
			out.Surprises = append(out.Surprises, fmt.Sprintf("mutant %q passes step %s, which should catch it", m.name, m.fails))
		}
	}
	return out, nil
}

// gradeFiles writes files into a temporary submission folder and grades it.
func gradeFiles(ctx context.Context, sess *grader.Session, ex *exercises.Exercise, name string, files map[string]string, opts grader.Options) (*report.Report, error) {
	sub, err := submissions.OpenFiles(name, grader.FileBytes(files))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ex.Source, name, err)
	}
	rep, err := sess.Grade(ctx, ex, sub, opts)
	if err != nil {
		return nil, fmt.Errorf("grade %s of %s: %w", name, ex.ID, err)
	}
	return rep, nil
}

func firstFailure(s report.Step) string {
	for _, c := range s.Checks {
		if !c.Passed {
			return c.Name + ": " + c.Message
		}
	}
	return "failed"
}
