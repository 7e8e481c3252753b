package checks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

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
		i := c.lastReadIndex(env)
		if i < 0 {
			return "no command"
		}
		return ReplyShape(env.Results()[i], c.Reply, env)
	case *SentCheck:
		return c.shape(env)
	case *CallsCheck:
		return c.shape(env)
	case *UsesCheck:
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

// maxDetail bounds what a detail keeps of a value: a small value tells one
// wrong answer from another (99 from 98, "Paris" from "paris"); a large one
// is left at its shape.
const maxDetail = 64

// Detail is what a failing check saw, where it is small, for the grader's
// fingerprints: finer than its shape, so that a student's step is named a
// known mistake only when it failed the way the mistake does, value for
// value. Numbers are left to the shape, which already says how far off they
// are (a wrong starting stock is one mistake whatever the number); a TTL is
// kept as its order of magnitude, which a moment's wait does not change.
func Detail(ch Check, env *Env, r Result) string {
	switch {
	case env.ByChance():
		return "" // what the server drew is no part of the answer
	case r.Detail != "":
		return r.Detail
	case len(r.Actual) > maxDetail || onlyNumbers(r.Actual):
		return ""
	}
	switch ch.(type) {
	case *ReplyCheck, *KeyCheck, *KeysCheck:
		return r.Actual
	}
	return ""
}

// onlyNumbers reports whether a rendered value holds no text but numbers:
// 99, "99", [99, 1].
func onlyNumbers(s string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(`[]{}", :`, r) }) {
		if _, err := strconv.ParseFloat(f, 64); err != nil {
			return false
		}
	}
	return true
}

// magnitude is a positive number's nearest power of ten, "1e2" for 180: a
// TTL counted down a moment later, or read a moment apart from another,
// keeps it, and a time given in milliseconds for seconds does not.
func magnitude(f float64) string {
	if f <= 0 {
		return "0"
	}
	return "1e" + strconv.Itoa(int(math.Round(math.Log10(f))))
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
func ReplyShape(got, want Value, env *Env) string {
	return elemShape(got, want, nil, env)
}

func elemShape(got, want Value, siblings []Value, env *Env) string {
	switch got.Type {
	case Nil:
		return "nil"
	case Error:
		return "error(" + ErrorKind(got.Str, env.commands()) + ")"
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
			b.WriteString(elemShape(e, w, want.Elems, env))
		}
		b.WriteByte(']')
		if len(got.Elems) != len(want.Elems) {
			b.WriteString("len" + env.relative(int64(len(got.Elems)), int64(len(want.Elems))))
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
			return prefix + env.relative(got.Int, want.Int)
		}
		g, err1 := strconv.ParseInt(got.Str, 10, 64)
		w, err2 := strconv.ParseInt(want.Str, 10, 64)
		if err1 == nil && err2 == nil {
			return prefix + env.relative(g, w)
		}
		return prefix + ratio(got.Str, want.Str)
	}
	return prefix
}

