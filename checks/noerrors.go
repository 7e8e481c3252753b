package checks

import (
	"context"
	"strings"
)

// NoErrors is the check the grader adds to every case: a command that gets an
// error reply fails its step, unless a reply check of the case expects that
// error. It is not a spec kind: no spec can switch it off by accident.
func NoErrors(expected []Value) Check { return &noErrors{expected: expected} }

type noErrors struct{ expected []Value }

func (c *noErrors) Name() string { return "commands run without errors" }

func (c *noErrors) Evaluate(_ context.Context, env *Env) Result {
	var msgs []string
	for i, r := range env.Replies {
		if r.Type != Error || c.isExpected(r) {
			continue
		}
		msgs = append(msgs, where(env, i)+": "+env.Sent[i].Name()+" returned "+r.String())
	}
	if len(msgs) == 0 {
		return pass("")
	}
	const shown = 3
	if len(msgs) > shown {
		msgs = append(msgs[:shown], sprintf("and %d more", len(msgs)-shown))
	}
	return Result{Message: strings.Join(msgs, "; "), Actual: env.Replies[firstError(env)].String()}
}

func (c *noErrors) isExpected(r Value) bool {
	for _, e := range c.expected {
		if r.Matches(e) {
			return true
		}
	}
	return false
}

func firstError(env *Env) int {
	for i, r := range env.Replies {
		if r.Type == Error {
			return i
		}
	}
	return 0
}

// where names a command's place: the file and line, or just the file for a
// script the grader ran.
func where(env *Env, i int) string {
	if env.Sent[i].Line == 0 {
		return env.File
	}
	return sprintf("%s:%d", env.File, env.Sent[i].Line)
}
