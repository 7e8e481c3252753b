package authoring

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/checks"
)

// forgedReplies are cheats that give the replies a step's checks read
// without the commands that should give them: for each command whose reply a
// reply check or a compare reads, the reference with that command replaced
// by EVAL "return <the reply>" 0; for a script, a script that returns the
// first case's reply. A check that reads a reply without knowing which
// command gave it lets them through.
func forgedReplies(g *generation) []Answer {
	if g.step.IsScript() {
		if !g.readsScriptReply() || len(g.trace.Replies) == 0 {
			return nil
		}
		return []Answer{{Kind: "forged-reply", What: "a script that returns the first case's reply, hard-coded",
			Text: g.scriptReturning(nil, g.trace.Replies[len(g.trace.Replies)-1])}}
	}
	targets := g.replyTargets()
	var out []Answer
	for _, name := range sortedNames(targets) {
		lines := argsOf(g.trace.Commands)
		for _, i := range targets[name] {
			lines[i] = []string{"EVAL", "return " + luaValue(g.trace.Replies[i]), "0"}
		}
		out = append(out, Answer{Kind: "forged-reply", Command: name, Text: format(lines),
			What: "the reference with each " + name + " replaced by an EVAL that returns its reply"})
	}
	return out
}

// replyTargets are the reference's commands whose replies the step's checks
// read, by name.
func (g *generation) replyTargets() map[string][]int {
	env := &checks.Env{File: g.step.File, Sent: g.trace.Commands, Replies: g.trace.Replies}
	out := map[string][]int{}
	add := func(i int) {
		name := g.trace.Commands[i].Name()
		if !slices.Contains(out[name], i) {
			out[name] = append(out[name], i)
		}
	}
	for _, c := range g.step.RunCases() {
		for _, ch := range c.Checks {
			switch ch := ch.(type) {
			case *checks.ReplyCheck:
				for _, i := range ch.Reads(env) {
					add(i)
				}
			case *checks.CompareCheck:
				for i := range g.trace.Commands {
					if ch.Replies.Compared(g.trace.Commands, i) {
						add(i)
					}
				}
			}
		}
	}
	return out
}

// readsScriptReply reports whether a check of the step reads the reply of
// its script.
func (g *generation) readsScriptReply() bool {
	for _, c := range g.step.RunCases() {
		for _, ch := range c.Checks {
			switch ch := ch.(type) {
			case *checks.ReplyCheck:
				return true
			case *checks.CompareCheck:
				if ch.Replies.Mode != checks.RepliesNone {
					return true
				}
			}
		}
	}
	return false
}

// forgedState is a cheat that leaves what the reference leaves in the first
// case, written directly with plain writes (SET, HSET, RPUSH, SADD, ZADD,
// XADD, PEXPIRE, or other plain writes where the step asks for those) and
// none of the commands the step's checks ask for; a script also returns the
// reference's reply. A step whose checks look only at the end state of one
// case lets it through. Where the state cannot be written without the
// commands the step asks for, there is no such cheat.
func forgedState(g *generation) []Answer {
	var lines [][]string
	keys := append(g.trace.Start.Keys(), g.trace.End.Keys()...)
	slices.Sort(keys)
	if keys = slices.Compact(keys); len(keys) > 0 {
		if g.named["del"] {
			return nil
		}
		lines = append(lines, append([]string{"DEL"}, keys...))
	}
	for _, e := range g.trace.End {
		w, ok := g.writes(e)
		if !ok {
			return nil
		}
		lines = append(lines, w...)
	}
	a := Answer{Kind: "forged-state", What: "the reference's end state written directly, with none of the commands the step asks for"}
	if g.step.IsScript() {
		var reply *checks.Value
		if n := len(g.trace.Replies); n > 0 {
			reply = &g.trace.Replies[n-1]
		}
		a.Text = g.scriptReturning(lines, *orNil(reply))
	} else {
		a.Text = format(lines)
	}
	return []Answer{a}
}

func orNil(v *checks.Value) *checks.Value {
	if v == nil {
		return &checks.Value{Type: checks.Nil}
	}
	return v
}