// ratio says how a number written as a string (a distance, a score)
// compares with the expected one: "×1000" for metres where kilometres are
// asked, "×0.62" for miles; "≠" when either is not a number.
func ratio(got, want string) string {
	g, err1 := strconv.ParseFloat(strings.TrimSpace(got), 64)
	w, err2 := strconv.ParseFloat(strings.TrimSpace(want), 64)
	if err1 != nil || err2 != nil || w == 0 || math.IsNaN(g) || math.IsInf(g, 0) {
		return "≠"
	}
	return "×" + strconv.FormatFloat(g/w, 'g', 2, 64)
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
		if r.Type != Error || c.excused(env, i) {
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
	from, to := c.window(env.Sent)
	for _, cmd := range env.Sent[from:to] {
		if cmd.Name() != name {
			continue
		}
		count++
		for i, want := range c.Args {
			if i+1 >= len(cmd.Args) {
				return "args" + env.relative(int64(len(cmd.Args)-1), int64(len(c.Args)))
			}
			if got := cmd.Args[i+1]; !argMatches(got, want) {
				// A number (numkeys) keeps how far off it is: 1 and 2 keys
				// are different mistakes.
				g, err1 := strconv.ParseInt(got, 10, 64)
				w, err2 := strconv.ParseInt(want, 10, 64)
				if err1 == nil && err2 == nil {
					return "arg" + strconv.Itoa(i+1) + env.relative(g, w)
				}
				return "arg" + strconv.Itoa(i+1) + "≠"
			}
		}
	}
	if c.Times == nil {
		return "none"
	}
	return "times" + env.relative(count, *c.Times)
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
		parts = append(parts, ch.Name+env.relative(after-before, ch.N))
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
		return "int" + env.relative(g, w)
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

// shape says, key by key of the reference's, how the student's keys differ
// (missing, another type, a value off, a TTL), how many keys the student
// left that the reference does not, each reply of the reference's not found
// (with the shape of the student's last reply of that command), and the
// write commands run a different number of times.
func (c *CompareCheck) shape(env *Env, cmp comparison, us []unmatched) string {
	var parts []string
	extra := 0
	for _, k := range unionKeys(cmp.mine, cmp.ref) {
		m, r := cmp.mine[k], cmp.ref[k]
		switch {
		case r == nil:
			extra++
		case m == nil:
			parts = append(parts, k+":missing")
		case m.typ != r.typ || m.hll != r.hll:
			parts = append(parts, k+":type("+m.typ+")")
		default:
			if len(diffValue(k, m, r)) > 0 {
				parts = append(parts, k+":"+valueShape(m, r, env))
			}
			if diffTTL(k, m.ttl, r.ttl, c.TTLTolerance) != "" {
				parts = append(parts, k+":"+ttlShape(m.ttl, r.ttl))
			}
		}
	}
	if extra > 0 {
		parts = append(parts, "extra keys:"+strconv.Itoa(extra))
	}
	for _, u := range us {
		name := u.cmd.Name()
		if len(u.candidates) == 0 {
			parts = append(parts, "reply("+name+"):none")
			continue
		}
		mine, ref := inOrder(name, env.Results()[u.candidates[len(u.candidates)-1]], u.reply)
		parts = append(parts, "reply("+name+"):"+ReplyShape(mine, ref, env))
	}
	if c.Commands {
		for _, k := range unionKeys(env.Stats, cmp.refStats) {
			if comparedStat(k) && env.Stats[k] != cmp.refStats[k] {
				parts = append(parts, strings.ToUpper(k)+env.relative(env.Stats[k], cmp.refStats[k]))
			}
		}
	}
	if len(parts) == 0 {
		return "differs"
	}
	return strings.Join(parts, " ")
}

// detail says, key by key that differs, what the student's commands left
// there where it is small (a string's value, a collection's elements; a
// TTL as its ratio to the reference's), and the replies of theirs that did
// not match, where small.
func (c *CompareCheck) detail(env *Env, cmp comparison, us []unmatched) string {
	var parts []string
	for _, k := range unionKeys(cmp.mine, cmp.ref) {
		m, r := cmp.mine[k], cmp.ref[k]
		switch {
		case m == nil || r == nil:
			continue // the shape says it
		case m.typ == r.typ && m.hll == r.hll && len(diffValue(k, m, r)) == 0:
		default:
			if v := m.small(); v != "" {
				parts = append(parts, k+"="+v)
			}
		}
		if m.typ == r.typ && m.ttl > 0 && r.ttl > 0 && diffTTL(k, m.ttl, r.ttl, c.TTLTolerance) != "" {
			parts = append(parts, k+":ttl×"+magnitude(float64(m.ttl)/float64(r.ttl)))
		}
	}
	for _, u := range us {
		if len(u.candidates) > 0 {
			if v := env.Results()[u.candidates[len(u.candidates)-1]].String(); len(v) <= maxDetail {
				parts = append(parts, "reply("+u.cmd.Name()+")="+v)
			}
		}
	}
	return strings.Join(parts, " ")
}

// small renders a key's value if it is small: "" if not.
func (ks *keyState) small() string {
	var v string
	switch ks.typ {
	case "string":
		if ks.hll {
			return "hll " + strconv.FormatInt(ks.card, 10)
		}
		v = strconv.Quote(ks.str)
	case "hash":
		v = renderHash(ks.hash)
	case "list", "set":
		v = renderList(ks.list)
	case "zset":
		v = sprintf("%v", ks.zset)
	case "stream":
		v = sprintf("%d entries %d groups", len(ks.stream), len(ks.groups))
	}
	if len(v) > maxDetail {
		return ""
	}
	return v
}

// valueShape says how a key's value differs from the reference's, of the
// same type: a number off, fields or elements missing, extra or changed.
func valueShape(m, r *keyState, env *Env) string {
	switch m.typ {
	case "string":
		if m.hll && m.card != r.card {
			return "count" + env.relative(m.card, r.card)
		}
		if m.hll {
			return "members≠"
		}
		g, err1 := strconv.ParseInt(m.str, 10, 64)
		w, err2 := strconv.ParseInt(r.str, 10, 64)
		if err1 == nil && err2 == nil {
			return "int" + env.relative(g, w)
		}
		return "≠"
	case "hash":
		var missing, extra, changed int
		for f, v := range r.hash {
			mv, ok := m.hash[f]
			switch {
			case !ok:
				missing++
			case mv != v:
				changed++
			}
		}
		for f := range m.hash {
			if _, ok := r.hash[f]; !ok {
				extra++
			}
		}
		return sprintf("fields missing %d extra %d changed %d", missing, extra, changed)
	case "list", "set":
		if len(m.list) != len(r.list) {
			return "len" + env.relative(int64(len(m.list)), int64(len(r.list)))
		}
		if slices.Equal(slices.Sorted(slices.Values(m.list)), slices.Sorted(slices.Values(r.list))) {
			return "order≠" // the same elements
		}
		return "≠"
	case "zset":
		// A geo set is a sorted set too: a member misspelt is missing and
		// extra, coordinates swapped are scores changed.
		scores := map[string]float64{}
		for _, z := range r.zset {
			scores[fmt.Sprint(z.Member)] = z.Score
		}
		var missing, extra, changed int
		seen := map[string]bool{}
		for _, z := range m.zset {
			name := fmt.Sprint(z.Member)
			seen[name] = true
			switch want, ok := scores[name]; {
			case !ok:
				extra++
			case want != z.Score:
				changed++
			}
		}
		for name := range scores {
			if !seen[name] {
				missing++
			}
		}
		return sprintf("members missing %d extra %d rescored %d", missing, extra, changed)
	case "stream":
		return streamShape(m, r, env)
	}
	return "≠"
}

// streamShape says which parts of a stream differ from the reference's:
// its length, its entries' ids and fields, and group by group of the
// reference's, whether the student's has it, its last-delivered id and its
// pending entries (a group of another name is one missing and one extra).
func streamShape(m, r *keyState, env *Env) string {
	if len(m.stream) != len(r.stream) {
		return "len" + env.relative(int64(len(m.stream)), int64(len(r.stream)))
	}
	mid, rid := streamIDs(m.stream), streamIDs(r.stream)
	var parts []string
	for i := range m.stream {
		if mid(m.stream[i].ID) != rid(r.stream[i].ID) {
			parts = append(parts, "ids≠")
			break
		}
	}
	for i := range m.stream {
		if fieldsOf(m.stream[i]) != fieldsOf(r.stream[i]) {
			parts = append(parts, "fields≠")
			break
		}
	}
	groups := map[string]groupState{}
	for _, g := range m.groups {
		groups[g.name] = g
	}
	for i, rg := range r.groups {
		mg, ok := groups[rg.name]
		switch {
		case !ok:
			parts = append(parts, "group"+strconv.Itoa(i+1)+":missing")
		case mid(mg.last) != rid(rg.last):
			parts = append(parts, "group"+strconv.Itoa(i+1)+":last≠")
		}
		if ok && pendingOf(mg.pending, mid) != pendingOf(rg.pending, rid) {
			parts = append(parts, "group"+strconv.Itoa(i+1)+":pending"+env.relative(int64(len(mg.pending)), int64(len(rg.pending))))
		}
		delete(groups, rg.name)
	}
	if len(groups) > 0 {
		parts = append(parts, "extra groups:"+strconv.Itoa(len(groups)))
	}
	if len(parts) == 0 {
		return "≠"
	}
	return strings.Join(parts, ",")
}

// ttlShape says how a TTL beyond the tolerance differs: none where the
// reference has one, one where it has none, shorter or longer.
func ttlShape(m, r time.Duration) string {
	switch {
	case m < 0:
		return "no expiry"
	case r < 0:
		return "expires"
	case m < r:
		return "ttl shorter"
	}
	return "ttl longer"
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
		if c.AtLeast && env.Stats[name] >= call.N {
			parts = append(parts, strings.ToUpper(name)+"≥") // how far above the bound is no mistake
			continue
		}
		parts = append(parts, strings.ToUpper(name)+env.relative(env.Stats[name], call.N))
	}
	var others []string
	for name, n := range env.Stats {
		base, _, _ := strings.Cut(name, "|")
		if n == 0 || counted[name] || slices.Contains(notData, base) {
			continue
		}
		count := "×" + strconv.FormatInt(n, 10)
		switch {
		case env.ByChance():
			count = "" // a SCAN walk's pages depend on the server
		case n > 3:
			count = "×many" // a loop's count depends on the state
		}
		others = append(others, strings.ToUpper(name)+count)
	}
	slices.Sort(others)
	if len(others) > 0 {
		parts = append(parts, "also "+strings.Join(others, ","))
	}
	return strings.Join(parts, " ")
}
