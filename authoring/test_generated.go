package authoring

import (
	"context"
	"fmt"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
)

// GeneratedOutcome is the fate of one answer made up for a step.
type GeneratedOutcome struct {
	Step   string
	Answer Answer
	// Held: an equivalent answer passed, or a cheat failed.
	Held bool
	// Waived is the spec's reason to excuse this answer, where it has one:
	// the answer is not graded.
	Waived string
	// NotGraded: the engine could not grade the step.
	NotGraded bool
	// Check names the check that stopped an equivalent answer, with what it
	// said.
	Check string
}

// GeneratedCounts says how many answers were tried (graded), how many of
// them held, and how many the spec waived.
func (o Outcome) GeneratedCounts() (tried, held, waived int) {
	for _, g := range o.Generated {
		switch {
		case g.Waived != "":
			waived++
		case g.NotGraded:
		default:
			tried++
			if g.Held {
				held++
			}
		}
	}
	return tried, held, waived
}

// testGenerated makes up the answers for a step and grades each alone.
func (out *Outcome) testGenerated(ctx context.Context, sess *grader.Session, ex *exercises.Exercise, s *exercises.Step) error {
	trace, err := grader.Trace(ctx, sess, ex, s)
	if err != nil {
		if grader.IsInfra(err) {
			return err
		}
		out.Surprises = append(out.Surprises, fmt.Sprintf("step %s: the reference could not be traced to make up answers: %v", s.ID, err))
		return nil
	}
	for _, a := range Generate(ex, s, trace) {
		g := GeneratedOutcome{Step: s.ID, Answer: a}
		if w, ok := s.Waived(a.Kind, a.Command); ok {
			g.Waived = w.Why
			out.Generated = append(out.Generated, g)
			continue
		}
		text := a.Text
		rep, err := grader.GradeVariant(ctx, sess, ex, grader.Variant{
			Name: "made-up answer " + a.Kind + " " + a.Command, Files: map[string]*string{s.File: &text}, Step: s.ID})
		if err != nil {
			return err
		}
		step := stepOf(rep, s.ID)
		if step == nil || step.NotGradable {
			g.NotGraded = true
			out.Generated = append(out.Generated, g)
			continue
		}
		g.Held = step.Passed == a.MustPass
		if !step.Passed {
			g.Check = firstFailure(*step)
		}
		if !g.Held {
			out.Surprises = append(out.Surprises, generatedSurprise(s.ID, a, step))
		}
		out.Generated = append(out.Generated, g)
	}
	return nil
}

// generatedSurprise says what went wrong with a made-up answer, and what
// the author can do.
func generatedSurprise(step string, a Answer, s *report.Step) string {
	name := a.Kind
	if a.Command != "" {
		name += " " + a.Command
	}
	if a.MustPass {
		return fmt.Sprintf("step %s: the right answer %q (%s) fails: %s. A check asks for more than the task: loosen it, or waive the answer (waive: [{answer: %s, why: ...}]) if the task truly asks for that form",
			step, a.What, name, firstFailure(*s), a.Kind)
	}
	return fmt.Sprintf("step %s: the cheat %q (%s) passes: no check stops it. %s, or waive it (waive: [{answer: %s, why: ...}]) if it is a right answer",
		step, a.What, name, cheatAdvice[a.Kind], a.Kind)
}

// cheatAdvice says what stops each kind of cheat.
var cheatAdvice = map[string]string{
	"forged-reply": "Name the command whose reply the check reads (command: ...), or check that the task's command ran (uses: ...)",
	"forged-state": "Check that the commands the task names ran (uses: ...), or add a case from another starting state",
	"literal-keys": "Add a case with other keys and arguments (call: {keys: [...], args: [...]}), from a state of its own",
}
