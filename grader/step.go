package grader

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/position"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// grading is one submission being graded on a session.
type grading struct {
	ex   *exercises.Exercise
	sub  *submissions.Submission
	sess *Session
	opts Options
	// keyspace is what the last case's commands left, when a check failed.
	keyspace string
	// timedOut says the last case's commands ran out of their time limit.
	timedOut bool
	// unfaithful is what the emulator could not answer as Redis before a compare check reset the server to
	// run the reference: the reset forgets it, and the case must still go ungraded.
	unfaithful []string
}

// stepVerdict is a step's verdict, and its fingerprint when it failed.
type stepVerdict struct {
	report.Step
	fingerprint string
}

// checkResult is one check's verdict with what only the grader keeps of a
// failing one: the shape of what it saw (for the step's signature) and its
// detail (for the fingerprint).
type checkResult struct {
	report.Check
	shape, detail string
}

func (g *grading) timeout(s *exercises.Step) time.Duration {
	if g.opts.Timeout > 0 {
		return g.opts.Timeout
	}
	return g.ex.CaseTimeout(s)
}

func (g *grading) step(ctx context.Context, s *exercises.Step) (stepVerdict, error) {
	out := stepVerdict{Step: report.Step{ID: s.ID, Title: s.Title, File: s.File, MaxScore: s.Points, Hint: s.Hint, Hidden: s.Hidden}}
	info := g.sess.srv.Info()
	if g.ex.NeedsFunctions(s) && info.Emulator {
		return g.notGradable(out, "has no Redis Functions"), nil
	}
	if !s.Requires.Admits(info.Server, info.Version, info.Compatible) {
		return notGradableHere(out, "not graded: this step needs "+s.Requires.Describe()+"; "+runsOn(info)), nil
	}
	file := g.readFile(s)
	if file.problem != nil {
		out.Checks = []report.Check{file.problem.Check}
		out.Signature, out.fingerprint = file.problem.shape, file.problem.shape
		return out, nil
	}
	cases := s.RunCases()
	var sig signature
	for i, c := range cases {
		cmds := file.commands(s, c)
		label := ""
		if len(cases) > 1 {
			label = caseLabel(c)
		}
		g.keyspace, g.timedOut, g.unfaithful = "", false, nil
		results, note, err := g.runCase(ctx, s, c, cmds)
		if err != nil {
			return out, err
		}
		// An emulator that could not answer the student's commands as Redis would gives no verdict.
		if reasons, err := engine.Unfaithful(ctx, g.sess.srv); err == nil && len(g.unfaithful)+len(reasons) > 0 {
			reasons = append(g.unfaithful, reasons...)
			return g.notGradable(out, "cannot grade this faithfully: the student's code "+strings.Join(reasons, "; ")), nil
		}
		if out.Keyspace == "" {
			out.Keyspace = g.keyspace
		}
		sig.addCase(i, results)
		for _, r := range results {
			r.Case = label
			out.Checks = append(out.Checks, r.Check)
		}
		if note != "" {
			out.Note = note
		}
		// Code that ran out of time once will again: the other cases would
		// only make the student wait for the same verdict.
		if g.timedOut {
			break
		}
	}
	out.Note = joinNotes(file.note(), out.Note)
	out.Passed = true
	for _, c := range out.Checks {
		out.Passed = out.Passed && c.Passed
	}
	if out.Passed {
		out.Score = s.Points
	} else {
		out.Signature, out.fingerprint = sig.String(), sig.fingerprint()
	}
	return out, nil
}

