package checks

import (
	"context"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/rediscmd"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// ReplyCheck asserts the typed reply of a command the student's file sends:
// one of the commands with that name (and those arguments, if given) got it.
// Naming the command is what makes a forged reply fail (an EVAL "return 3"
// sends no BITCOUNT), and a read added anywhere to look at the work does not
// disturb it. Without `command`, it reads the run's last reply: right for a
// .lua step, where that is the script's reply.
//
//   - reply: [99, 1]
//   - reply: {error: "ERR wrong number"}
//     command: EVAL
//   - reply: 0
//     command: SISMEMBER
//     args: [tags, "*"]   # only SISMEMBER tags ...; "*" matches any argument
type ReplyCheck struct {
	Reply   Value    `yaml:"reply"`
	Command string   `yaml:"command"`
	Args    []string `yaml:"args"`
	Meta    `yaml:",inline"`
}

func (c *ReplyCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if len(c.Args) > 0 && c.Command == "" {
		d.Errorf(n, "args narrow the command whose reply is read: add `command:`")
	}
}

func (c *ReplyCheck) Name() string {
	if c.Command != "" {
		return "reply of " + c.commandText() + " is " + c.Reply.String()
	}
	return "reply is " + c.Reply.String()
}

func (c *ReplyCheck) commandText() string {
	return strings.TrimSpace(strings.ToUpper(c.Command) + " " + strings.Join(c.Args, " "))
}

// Excuses reports whether the error reply of the i-th command is the one
// this check expects: the grader's no-errors check then does not count it.
// An expected error excuses only itself, never another command's error.
func (c *ReplyCheck) Excuses(env *Env, i int) bool {
	if c.Reply.Type != Error || !env.Results()[i].Matches(c.Reply) {
		return false
	}
	for _, j := range c.Reads(env) {
		if j == i {
			return true
		}
	}
	return false
}

// Reads lists the commands whose replies the check reads, in order: those
// named (or an older form of it: RPOPLPUSH for LMOVE), with those
// arguments, or the last.
func (c *ReplyCheck) Reads(env *Env) []int {
	n := min(len(env.Sent), len(env.Replies))
	if c.Command == "" {
		if n == 0 {
			return nil
		}
		return []int{n - 1}
	}
	forms := rediscmd.Forms(c.Command)
	var out []int
	for i := range n {
		if slices.Contains(forms, strings.ToLower(env.Sent[i].Name())) && argsMatch(env.Sent[i].Args[1:], c.Args) {
			out = append(out, i)
		}
	}
	return out
}

// argsMatch reports whether a command's arguments start with want ("*"
// matches any argument; see argMatches).
func argsMatch(args, want []string) bool {
	if len(args) < len(want) {
		return false
	}
	for i, w := range want {
		if !argMatches(args[i], w) {
			return false
		}
	}
	return true
}

// argMatches reports whether an argument is the one a spec expects: "*" is
// any, and one written in capitals (NX, WITHSCORES, PX) is an option word,
// which Redis reads in any case, so nx is NX; any other (a key, a value) is
// compared as it is.
func argMatches(got, want string) bool {
	if want == "*" || got == want {
		return true
	}
	return isOptionWord(want) && strings.EqualFold(got, want)
}

// isOptionWord reports whether s is written as an option word: capital
// letters, digits after the first, and underscores (NX, BY, WITHSCORES).
func isOptionWord(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func (c *ReplyCheck) Evaluate(_ context.Context, env *Env) Result {
	read := c.Reads(env)
	if len(read) == 0 {
		if c.Command == "" {
			return fail("%s sends no command", env.File)
		}
		return fail("%s sends no %s command", env.File, c.commandText())
	}
	for _, i := range read {
		if got, want := c.inOrder(env.Results()[i]); got.Matches(want) {
			return Result{Passed: true, Expected: want.String(), Actual: got.String()}
		}
	}
	last := read[len(read)-1]
	got, want := c.inOrder(env.Results()[last])
	res := Result{Expected: want.String(), Actual: got.String()}
	switch {
	case len(read) > 1:
		res.Message = sprintf("none of your %d %s commands replied %s; the last, %s, replied %s", len(read), c.commandText(), want, where(env, last), got)
	case got.Type == Error && c.Reply.Type != Error:
		// The error itself is already reported by the no-errors check.
		res.Message = "an error came back instead of " + c.Reply.String() + " (the error is shown above)"
	default:
		res.Message = "the reply was " + got.String() + ", expected " + want.String()
	}
	if note := explainReplyMismatch(got, want, slices.Contains(scripts, env.Sent[last].Name())); note != "" {
		res.Message += ": " + note
	}
	return res
}

// inOrder sorts a reply and the expected one where the named command's
// reply has no order (SMEMBERS, SUNION, HGETALL...): the order is the
// server's, not the answer's, and differs from run to run.
func (c *ReplyCheck) inOrder(got Value) (Value, Value) {
	return inOrder(strings.ToUpper(c.Command), got, c.Reply)
}

// lastReadIndex is the command a failing check's shape looks at: the last
// it read, or -1.
func (c *ReplyCheck) lastReadIndex(env *Env) int {
	read := c.Reads(env)
	if len(read) == 0 {
		return -1
	}
	return read[len(read)-1]
}
