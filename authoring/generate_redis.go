package authoring

import (
	"slices"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/submissions"
)

// readsAdded is the reference with a read of each key it touches after each
// command and at the end, the read that fits the key's type: what a student
// adds to look at their work, which must never fail a step. Where the
// connection is not as plain (inside MULTI, after SELECT or SUBSCRIBE) no
// read is added: there a read would change what the transaction replies or
// read another database.
func readsAdded(g *generation) []Answer {
	cmds := g.redisCommands()
	reads := keyReads(g.trace.Start, g.trace.End)
	if len(cmds) == 0 || len(reads) == 0 {
		return nil
	}
	var out [][]string
	conn := plainConnection{}
	for _, c := range cmds {
		out = append(out, slices.Clone(c.Args))
		conn.after(c.Args)
		if conn.plain() {
			out = append(out, reads...)
		}
	}
	return []Answer{{Kind: "reads", MustPass: true, Text: format(out),
		What: "the reference with a read of each key it touches after each command and at the end"}}
}

// keyReads reads each key of the starting and the end state the way that
// fits its type (GET, HGETALL, LRANGE...), and its TTL where it has one. A
// key whose type differs between the two is only looked for (EXISTS).
func keyReads(start, end checks.State) [][]string {
	types := map[string]string{}
	ttl := map[string]bool{}
	var keys []string
	for _, st := range []checks.State{start, end} {
		for _, e := range st {
			read := readFor(e)
			if prev, seen := types[e.Key]; !seen {
				keys = append(keys, e.Key)
				types[e.Key] = read
			} else if prev != read {
				types[e.Key] = "EXISTS"
			}
			ttl[e.Key] = ttl[e.Key] || e.Data.TTL > 0
		}
	}
	var out [][]string
	for _, k := range keys {
		words := strings.Fields(types[k]) // the command, then what follows the key
		read := append([]string{words[0], k}, words[1:]...)
		out = append(out, read)
		if ttl[k] {
			out = append(out, []string{"TTL", k})
		}
	}
	return out
}

// readFor is the read that fits a key's value: the command, then what
// follows the key.
func readFor(e checks.Entry) string {
	d := e.Data
	switch {
	case d.String != nil && strings.HasPrefix(*d.String, "HYLL"):
		return "PFCOUNT"
	case d.String != nil:
		return "GET"
	case d.Hash != nil:
		return "HGETALL"
	case d.List != nil:
		return "LRANGE 0 -1"
	case d.Set != nil:
		return "SMEMBERS"
	case d.Zset != nil:
		return "ZRANGE 0 -1 WITHSCORES"
	case d.Stream != nil:
		return "XRANGE - +"
	}
	return "EXISTS"
}

// plainConnection follows what a file's commands do to their connection:
// a read fits where nothing is queued, database 0 is selected and no
// subscription holds it.
type plainConnection struct {
	inTx, subscribed, quit bool
	db                     string
}

func (p *plainConnection) after(args []string) {
	switch strings.ToUpper(args[0]) {
	case "MULTI":
		p.inTx = true
	case "EXEC", "DISCARD":
		p.inTx = false
	case "SELECT":
		if len(args) > 1 {
			p.db = args[1]
		}
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE":
		p.subscribed = true
	case "RESET":
		*p = plainConnection{}
	case "QUIT":
		p.quit = true
	}
}

func (p *plainConnection) plain() bool {
	return !p.inTx && !p.subscribed && !p.quit && (p.db == "" || p.db == "0")
}

// containers are the commands whose second word names a subcommand.
var containers = []string{"ACL", "CLIENT", "COMMAND", "CONFIG", "FUNCTION", "MEMORY", "OBJECT", "PUBSUB", "SCRIPT", "XGROUP", "XINFO"}

