package grader

import (
	"context"
	"fmt"
	"sync"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// Grade grades one submission on the session's server. A failing step
// that fails the way exactly one of the spec's mutants fails it (the same
// signature) is named as that known mistake.
func (sess *Session) Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, opts Options) (*report.Report, error) {
	rep, err := sess.grade(ctx, ex, sub, opts)
	if err != nil || rep.Failed() == 0 || len(ex.Mutants) == 0 || len(ex.Reference) == 0 {
		return rep, err
	}
	// Naming is on top of the verdict, never in its place: when the known
	// mistakes cannot be had (the deadline came first, a mutant would not
	// open, the server failed under them), the student keeps the verdict,
	// unnamed, and the next grading tries them again (a failure is not
	// cached). The next case's reset recovers a server left broken.
	if known, err := KnownMistakes(ctx, sess, ex); err == nil {
		known.Name(rep)
	}
	return rep, nil
}

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

// KnownMistakes grades each of the spec's mutants on sess, once per spec
// content and engine in the process: later calls, from any session, get
// the same result without grading anything (check --watch, batch, serve
// and worker pay once, not per submission). Callers that need it at the
// same time wait for the first. Its errors are the grader's.
func KnownMistakes(ctx context.Context, sess *Session, ex *exercises.Exercise) (*Mistakes, error) {
	info := sess.Info()
	key := mistakesKey{engine: info.Kind + " " + info.Server + " " + info.Version}
	if ex.Digest != "" {
		key.spec = ex.Digest
	} else {
		key.spec = ex // built in memory: only this value is that spec
	}
	for {
		e, first := knownMistakes.entry(key)
		if first {
			e.mistakes, e.err = gradeMutants(ctx, sess, ex)
			knownMistakes.done(key, e)
		}
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e.mistakes, nil
		}
		if first || ctx.Err() != nil {
			return nil, e.err
		}
		// The first caller's grading failed (its server, its context):
		// this caller tries on its own session.
	}
}

type mistakesKey struct {
	spec   any // the spec's digest, or the *Exercise of one built in memory
	engine string
}

type mistakesEntry struct {
	ready    chan struct{} // closed once mistakes or err is set
	mistakes *Mistakes
	err      error
}

// maxCachedSpecs bounds the cache: a service grading many specs keeps the
// newest, and a spec dropped is graded again when next needed.
const maxCachedSpecs = 64

type mistakesCache struct {
	mu      sync.Mutex
	entries map[mistakesKey]*mistakesEntry
}

var knownMistakes = &mistakesCache{entries: map[mistakesKey]*mistakesEntry{}}

// entry returns the key's entry; first says the caller must fill it.
func (c *mistakesCache) entry(key mistakesKey) (e *mistakesEntry, first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		return e, false
	}
	if len(c.entries) >= maxCachedSpecs {
		for k, old := range c.entries {
			select {
			case <-old.ready:
				delete(c.entries, k)
			default: // still being graded: others wait on it
			}
		}
	}
	e = &mistakesEntry{ready: make(chan struct{})}
	c.entries[key] = e
	return e, true
}

// done publishes an entry; a failed one is forgotten, for the next caller
// to try again.
func (c *mistakesCache) done(key mistakesKey, e *mistakesEntry) {
	c.mu.Lock()
	if e.err != nil && c.entries[key] == e {
		delete(c.entries, key)
	}
	c.mu.Unlock()
	close(e.ready)
}

// gradeMutants grades each mutant, the reference with its files changed,
// on sess with the spec's own limits.
func gradeMutants(ctx context.Context, sess *Session, ex *exercises.Exercise) (*Mistakes, error) {
	m := &Mistakes{bySignature: map[string]map[string][]int{}}
	for _, mu := range ex.Mutants {
		sub, err := MutantSubmission(ex, mu)
		if err != nil {
			return nil, fmt.Errorf("%s: the known mistake %q: %w", ex.Source, mu.Name, err)
		}
		rep, err := sess.grade(ctx, ex, sub, Options{})
		if err != nil {
			return nil, fmt.Errorf("grade the known mistake %q of %s: %w", mu.Name, ex.ID, err)
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

// MutantSubmission is a mutant as a submission: the spec's reference with
// the mutant's files replaced, a null one removed.
func MutantSubmission(ex *exercises.Exercise, mu exercises.Mutant) (*submissions.Submission, error) {
	files := make(map[string]string, len(ex.Reference))
	for name, content := range ex.Reference {
		files[name] = content
	}
	for name, content := range mu.Files {
		if content == nil {
			delete(files, name)
		} else {
			files[name] = *content
		}
	}
	return submissions.OpenFiles("mutant "+mu.Name, FileBytes(files))
}

// FileBytes turns a spec's files (a reference, a mutant) into what
// submissions.OpenFiles takes.
func FileBytes(files map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for name, content := range files {
		out[name] = []byte(content)
	}
	return out
}
