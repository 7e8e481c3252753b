package report

import "strings"

// Mistake is a known mistake a failing step was recognised as: one of the
// spec's mutants, the wrong answer that fails the step the same way.
type Mistake struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Feedback string `json:"feedback"`
}

// MistakeText is what a student reads about a known mistake: "This looks
// like a known mistake: the values returned in the wrong order. <feedback>".
func MistakeText(m *Mistake) string { return mistakeLead + mistakeBody(m) }

const mistakeLead = "This looks like a known mistake: "

// mistakeBody is the mistake's name, then its feedback.
func mistakeBody(m *Mistake) string {
	text := strings.TrimRight(m.Name, ".") + "."
	if m.Feedback != "" {
		text += " " + strings.TrimSpace(m.Feedback)
	}
	return text
}

// visibleMistake is m with its text made safe to print.
func visibleMistake(m *Mistake) *Mistake {
	if m == nil {
		return nil
	}
	return &Mistake{ID: VisibleLine(m.ID), Name: VisibleLine(m.Name), Feedback: Visible(m.Feedback)}
}
