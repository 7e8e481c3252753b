package checks

import (
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/rediscmd"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// The modes of a compare's replies.
const (
	RepliesReads    = "reads" // the replies of the reference's read-only commands
	RepliesAll      = "all"
	RepliesLast     = "last" // the reference's last reply
	RepliesNone     = "none"
	repliesCommands = "commands" // those of the commands named
)

// ReplyScope says which of the reference's replies a compare looks for among
// the student's: reads, all, last, none, or a list of command names.
type ReplyScope struct {
	Mode     string
	Commands []string // upper case, for a list
}

// UnmarshalStrict decodes a mode or a list of command names.
func (r *ReplyScope) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	if n.Kind == yaml.SequenceNode {
		var names []string
		d.Decode(n, &names)
		if len(names) == 0 {
			d.Errorf(n, "replies needs at least one command's name (or `none`)")
		}
		r.Mode = repliesCommands
		for _, name := range names {
			r.Commands = append(r.Commands, strings.ToUpper(name))
		}
		return
	}
	s, ok := d.String(n)
	if !ok {
		return
	}
	switch s {
	case RepliesReads, RepliesAll, RepliesLast, RepliesNone:
		r.Mode = s
	default:
		d.Errorf(n, "replies must be reads, all, last, none or a list of commands such as [HGETALL], not %q", s)
	}
}

func (r ReplyScope) describe() string {
	switch r.Mode {
	case RepliesAll:
		return "every reply"
	case RepliesLast:
		return "the last reply"
	case RepliesReads:
		return "the replies of its reads"
	case repliesCommands:
		return "the replies of " + andList(r.Commands)
	}
	return ""
}

// Compared reports whether the reference's i-th reply is one the student's
// commands must also get. A script's reply (the grader's own EVAL or FCALL
// of a .lua step) always is, but for none; a read whose reply the server
// draws (byChance: a SCAN page, a random member) is not among the reads, as
// two runs of the same commands differ there: name it to compare it.
func (r ReplyScope) Compared(cmds []submissions.Command, i int) bool {
	cmd := cmds[i]
	switch {
	case r.Mode == RepliesNone:
		return false
	case cmd.Line == 0:
		return cmd.Name() != "FUNCTION"
	case r.Mode == RepliesAll:
		return true
	case r.Mode == RepliesLast:
		return i == len(cmds)-1
	case r.Mode == RepliesReads:
		return rediscmd.IsRead(cmd.Args) && !slices.Contains(byChance, cmd.Name())
	}
	return slices.Contains(r.Commands, cmd.Name())
}

// unmatched is a reply of the reference's that no command of the student's
// gave in its place: the reference's command and reply, and the student's
// commands of that name after the last match (candidates), if any.
type unmatched struct {
	cmd        submissions.Command
	reply      Value
	candidates []int
}

// matchReplies looks for the reference's compared replies, in order, among
// the student's: each from a command of the same name, after the one that
// gave the last; other commands may come in between (a read added to look at
// the work, a command split in several), and an older form of the command
// stands for it (RPOPLPUSH for LMOVE). The greedy search finds every one
// whenever they can all be found.
func (c *CompareCheck) matchReplies(env *Env, refCmds []submissions.Command, refReplies []Value) []unmatched {
	var out []unmatched
	next := 0 // the student's first command not yet matched past
	n := min(len(env.Sent), len(env.Replies))
	for j := range min(len(refCmds), len(refReplies)) {
		if !c.Replies.Compared(refCmds, j) {
			continue
		}
		name := refCmds[j].Name()
		forms := rediscmd.Forms(name)
		found := -1
		var candidates []int
		for i := next; i < n; i++ {
			if !slices.Contains(forms, strings.ToLower(env.Sent[i].Name())) {
				continue
			}
			candidates = append(candidates, i)
			if sameReply(name, env.Results()[i], refReplies[j]) {
				found = i
				break
			}
		}
		if found < 0 {
			out = append(out, unmatched{cmd: refCmds[j], reply: refReplies[j], candidates: candidates})
			continue
		}
		next = found + 1
	}
	return out
}