func joinNotes(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// notGradable is the verdict of a step this engine cannot grade: none.
func (g *grading) notGradable(out stepVerdict, why string) stepVerdict {
	return notGradableHere(out, "not graded: this engine ("+g.sess.srv.Info().Version+") "+why+": grade with the process or docker engine")
}

// notGradableHere is the verdict of a step this server cannot grade, with the note that says why: none.
func notGradableHere(out stepVerdict, note string) stepVerdict {
	out.Checks, out.Passed, out.Score, out.Keyspace = nil, false, 0, ""
	out.NotGradable = true
	out.Note = note
	return out
}

// caseLabel names a case in its checks (report.Check.Case): its name, else
// its given keys.
func caseLabel(c exercises.Case) string {
	switch {
	case c.Name != "":
		return c.Name
	case len(c.Given) == 0:
		return "no keys"
	}
	return c.Given.String()
}

// stepFile is a step's file, read and parsed once for all its cases.
type stepFile struct {
	text    string
	parsed  *submissions.Parsed // a .redis file's commands
	problem *checkResult        // why the file cannot be graded
}

// readFile reads the step's file. A file that cannot be used fails its step
// with a check saying why.
func (g *grading) readFile(s *exercises.Step) stepFile {
	text, err := g.sub.Text(s.File)
	if err != nil {
		return stepFile{problem: &checkResult{Check: report.Check{Name: s.File + " can be read", Message: err.Error()}, shape: fileShape(err)}}
	}
	if s.IsScript() {
		return stepFile{text: text}
	}
	parsed, err := submissions.Parse(s.File, text)
	if err != nil {
		// The student sees each bad line, a caret under where it goes wrong.
		return stepFile{problem: &checkResult{Check: report.Check{Name: s.File + " parses as redis-cli commands", Message: position.Explain(err)}, shape: "does not parse"}}
	}
	if len(parsed.Commands) == 0 {
		msg := s.File + " holds only comments and blank lines"
		if len(parsed.Local) > 0 {
			msg = s.File + " sends no command to Redis: " + localNotes(parsed.Local)
		}
		return stepFile{problem: &checkResult{Check: report.Check{Name: s.File + " has commands", Message: msg}, shape: "no commands"}}
	}
	return stepFile{text: text, parsed: parsed}
}

// commands are what the grader sends for one case: the file's commands (its
// scripts re-sent with the case's keys and arguments, where it gives them),
// or the script run with the case's keys and arguments.
func (f stepFile) commands(s *exercises.Step, c exercises.Case) []submissions.Command {
	if f.parsed != nil {
		return recall(f.parsed.Commands, c.Call)
	}
	return scriptCommands(s, c, f.text)
}

// callers are the commands that run a script or function with keys and
// arguments: NAME script-or-function numkeys keys... args...
var callers = []string{"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"}

// recall re-sends the commands that run a script with call's keys and
// arguments instead of their own; nil leaves them.
func recall(cmds []submissions.Command, call *exercises.Call) []submissions.Command {
	if call == nil {
		return cmds
	}
	out := make([]submissions.Command, len(cmds))
	for i, c := range cmds {
		out[i] = c
		if slices.Contains(callers, c.Name()) && len(c.Args) >= 2 {
			args := append([]string{c.Args[0], c.Args[1], strconv.Itoa(len(call.Keys))}, call.Keys...)
			out[i].Args = append(args, call.Args...)
		}
	}
	return out
}

// note is what a step's feedback says about its .redis file beyond the
// checks: the lines redis-cli handles itself.
func (f stepFile) note() string {
	if f.parsed == nil {
		return ""
	}
	return localNotes(f.parsed.Local)
}

// localNotes says what redis-cli does with the lines it handles itself.
func localNotes(locals []submissions.Local) string {
	notes := make([]string, len(locals))
	for i, l := range locals {
		notes[i] = l.Note()
	}
	return strings.Join(notes, "; ")
}

// scriptCommands is how the grader runs a .lua file: EVAL it, or load it as
// a Functions library and FCALL the step's function. Line 0 marks commands
// the grader wrote, not the student.
func scriptCommands(s *exercises.Step, c exercises.Case, text string) []submissions.Command {
	call := s.CallFor(c)
	tail := append([]string{strconv.Itoa(len(call.Keys))}, call.Keys...)
	tail = append(tail, call.Args...)
	if s.Function != "" {
		return []submissions.Command{
			{Line: 0, Args: []string{"FUNCTION", "LOAD", "REPLACE", text}},
			{Line: 0, Args: append([]string{"FCALL", s.Function}, tail...)},
		}
	}
	return []submissions.Command{{Line: 0, Args: append([]string{"EVAL", text}, tail...)}}
}
