package grader

import (
	"context"
	"fmt"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
)

// Mistakes is how a spec's known mistakes fail on one kind of engine: each
// mutant graded once, and the signature it leaves on the step it fails.
type Mistakes struct {
	Mutants []GradedMutant
	// bySignature indexes the mutants by step id, then signature.
	bySignature map[string]map[string][]int
}

// GradedMutant is one mutant's grading.
type GradedMutant struct {
	Mutant exercises.Mutant
	Report *report.Report
	// Signature is the failure signature of the step the mutant fails; ""
	// when it passes that step (exercise test reports it) or the engine
	// could not grade it.
	Signature string
}

// Like returns the mutants that fail the step with this signature.
func (m *Mistakes) Like(stepID, signature string) []exercises.Mutant {
	var out []exercises.Mutant
	for _, i := range m.bySignature[stepID][signature] {
		out = append(out, m.Mutants[i].Mutant)
	}
	return out
}

// Name sets the mistake of each failing step of rep whose signature is
// that of exactly one mutant of the step: two mutants that fail alike
// cannot be told apart, and a wrong name is worse than none.
func (m *Mistakes) Name(rep *report.Report) {
	for i := range rep.Steps {
		s := &rep.Steps[i]
		s.Mistake = nil
		if s.Passed || s.NotGradable || s.Signature == "" {
			continue
		}
		if like := m.Like(s.ID, s.Signature); len(like) == 1 {
			s.Mistake = &report.Mistake{ID: like[0].ID, Name: like[0].Name, Feedback: like[0].Feedback}
		}
	}
}

// KnownMistakes grades each of the spec's mutants on sess (GradeVariant:
// once per spec content and engine in the process, so that check --watch,
// batch, serve and worker pay once, not per submission) and indexes them by
// the signature each leaves on the step it fails. Callers that need it at the
// same time wait for the first. Its errors are the grader's.
func KnownMistakes(ctx context.Context, sess *Session, ex *exercises.Exercise) (*Mistakes, error) {
	info := sess.Info()
	key := variantKey{spec: specKey(ex), engine: info.Kind + " " + info.Version}
	return knownMistakes.get(ctx, key, func() (*Mistakes, error) { return gradeMutants(ctx, sess, ex) })
}

// knownMistakes holds each spec's index of its mutants' signatures.
var knownMistakes = newOnceCache[variantKey, *Mistakes](64)

// gradeMutants grades each mutant, the reference with its files changed,
// on sess with the spec's own limits.
func gradeMutants(ctx context.Context, sess *Session, ex *exercises.Exercise) (*Mistakes, error) {
	m := &Mistakes{bySignature: map[string]map[string][]int{}}
	for _, mu := range ex.Mutants {
		rep, err := GradeVariant(ctx, sess, ex, MutantVariant(mu))
		if err != nil {
			return nil, fmt.Errorf("the known mistake %q: %w", mu.Name, err)
		}
		g := GradedMutant{Mutant: mu, Report: rep}
		for _, s := range rep.Steps {
			if s.ID == mu.Fails && !s.Passed && !s.NotGradable {
				g.Signature = s.Signature
			}
		}
		if g.Signature != "" {
			if m.bySignature[mu.Fails] == nil {
				m.bySignature[mu.Fails] = map[string][]int{}
			}
			m.bySignature[mu.Fails][g.Signature] = append(m.bySignature[mu.Fails][g.Signature], len(m.Mutants))
		}
		m.Mutants = append(m.Mutants, g)
	}
	return m, nil
}

// MutantVariant is a mutant as a variant of the reference: its files, and
// only the step it fails graded.
func MutantVariant(mu exercises.Mutant) Variant {
	return Variant{Name: "mutant " + mu.Name, Files: mu.Files, Step: mu.Fails}
}
