package grader

import (
	"context"
	"fmt"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
)

// Mistakes is how a spec's known mistakes fail on one kind of engine: each
// mutant graded once, and the fingerprint it leaves on the step it fails.
type Mistakes struct {
	Mutants []GradedMutant
	// byFingerprint indexes the mutants by step id, then fingerprint.
	byFingerprint map[string]map[string][]int
}

// GradedMutant is one mutant's grading.
type GradedMutant struct {
	Mutant exercises.Mutant
	Report *report.Report
	// Fingerprint is how the mutant fails the step it fails, check by check
	// of every case (see signature); "" when it passes that step (exercise
	// test reports it) or the engine could not grade it.
	Fingerprint string
}

// Like returns the mutants that fail the step with this fingerprint.
func (m *Mistakes) Like(stepID, fingerprint string) []exercises.Mutant {
	var out []exercises.Mutant
	for _, i := range m.byFingerprint[stepID][fingerprint] {
		out = append(out, m.Mutants[i].Mutant)
	}
	return out
}

// name sets the mistake of each failing step of g whose fingerprint is that
// of exactly one mutant of the step: the student's commands behaved as the
// mistake does on every check of every case, value for value where the
// values are small, and failed nothing the mistake does not. Two mutants
// that fail alike cannot be told apart, and a wrong name is worse than none.
func (m *Mistakes) name(g *graded) {
	for i := range g.rep.Steps {
		s := &g.rep.Steps[i]
		s.Mistake = nil
		fp := g.fingerprints[s.ID]
		if s.Passed || s.NotGradable || fp == "" {
			continue
		}
		if like := m.Like(s.ID, fp); len(like) == 1 {
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
	key := variantKey{spec: specKey(ex), engine: engineKey(sess)}
	return knownMistakes.get(ctx, key, func() (*Mistakes, error) { return gradeMutants(ctx, sess, ex) })
}

// knownMistakes holds each spec's index of its mutants' signatures.
var knownMistakes = newOnceCache[variantKey, *Mistakes](64)

// gradeMutants grades each mutant, the reference with its files changed,
// on sess with the spec's own limits.
func gradeMutants(ctx context.Context, sess *Session, ex *exercises.Exercise) (*Mistakes, error) {
	m := &Mistakes{byFingerprint: map[string]map[string][]int{}}
	for _, mu := range ex.Mutants {
		graded, err := gradeVariant(ctx, sess, ex, MutantVariant(mu))
		if err != nil {
			return nil, fmt.Errorf("the known mistake %q: %w", mu.Name, err)
		}
		g := GradedMutant{Mutant: mu, Report: graded.rep, Fingerprint: graded.fingerprints[mu.Fails]}
		if g.Fingerprint != "" {
			if m.byFingerprint[mu.Fails] == nil {
				m.byFingerprint[mu.Fails] = map[string][]int{}
			}
			m.byFingerprint[mu.Fails][g.Fingerprint] = append(m.byFingerprint[mu.Fails][g.Fingerprint], len(m.Mutants))
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
