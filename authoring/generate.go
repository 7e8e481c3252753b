package authoring

import (
	"slices"
	"strings"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/rediscmd"
	"github.com/redisgrade/redisgrade/submissions"
)

// Answer is a submission file `exercise test` makes up for one step from
// its reference and checks, as a student might write it: an equivalent
// answer that must pass, or a cheat that must fail.
type Answer struct {
	Kind     string // one of exercises.AnswerKinds
	Command  string // the command it is about, upper case, where there is one
	What     string // what it is, for the report: "the reference with a read of each key after each command"
	Text     string // the step's file
	MustPass bool
}

// maker makes the answers of one kind for a step; none where the kind does
// not apply (a .redis step gets no pcall).
type maker func(g *generation) []Answer

// makers, equivalent answers first.
var makers = []maker{readsAdded, lowerCase, splitMembers, luaPcall, luaReadAgain, forgedReplies, forgedState, literalKeys}

// generation is what answers are made from: the step, its checks, and what
// its reference does in the first case.
type generation struct {
	ex    *exercises.Exercise
	step  *exercises.Step
	trace *grader.StepTrace
	// named are the commands the step's checks ask for (uses, sent, calls,
	// a compare of the commands run), lower case, with their older forms:
	// a forged state writes with none of them.
	named map[string]bool
}

// Generate makes up the answers for a step.
func Generate(ex *exercises.Exercise, s *exercises.Step, trace *grader.StepTrace) []Answer {
	g := &generation{ex: ex, step: s, trace: trace, named: namedCommands(s, trace)}
	var out []Answer
	for _, m := range makers {
		out = append(out, m(g)...)
	}
	return out
}

// namedCommands are the commands a step's checks ask for.
func namedCommands(s *exercises.Step, trace *grader.StepTrace) map[string]bool {
	named := map[string]bool{}
	add := func(name string) {
		for _, form := range rediscmd.Forms(strings.Join(strings.Fields(name), "|")) {
			named[form] = true
		}
	}
	for _, c := range s.RunCases() {
		for _, ch := range c.Checks {
			switch ch := ch.(type) {
			case *checks.UsesCheck:
				for _, n := range ch.Uses {
					add(n)
				}
			case *checks.SentCheck:
				if ch.Times == nil || *ch.Times > 0 {
					add(ch.Sent)
				}
			case *checks.CallsCheck:
				for _, call := range ch.Calls {
					if call.N > 0 {
						add(call.Name)
					}
				}
			case *checks.CompareCheck:
				if ch.Commands {
					for _, cmd := range trace.Commands {
						add(cmd.Args[0])
					}
				}
			}
		}
	}
	return named
}

// redisCommands is the reference's commands for a .redis step, nil for a
// .lua step.
func (g *generation) redisCommands() []submissions.Command {
	if g.step.IsScript() {
		return nil
	}
	return g.trace.Commands
}

// script is the reference's .lua file, "" for a .redis step.
func (g *generation) script() string {
	if !g.step.IsScript() {
		return ""
	}
	return g.ex.Reference[g.step.File]
}

// format writes commands as a .redis file.
func format(cmds [][]string) string {
	var b strings.Builder
	for _, c := range cmds {
		b.WriteString(submissions.FormatCommand(c))
		b.WriteByte('\n')
	}
	return b.String()
}

// argsOf is each command's arguments.
func argsOf(cmds []submissions.Command) [][]string {
	out := make([][]string, len(cmds))
	for i, c := range cmds {
		out[i] = slices.Clone(c.Args)
	}
	return out
}
