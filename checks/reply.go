package checks

import (
	"context"
	"strings"
)

// ReplyCheck asserts the typed reply of the run's last command, or of the last
// command with a given name.
//
//   - reply: [99, 1]
//   - reply: {error: "ERR wrong number"}
//     command: EVAL
type ReplyCheck struct {
	Reply   Value  `yaml:"reply"`
	Command string `yaml:"command"`
	Meta    `yaml:",inline"`
}

func (c *ReplyCheck) Name() string {
	if c.Command != "" {
		return "reply of " + strings.ToUpper(c.Command) + " is " + c.Reply.String()
	}
	return "reply is " + c.Reply.String()
}

// ExpectedError returns the error this check expects, if it expects one: the
// grader then does not count that error against the student.
func (c *ReplyCheck) ExpectedError() (Value, bool) {
	return c.Reply, c.Reply.Type == Error
}

func (c *ReplyCheck) Evaluate(_ context.Context, env *Env) Result {
	i := lastIndex(env, c.Command)
	if i < 0 {
		if c.Command == "" {
			return fail("%s sends no command", env.File)
		}
		return fail("%s sends no %s command", env.File, strings.ToUpper(c.Command))
	}
	got := env.Replies[i]
	res := Result{Expected: c.Reply.String(), Actual: got.String()}
	if got.Matches(c.Reply) {
		res.Passed = true
		return res
	}
	res.Message = "the reply was " + got.String() + ", expected " + c.Reply.String()
	if got.Type == Error && c.Reply.Type != Error {
		// The error itself is already reported by the no-errors check.
		res.Message = "an error came back instead of " + c.Reply.String() + " (the error is shown above)"
	}
	if note := explainMismatch(got, c.Reply); note != "" {
		res.Message += ": " + note
	}
	return res
}

// lastIndex finds the last command sent with that name ("" for any).
func lastIndex(env *Env, name string) int {
	for i := len(env.Sent) - 1; i >= 0 && i < len(env.Replies); i-- {
		if name == "" || strings.EqualFold(env.Sent[i].Name(), name) {
			return i
		}
	}
	return -1
}
