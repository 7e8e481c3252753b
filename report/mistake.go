package report

// Mistake is a known mistake a failing step was recognised as: one of the
// spec's mutants, the wrong answer that fails the step the same way.
type Mistake struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Feedback string `json:"feedback"`
}
