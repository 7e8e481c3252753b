package checks

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Shape describes what a failing check saw as behaviour, for the grader's
// failure signatures: which way a value is off from the expected one, a
// reply's type and shape, how many times a command ran. Two runs that fail
// a check the same way get the same shape on every engine that gives the
// same verdict, so it holds nothing that varies between runs (times,
// ports, TTLs counted down, sample counts) and no text a student chose (an
// unknown command's name, a wrong string): values are given relative to
// what the check expects.
//
// It reads only what the check itself read (the snapshot, the replies):
// call it right after the check, before a probe changes the server.
func Shape(ctx context.Context, ch Check, env *Env, r Result) string {
	if r.Shape != "" {
		return r.Shape
	}
	switch c := ch.(type) {
	case *noErrors:
		return errorsShape(env, c)
	case *ReplyCheck:
		i := lastIndex(env, c.Command)
		if i < 0 {
			return "no command"
		}
		return ReplyShape(env.Replies[i], c.Reply, env.Commands)
	case *SentCheck:
		return c.shape(env)
	case *CallsCheck:
		return c.shape(env)
	case *ChangeCheck:
		return c.shape(ctx, env)
	case *KeyCheck:
		return c.shape(ctx, env)
	case *TTLCheck:
		return c.shape(ctx, env)
	case *KeysCheck:
		return "keys differ"
	}
	return "failed"
}

// Relative says where got lies from want: "=", "+1", "-2", or beyond two
// ">+2" / "<-2". Near misses (one run too many, an off-by-one) keep their
// size; a value far off (a number hard-coded for another starting state)
// keeps only its direction, so that any such value is the same mistake.
func Relative(got, want int64) string {
	d := got - want
	switch {
	case d == 0:
		return "="
	case d > 2:
		return ">+2"
	case d < -2:
		return "<-2"
	case d > 0:
		return "+" + strconv.FormatInt(d, 10)
	}
	return strconv.FormatInt(d, 10)
}

// maxShapeElems bounds how many elements of an array reply a shape
// describes: enough to tell a swap or a wrong type.
const maxShapeElems = 16

// ReplyShape describes a reply relative to the expected one: its RESP type,
// and for each integer or string how it compares with the expected value
// ("int=", "str=" for the right number as a string, "int=e1" for the value
// expected at position 1 of the array, "int<-2"), an array's length when it
// differs, an error's kind.
func ReplyShape(got, want Value, commands []string) string {
	return elemShape(got, want, nil, commands)
}

func elemShape(got, want Value, siblings []Value, commands []string) string {
	switch got.Type {
	case Nil:
		return "nil"
	case Error:
		return "error(" + ErrorKind(got.Str, commands) + ")"
	case Array:
		if want.Type != Array {
			return "array(" + strconv.Itoa(len(got.Elems)) + ")"
		}
		var b strings.Builder
		b.WriteByte('[')
		for i, e := range got.Elems {
			if i == maxShapeElems {
				b.WriteString(",…")
				break
			}
			if i > 0 {
				b.WriteByte(',')
			}
			var w Value
			if i < len(want.Elems) {
				w = want.Elems[i]
			} else {
				w = Value{Type: -1} // nothing expected there
			}
			b.WriteString(elemShape(e, w, want.Elems, commands))
		}
		b.WriteByte(']')
		if len(got.Elems) != len(want.Elems) {
			b.WriteString("len" + Relative(int64(len(got.Elems)), int64(len(want.Elems))))
		}
		return b.String()
	}
	prefix := "int"
	if got.Type == String {
		prefix = "str"
	}
	got.Type = want.Type // compare the values as what was expected
	if got.Type == String || got.Type == Integer {
		if got.Type == Integer && prefix == "str" {
			n, err := strconv.ParseInt(strings.TrimSpace(got.Str), 10, 64)
			if err != nil {
				return prefix
			}
			got.Int = n
		}
		if got.Type == String && prefix == "int" {
			got.Str = strconv.FormatInt(got.Int, 10)
		}
		if got.Matches(want) {
			return prefix + "="
		}
		// A value expected elsewhere in the array: a swap, a wrong index.
		for j, s := range siblings {
			if got.Matches(s) {
				return prefix + "=e" + strconv.Itoa(j)
			}
		}
		if got.Type == Integer {
			return prefix + Relative(got.Int, want.Int)
		}
		g, err1 := strconv.ParseInt(got.Str, 10, 64)
		w, err2 := strconv.ParseInt(want.Str, 10, 64)
		if err1 == nil && err2 == nil {
			return prefix + Relative(g, w)
		}
		return prefix + "≠"
	}
	return prefix
}

// ErrorKind classifies an error reply's text the same way on every engine:
// the known mistake it is (a global variable, an unknown command...), else
// its error code (ERR, WRONGTYPE, NOSCRIPT).
func ErrorKind(text string, commands []string) string {
	for _, e := range luaErrors {
		if strings.Contains(text, e.contains) {
			return e.contains
		}
	}
	// Redis quotes the name with ', the emulator with `.
	if strings.HasPrefix(text, "ERR unknown command") {
		return "unknown command"
	}
	code, _, _ := strings.Cut(text, " ")
	if code != "" && strings.ToUpper(code) == code && strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return code
	}
	return "error"
}

// maxShapeErrors bounds the error replies a no-errors shape lists.
const maxShapeErrors = 5

