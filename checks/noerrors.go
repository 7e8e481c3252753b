package checks

import (
	"context"
	"strings"

	"github.com/redisgrade/redisgrade/internal/suggest"
)

// NoErrors is the check the grader adds to every case, given the case's
// checks: a command that gets an error reply fails its step, unless a reply
// check of the case expects that error of that command (the one it reads: the
// last, or the last of its name). An expected error excuses only itself, not
// a like error of another command. It is not a spec kind: no spec can switch
// it off by accident.
func NoErrors(cs List) Check {
	c := &noErrors{}
	for _, ch := range cs {
		if rc, ok := ch.(*ReplyCheck); ok {
			if _, isErr := rc.ExpectedError(); isErr {
				c.expected = append(c.expected, rc)
			}
		}
	}
	return c
}

type noErrors struct{ expected []*ReplyCheck }

func (c *noErrors) Name() string { return "commands run without errors" }

func (c *noErrors) Evaluate(_ context.Context, env *Env) Result {
	excused := c.excused(env)
	var msgs []string
	for i, r := range env.Replies {
		if r.Type != Error || excused[i] {
			continue
		}
		msg := where(env, i) + ": " + env.Sent[i].Name() + " returned " + r.String()
		if note := explainError(r.Str, env.Commands); note != "" {
			msg += " (" + note + ")"
		}
		msgs = append(msgs, msg)
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

// excused are the replies, by index, that an expecting reply check reads and
// finds to be the error it expects.
func (c *noErrors) excused(env *Env) map[int]bool {
	out := map[int]bool{}
	for _, rc := range c.expected {
		want, _ := rc.ExpectedError()
		if i := lastIndex(env, rc.Command); i >= 0 && env.Replies[i].Matches(want) {
			out[i] = true
		}
	}
	return out
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

// luaErrors explain, in a learner's words, the error texts Redis gives for
// the usual mistakes in a script or an EVAL.
var luaErrors = []struct{ contains, note string }{
	{"nonexistent global variable", "a variable was used before it got a value: set it first, with local x = redis.call(...); scripts cannot use global variables"},
	{"Attempt to modify a readonly table", "declare variables with local: a script may not create global ones"},
	{"create global variable", "declare variables with local: a script may not create global ones"},
	{"Unknown Redis command called from script", "a redis.call names a command Redis does not know: check its spelling"},
	{"Wrong number of args calling Redis command", "a redis.call passes the wrong number of arguments to its command"},
	{"wrong number of arguments for 'eval'", "EVAL takes the script, then the number of keys: EVAL \"...\" 0"},
	{"Number of keys can't be greater than number of args", "numkeys says more keys than follow it"},
	{"Error compiling script", "the script is not valid Lua: look at the line the error names"},
}

// explainError gives the note for an error reply: a known mistake's, or for
// an unknown command the server's command nearest to it ("did you mean
// SET?"), when one is clearly nearest.
func explainError(text string, commands []string) string {
	for _, e := range luaErrors {
		if strings.Contains(text, e.contains) {
			return e.note
		}
	}
	if name, ok := unknownCommand(text); ok {
		if meant, ok := suggest.Closest(name, commands); ok {
			return "did you mean " + meant + "?"
		}
	}
	return ""
}

// unknownCommand reads the name out of Redis's "ERR unknown command 'STE',
// with args beginning with: ..." (miniredis's has no args part).
func unknownCommand(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "ERR unknown command '")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "'")
	return name, ok && name != ""
}