// lowerCase is the reference with every command's name (and subcommand) in
// lower case: Redis does not care, and nor may the checks.
func lowerCase(g *generation) []Answer {
	if cmds := g.redisCommands(); len(cmds) > 0 {
		out := argsOf(cmds)
		for _, args := range out {
			if slices.Contains(containers, strings.ToUpper(args[0])) && len(args) > 1 {
				args[1] = strings.ToLower(args[1])
			}
			args[0] = strings.ToLower(args[0])
		}
		return []Answer{{Kind: "lowercase", MustPass: true, Text: format(out), What: "the reference in lower case"}}
	}
	if script := g.script(); script != "" {
		text := mapCalls(script, func(c luaCall) string { return c.withName(strings.ToLower(c.name)) })
		if text != script {
			return []Answer{{Kind: "lowercase", MustPass: true, Text: text, What: "the reference with its redis.call commands in lower case"}}
		}
	}
	return nil
}

// splittable are the write commands that take members one after another,
// and do the same with one command per member: how many arguments come
// before the members, and how many make one member.
var splittable = map[string]struct{ fixed, member int }{
	"LPUSH": {1, 1}, "RPUSH": {1, 1}, "LPUSHX": {1, 1}, "RPUSHX": {1, 1}, "SADD": {1, 1}, "SREM": {1, 1},
	"PFADD": {1, 1}, "HDEL": {1, 1}, "ZREM": {1, 1}, "DEL": {0, 1}, "UNLINK": {0, 1},
	"HSET": {1, 2}, "HMSET": {1, 2}, "MSET": {0, 2}, "ZADD": {1, 2}, "GEOADD": {1, 3}, "XACK": {2, 1},
}

// splitMembers is, for each command of several members the reference sends
// (LPUSH q a b c), the reference with it sent once per member (LPUSH q a;
// LPUSH q b; LPUSH q c): the same effect in more round trips. A command the
// step asks to be sent once (uses ... once) is not split, nor one inside a
// transaction, where it would change what EXEC replies.
func splitMembers(g *generation) []Answer {
	cmds := g.redisCommands()
	once := g.onceCommands()
	var out []Answer
	for _, name := range splitNames(cmds) {
		if once[name] {
			continue
		}
		var lines [][]string
		conn := plainConnection{}
		for _, c := range cmds {
			lines = append(lines, split(c.Args, name, conn.plain())...)
			conn.after(c.Args)
		}
		out = append(out, Answer{Kind: "split", Command: name, MustPass: true, Text: format(lines),
			What: "the reference with each " + name + " sent once per member"})
	}
	return out
}

// splitNames lists the commands of the reference that split, in order.
func splitNames(cmds []submissions.Command) []string {
	var out []string
	conn := plainConnection{}
	for _, c := range cmds {
		name := strings.ToUpper(c.Args[0])
		if len(split(c.Args, name, conn.plain())) > 1 && !slices.Contains(out, name) {
			out = append(out, name)
		}
		conn.after(c.Args)
	}
	return out
}

// split sends a command of name once per member, where it has several and
// takes them plainly (ZADD and GEOADD without options); other commands stay.
func split(args []string, name string, plain bool) [][]string {
	s, ok := splittable[strings.ToUpper(args[0])]
	if !ok || !plain || strings.ToUpper(args[0]) != name {
		return [][]string{args}
	}
	head, members := args[:1+s.fixed], args[1+s.fixed:]
	if len(members) <= s.member || len(members)%s.member != 0 {
		return [][]string{args}
	}
	if name == "ZADD" || name == "GEOADD" {
		if _, err := strconv.ParseFloat(members[0], 64); err != nil {
			return [][]string{args} // options (NX, CH...) come first
		}
	}
	var out [][]string
	for i := 0; i < len(members); i += s.member {
		out = append(out, append(slices.Clone(head), members[i:i+s.member]...))
	}
	return out
}

// onceCommands are the commands the step asks to be run once (uses ...
// once), upper case.
func (g *generation) onceCommands() map[string]bool {
	out := map[string]bool{}
	for _, c := range g.step.RunCases() {
		for _, ch := range c.Checks {
			if u, ok := ch.(*checks.UsesCheck); ok && u.Once {
				for _, n := range u.Uses {
					out[strings.ToUpper(n)] = true
				}
			}
		}
	}
	return out
}