func errorsShape(env *Env, c *noErrors) string {
	var parts []string
	for i, r := range env.Replies {
		if r.Type != Error || c.isExpected(r) {
			continue
		}
		if len(parts) == maxShapeErrors {
			parts = append(parts, "…")
			break
		}
		// A known command's name is the spec's business; an unknown one is
		// the student's spelling, which the kind already says.
		name := env.Sent[i].Name()
		if !slices.Contains(env.Commands, name) {
			name = "?"
		}
		parts = append(parts, name+":"+ErrorKind(r.Str, env.Commands))
	}
	return strings.Join(parts, ",")
}

func (c *SentCheck) shape(env *Env) string {
	name := strings.ToUpper(c.Sent)
	var count int64
	for _, cmd := range env.Sent {
		if cmd.Name() != name {
			continue
		}
		count++
		for i, want := range c.Args {
			if i+1 >= len(cmd.Args) {
				return "args" + Relative(int64(len(cmd.Args)-1), int64(len(c.Args)))
			}
			if got := cmd.Args[i+1]; want != "*" && got != want {
				// A number (numkeys) keeps how far off it is: 1 and 2 keys
				// are different mistakes.
				g, err1 := strconv.ParseInt(got, 10, 64)
				w, err2 := strconv.ParseInt(want, 10, 64)
				if err1 == nil && err2 == nil {
					return "arg" + strconv.Itoa(i+1) + Relative(g, w)
				}
				return "arg" + strconv.Itoa(i+1) + "≠"
			}
		}
	}
	if c.Times == nil {
		return "none"
	}
	return "times" + Relative(count, *c.Times)
}

func (c *ChangeCheck) shape(ctx context.Context, env *Env) string {
	parts := make([]string, 0, len(c.Change))
	for _, ch := range c.Change {
		before, err := intValue(env.Given, ch.Name)
		if err != nil {
			return "failed"
		}
		after, err := readInt(ctx, env, ch.Name)
		if err != nil {
			parts = append(parts, ch.Name+":not an integer")
			continue
		}
		parts = append(parts, ch.Name+Relative(after-before, ch.N))
	}
	return strings.Join(parts, " ")
}

func (c *KeyCheck) shape(ctx context.Context, env *Env) string {
	typ, err := env.keyType(ctx, c.Key)
	switch {
	case err != nil:
		return "failed"
	case typ == "none":
		return "missing"
	case c.Absent:
		return "exists(" + typ + ")"
	}
	want := c.Type
	if want == "" {
		want = c.impliedType()
	}
	if typ != want {
		return "type(" + typ + ")"
	}
	if c.Equals == nil {
		return "differs"
	}
	v := env.getString(ctx, c.Key, MaxStringRead)
	if v.err != nil && !errors.Is(v.err, redis.Nil) {
		return "failed"
	}
	if !v.whole() {
		return "too large"
	}
	if given, ok := env.Given.Get(c.Key); ok && v.prefix == given {
		return "unchanged"
	}
	g, err1 := strconv.ParseInt(v.prefix, 10, 64)
	w, err2 := strconv.ParseInt(*c.Equals, 10, 64)
	if err1 == nil && err2 == nil {
		return "int" + Relative(g, w)
	}
	return "differs"
}

func (c *TTLCheck) shape(ctx context.Context, env *Env) string {
	ttl, err := env.ttl(ctx, c.Key)
	switch {
	case err != nil:
		return "failed"
	case ttl == -2:
		return "missing"
	case ttl == -1:
		return "no expiry"
	case c.None:
		return "expires"
	case c.Min != nil && ttl < *c.Min:
		return "below min"
	case c.Max != nil && ttl > *c.Max:
		return "above max"
	}
	return "failed"
}

// compareShape says which of what a compare check compares differed from
// the reference's.
func compareShape(state, replies, commands int) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{state, "keys"}, {replies, "replies"}, {commands, "commands"}} {
		if p.n > 0 {
			parts = append(parts, p.what+" differ")
		}
	}
	return strings.Join(parts, ", ")
}

// notData are the commands a calls shape leaves out of what else ran: the
// ones that run scripts or set up a connection, which differ between
// engines and client libraries, not between answers.
var notData = []string{"auth", "client", "config", "command", "discard", "eval", "eval_ro", "evalsha", "evalsha_ro",
	"exec", "fcall", "fcall_ro", "function", "hello", "info", "multi", "ping", "quit", "reset", "script", "select",
	"unwatch", "watch"}

// shape gives each counted command's count relative to the expected one,
// then the other data commands that ran (GET, SET, DECRBY...): a script
// that computes with GET and SET is not one that calls DECRBY.
func (c *CallsCheck) shape(env *Env) string {
	parts := make([]string, 0, len(c.Calls))
	counted := map[string]bool{}
	for _, call := range c.Calls {
		name := strings.ToLower(call.Name)
		counted[name] = true
		parts = append(parts, strings.ToUpper(name)+Relative(env.Stats[name], call.N))
	}
	var others []string
	for name, n := range env.Stats {
		base, _, _ := strings.Cut(name, "|")
		if n == 0 || counted[name] || slices.Contains(notData, base) {
			continue
		}
		count := strconv.FormatInt(n, 10)
		if n > 3 {
			count = "many" // a loop's count depends on the state
		}
		others = append(others, strings.ToUpper(name)+"×"+count)
	}
	slices.Sort(others)
	if len(others) > 0 {
		parts = append(parts, "also "+strings.Join(others, ","))
	}
	return strings.Join(parts, " ")
}