// writes are plain commands that write one key as it is in e, avoiding the
// commands the step asks for; ok is false where that cannot be done.
func (g *generation) writes(e checks.Entry) ([][]string, bool) {
	out, ok := g.valueWrites(e.Key, e.Data)
	if !ok || e.Data.TTL <= 0 {
		return out, ok
	}
	switch g.pick("pexpire", "expire") {
	case "pexpire":
		return append(out, []string{"PEXPIRE", e.Key, strconv.FormatInt(e.Data.TTL.Milliseconds(), 10)}), true
	case "expire":
		return append(out, []string{"EXPIRE", e.Key, strconv.FormatInt(int64(e.Data.TTL.Round(time.Second)/time.Second), 10)}), true
	}
	return nil, false
}

// pick is the first of the writes the step does not ask for, or "".
func (g *generation) pick(names ...string) string {
	for _, n := range names {
		if !g.named[n] {
			return n
		}
	}
	return ""
}

func (g *generation) valueWrites(k string, d checks.Data) ([][]string, bool) {
	switch {
	case d.String != nil:
		w := g.pick("set", "mset", "append")
		return [][]string{{strings.ToUpper(w), k, *d.String}}, w != ""
	case d.Hash != nil:
		w := g.pick("hset", "hsetnx")
		var out [][]string
		for _, f := range d.Hash {
			out = append(out, []string{strings.ToUpper(w), k, f.Name, f.Value})
		}
		return out, w != ""
	case d.List != nil:
		switch g.pick("rpush", "lpush") {
		case "rpush":
			return [][]string{append([]string{"RPUSH", k}, d.List...)}, true
		case "lpush":
			reversed := slices.Clone(d.List)
			slices.Reverse(reversed)
			return [][]string{append([]string{"LPUSH", k}, reversed...)}, true
		}
		return nil, false
	case d.Set != nil:
		return [][]string{append([]string{"SADD", k}, d.Set...)}, g.pick("sadd") != ""
	case d.Zset != nil:
		w := g.pick("zadd", "zincrby")
		var out [][]string
		for _, z := range d.Zset {
			out = append(out, []string{strings.ToUpper(w), k, strconv.FormatFloat(z.Score, 'g', -1, 64), z.Member})
		}
		return out, w != ""
	case d.Stream != nil:
		return g.streamWrites(k, d)
	}
	return nil, false
}

// streamWrites write a stream's entries with their ids, its groups, and
// their pending entries (XCLAIM ... FORCE makes one pending without a read).
func (g *generation) streamWrites(k string, d checks.Data) ([][]string, bool) {
	if g.named["xadd"] || (len(d.Groups) > 0 && g.named["xgroup|create"]) {
		return nil, false
	}
	var out [][]string
	for _, e := range d.Stream {
		args := []string{"XADD", k, e.ID}
		for _, f := range e.Fields {
			args = append(args, f.Name, f.Value)
		}
		out = append(out, args)
	}
	for _, gr := range d.Groups {
		create := []string{"XGROUP", "CREATE", k, gr.Name, gr.Last}
		if len(d.Stream) == 0 {
			create = append(create, "MKSTREAM")
		}
		out = append(out, create)
		for _, p := range gr.Pending {
			if g.named["xclaim"] {
				return nil, false
			}
			out = append(out, []string{"XCLAIM", k, gr.Name, p.Consumer, "0", p.ID, "FORCE", "JUSTID"})
		}
	}
	return out, true
}

// scriptReturning is a script for the step's file that sends commands with
// redis.call and returns reply: a plain script, or a library that registers
// the step's function.
func (g *generation) scriptReturning(cmds [][]string, reply checks.Value) string {
	var body strings.Builder
	for _, c := range cmds {
		args := make([]string, len(c))
		for i, a := range c {
			args[i] = luaString(a)
		}
		body.WriteString("redis.call(" + strings.Join(args, ", ") + ")\n")
	}
	body.WriteString("return " + luaValue(reply) + "\n")
	if g.step.Function == "" {
		return body.String()
	}
	header, _, _ := strings.Cut(g.ex.Reference[g.step.File], "\n")
	return header + "\nredis.register_function('" + g.step.Function + "', function(keys, args)\n" + body.String() + "end)\n"
}

// luaValue writes a reply as the Lua value a script returns to give it.
func luaValue(v checks.Value) string {
	switch v.Type {
	case checks.Integer:
		return strconv.FormatInt(v.Int, 10)
	case checks.String:
		return luaString(v.Str)
	case checks.Error:
		return "redis.error_reply(" + luaString(v.Str) + ")"
	case checks.Array:
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = luaValue(e)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "false" // a nil reply
}

func sortedNames(m map[string][]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
