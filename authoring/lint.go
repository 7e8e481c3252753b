package authoring

import (
	"fmt"
	"strings"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// Lint finds what strict loading accepts but a class would trip over: a
// case no check can fail, a missing hint, points that do not add up, a
// reference that does not cover the steps. Each finding is positioned.
func Lint(ex *exercises.Exercise) yamlstrict.Errors {
	var out yamlstrict.Errors
	at := func(p yamlstrict.Pos, format string, args ...any) {
		out = append(out, &yamlstrict.Error{File: ex.Source, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
	}
	files := map[string]bool{}
	var total float64
	for i, s := range ex.Steps {
		label := fmt.Sprintf("step %d (%s)", i+1, s.ID)
		files[s.File] = true
		total += s.Points
		if len(s.AllHints()) == 0 {
			at(s.Pos, "%s has no hint: a student who is stuck gets nothing", label)
		}
		if s.Points == 0 {
			at(s.Pos, "%s is worth no points", label)
		}
		for _, c := range s.RunCases() {
			if vacuousCase(c) {
				at(c.Pos, "%s: every check of the case from {%s} already holds before anything runs: no answer can fail it", label, c.Given)
			}
		}
		if pos, ok := unnamedReply(&s); ok {
			at(pos, "%s: a reply check of a .redis step reads the file's last reply, which a read added at the end changes and an EVAL can forge: name the command whose reply it reads (command: GET)", label)
		}
		if ex.Reference != nil {
			if _, ok := ex.Reference[s.File]; !ok {
				at(s.Pos, "%s: the reference solution has no %s", label, s.File)
			}
		}
		if msg := unfinishedReference(ex, &s); msg != "" {
			at(s.Pos, "%s: %s", label, msg)
		}
	}
	lintRequires(ex, at)
	if ex.Points != 0 && ex.Points != total {
		at(ex.Pos, "the steps' points add up to %g, but the exercise says it is worth %g", total, ex.Points)
	}
	if len(ex.Reference) == 0 {
		at(ex.Pos, "no reference solution: `redisgrade exercise test` cannot prove the checks accept a right answer")
	}
	for name := range ex.Reference {
		if !files[name] {
			at(ex.Pos, "the reference has %s, which no step grades", name)
		}
	}
	return append(out, lintText(ex)...)
}

// lintText finds terminal controls in the text a student reads (titles,
// summary, tasks, hints, mutants' names and feedback): printed, they are
// shown escaped, but they are never meant, and an import from a page that
// held them is refused too.
func lintText(ex *exercises.Exercise) yamlstrict.Errors {
	var out yamlstrict.Errors
	check := func(p yamlstrict.Pos, where, text string) {
		if i, r, ok := TerminalControl(text); ok {
			out = append(out, &yamlstrict.Error{File: ex.Source, Line: p.Line, Col: p.Col,
				Msg: fmt.Sprintf("%s holds %U at character %d, a terminal control: a student's terminal would act on it; write it in words", where, r, i+1)})
		}
	}
	check(ex.Pos, "the exercise's title", ex.Title)
	check(ex.Pos, "the exercise's summary", ex.Summary)
	for i, s := range ex.Steps {
		label := fmt.Sprintf("step %d (%s)", i+1, s.ID)
		check(s.Pos, label+": title", s.Title)
		check(s.Pos, label+": task", s.Task)
		for j, h := range s.AllHints() {
			check(s.Pos, fmt.Sprintf("%s: hint %d", label, j+1), h)
		}
		for _, c := range s.Cases {
			check(c.Pos, label+": a case's name", c.Name)
		}
	}
	for _, m := range ex.Mutants {
		check(m.Pos, "a mutant's name", m.Name)
		check(m.Pos, fmt.Sprintf("mutant %q: feedback", m.Name), m.Feedback)
	}
	return out
}

// unnamedReply finds a reply check of a .redis step that names no command.
func unnamedReply(s *exercises.Step) (yamlstrict.Pos, bool) {
	if s.IsScript() {
		return yamlstrict.Pos{}, false
	}
	for _, c := range s.RunCases() {
		for _, ch := range c.Checks {
			if r, ok := ch.(*checks.ReplyCheck); ok && r.Command == "" {
				return c.Pos, true
			}
		}
	}
	return yamlstrict.Pos{}, false
}

// TerminalControl finds the first character of text that acts on a
// terminal or on the order of what it shows: C0 controls but tab and
// newline, DEL, C1 controls, and the bidirectional embeddings, overrides
// and isolates (U+202A-U+202E, U+2066-U+2069; the marks that right-to-left
// text needs are fine). It returns its index in characters.
func TerminalControl(text string) (index int, r rune, found bool) {
	i := 0
	for _, r := range text {
		switch {
		case r == '\t', r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return i, r, true
		}
		i++
	}
	return 0, 0, false
}

// vacuousCase reports whether every check of a case holds of its given state
// alone, so that a file that does nothing passes. The grader's no-errors
// check is left out: it holds when nothing runs, too.
func vacuousCase(c exercises.Case) bool {
	for _, ch := range c.Checks {
		if !vacuous(ch, c.Given) {
			return false
		}
	}
	return len(c.Checks) > 0
}

func vacuous(ch checks.Check, given checks.State) bool {
	switch c := ch.(type) {
	case *checks.KeyCheck:
		v, ok := given.Get(c.Key)
		return (c.Absent && !ok) || (c.Equals != nil && ok && v == *c.Equals)
	case *checks.ChangeCheck:
		for _, k := range c.Change {
			if k.N != 0 {
				return false
			}
		}
		return true
	case *checks.CallsCheck:
		for _, k := range c.Calls {
			if k.N != 0 {
				return false
			}
		}
		return true
	case *checks.SentCheck:
		return c.Times != nil && *c.Times == 0
	case *checks.KeysCheck:
		if len(c.Keys) != len(given) {
			return false
		}
		for _, k := range c.Keys {
			if _, ok := given.Get(k); !ok {
				return false
			}
		}
		return true
	case *checks.TTLCheck:
		_, ok := given.Get(c.Key)
		return c.None && ok
	}
	return false
}

// unfinishedReference says what a step's reference still lacks, where the
// step is graded by it: a TODO marker left by exercise import, or no
// commands at all.
func unfinishedReference(ex *exercises.Exercise, s *exercises.Step) string {
	text, ok := ex.Reference[s.File]
	switch {
	case !ok:
		if usesReference(s) && len(ex.Reference) == 0 {
			return "compare: reference needs a reference solution: add `reference:` with " + s.File
		}
		return ""
	case strings.Contains(text, TODOMarker):
		what := "commands that solve"
		if s.IsScript() {
			what = "Lua script that solves"
		}
		return fmt.Sprintf("the reference's %s is still a %s: write the %s the step", s.File, TODOMarker, what)
	case strings.TrimSpace(text) == "":
		return fmt.Sprintf("the reference's %s is empty", s.File)
	case !s.IsScript():
		if cmds, err := submissions.ParseCommands(s.File, text); err == nil && len(cmds) == 0 {
			return fmt.Sprintf("the reference's %s holds only comments: write the commands that solve the step", s.File)
		}
	}
	return ""
}

// usesReference reports whether grading the step runs the reference.
func usesReference(s *exercises.Step) bool {
	if s.Setup == "reference" {
		return true
	}
	for _, c := range s.RunCases() {
		for _, ch := range c.Checks {
			if _, ok := ch.(*checks.CompareCheck); ok {
				return true
			}
		}
	}
	return false
}

// Waivers lists the answers the spec excuses exercise test from making up,
// each with its reason, for a reviewer to read.
func Waivers(ex *exercises.Exercise) []string {
	var out []string
	for _, s := range ex.Steps {
		for _, w := range s.Waive {
			what := w.Answer
			if w.Command != "" {
				what += " " + strings.ToUpper(w.Command)
			}
			out = append(out, fmt.Sprintf("%s:%d:%d: step %s waives the made-up answer %s: %s", ex.Source, w.Pos.Line, w.Pos.Col, s.ID, what, w.Why))
		}
	}
	return out
}

// Warnings are findings that do not make a spec wrong but make it teach
// less: a mutant without feedback is recognised in a student's answer but
// says nothing beyond its name.
func Warnings(ex *exercises.Exercise) yamlstrict.Errors {
	var out yamlstrict.Errors
	for _, m := range ex.Mutants {
		if strings.TrimSpace(m.Feedback) == "" {
			out = append(out, &yamlstrict.Error{File: ex.Source, Line: m.Pos.Line, Col: m.Pos.Col,
				Msg: fmt.Sprintf("mutant %q has no feedback: a student who makes this mistake is told only its name", m.Name)})
		}
	}
	return out
}