// explainUnmatched words each reply the student's commands did not give.
func explainUnmatched(env *Env, us []unmatched) []string {
	var out []string
	for _, u := range us {
		name := u.cmd.Name()
		// A reply whose order means nothing is shown sorted: the same every run.
		u.reply, _ = inOrder(name, u.reply, u.reply)
		if len(u.candidates) == 0 {
			if u.cmd.Line == 0 {
				out = append(out, sprintf("your script gave no reply; the reference's returned %s", u.reply))
				continue
			}
			if sendsAny(env, name) {
				out = append(out, sprintf("the reference's %s replies %s; none of your %s commands gives that reply in its place", name, u.reply, name))
				continue
			}
			out = append(out, sprintf("the reference's %s replies %s; your commands send no %s", name, u.reply, name))
			continue
		}
		last := u.candidates[len(u.candidates)-1]
		mine, ref := inOrder(name, env.Results()[last], u.reply)
		d := explainReply(mine, ref)
		if len(u.candidates) > 1 {
			d = sprintf("(the last of %d) %s", len(u.candidates), d)
		}
		out = append(out, sprintf("your %s %s", replyLabel(env, last), d))
	}
	return out
}

func sendsAny(env *Env, name string) bool {
	for _, cmd := range env.Sent {
		if cmd.Name() == name {
			return true
		}
	}
	return false
}

// sameReply reports whether two replies of a command agree: typed, in any
// order where Redis fixes none, errors by their code.
func sameReply(name string, mine, ref Value) bool {
	mine, ref = inOrder(name, mine, ref)
	return explainReply(mine, ref) == ""
}

// replyLabel names the student's i-th command: `HGETALL (step2.redis:3)`.
func replyLabel(env *Env, i int) string {
	if i >= len(env.Sent) {
		return "reply " + sprintf("%d", i+1)
	}
	cmd := env.Sent[i]
	if cmd.Line == 0 {
		// The grader's own EVAL or FCALL of the student's file.
		if cmd.Name() == "FUNCTION" {
			return "library (FUNCTION LOAD)"
		}
		return "script"
	}
	return sprintf("%s (%s:%d)", cmd.Name(), env.File, cmd.Line)
}

// explainReply says how a reply differs from the reference's, after "your
// HGETALL": "returned 4 elements, the reference's 6". "" if they agree.
func explainReply(mine, ref Value) string {
	if mine.Type != ref.Type {
		return sprintf("returned %s (%s); the reference's returned %s (%s)", mine.Type, mine, ref.Type, ref)
	}
	switch mine.Type {
	case Integer, String:
		if mine.Int != ref.Int || mine.Str != ref.Str {
			return sprintf("returned %s; the reference's returned %s", mine, ref)
		}
	case Error:
		// Script errors name the script: the error's code is what compares.
		if code(mine.Str) != code(ref.Str) {
			return sprintf("returned %s; the reference's returned %s", mine, ref)
		}
	case Array:
		if len(mine.Elems) != len(ref.Elems) {
			return sprintf("returned %d elements, the reference's %d: yours %s, the reference's %s", len(mine.Elems), len(ref.Elems), mine, ref)
		}
		for i := range mine.Elems {
			if explainReply(mine.Elems[i], ref.Elems[i]) != "" {
				return sprintf("returned %s; the reference's returned %s (element %d differs)", mine, ref, i+1)
			}
		}
	}
	return ""
}

func code(errText string) string {
	c, _, _ := strings.Cut(errText, " ")
	return c
}

// unorderedReplies are commands whose array reply has no order to compare.
var unorderedReplies = map[string]int{
	"SMEMBERS": 1, "SINTER": 1, "SUNION": 1, "SDIFF": 1, "KEYS": 1, "HKEYS": 1, "HVALS": 1,
	"HGETALL": 2, // field-value pairs
}

// inOrder sorts the replies of a command whose order Redis does not fix
// (SMEMBERS, SUNION...): the order is the engine's, not the answer's.
func inOrder(name string, mine, ref Value) (Value, Value) {
	if pairs, ok := unorderedReplies[name]; ok {
		return sortedReply(mine, pairs), sortedReply(ref, pairs)
	}
	return mine, ref
}

// sortedReply orders an unordered array reply (in groups of n: HGETALL's
// field-value pairs), so that two orders of the same members agree.
func sortedReply(v Value, n int) Value {
	if v.Type != Array || len(v.Elems)%n != 0 {
		return v
	}
	groups := make([][]Value, 0, len(v.Elems)/n)
	for i := 0; i < len(v.Elems); i += n {
		groups = append(groups, v.Elems[i:i+n])
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i][0].String() < groups[j][0].String() })
	out := Value{Type: Array}
	for _, g := range groups {
		out.Elems = append(out.Elems, g...)
	}
	return out
}
