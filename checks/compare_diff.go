package checks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/rediscmd"
)

// diffStates explains, key by key, how the student's state differs from the
// reference's.
func diffStates(mine, ref map[string]*keyState, tolerance time.Duration) []string {
	var out []string
	for _, k := range unionKeys(mine, ref) {
		m, r := mine[k], ref[k]
		switch {
		case m == nil:
			out = append(out, sprintf("you left no key %s; the reference leaves %s", k, r.describe()))
			continue
		case r == nil:
			out = append(out, sprintf("you left %s (%s), which the reference does not", k, m.describe()))
			continue
		case m.typ != r.typ || m.hll != r.hll:
			out = append(out, sprintf("%s is %s; the reference leaves %s", k, m.describe(), r.describe()))
			continue
		}
		out = append(out, diffValue(k, m, r)...)
		if d := diffTTL(k, m.ttl, r.ttl, tolerance); d != "" {
			out = append(out, d)
		}
	}
	return out
}

func diffValue(k string, m, r *keyState) []string {
	switch m.typ {
	case "string":
		switch {
		case m.hll && m.card != r.card:
			return []string{sprintf("HyperLogLog %s counts %d (PFCOUNT); the reference's counts %d", k, m.card, r.card)}
		case m.hll && m.regs != r.regs:
			return []string{sprintf("HyperLogLog %s holds other members than the reference's, though both count %d (PFCOUNT)", k, m.card)}
		case !m.hll && m.str != r.str:
			return []string{sprintf("%s is %s; the reference leaves %s", k, quoteClipped(m.str), quoteClipped(r.str))}
		}
	case "hash":
		return diffHash(k, m.hash, r.hash)
	case "list":
		if d := diffSequence(k, "element", m.list, r.list); d != "" {
			return []string{d}
		}
	case "set":
		return diffSet(k, m.list, r.list)
	case "zset":
		return diffZset(k, m.zset, r.zset)
	case "stream":
		return diffStream(k, m, r)
	}
	return nil
}

func diffHash(k string, mine, ref map[string]string) []string {
	var out []string
	for _, f := range sortedKeys(ref) {
		mv, ok := mine[f]
		switch {
		case !ok:
			out = append(out, sprintf("%s has no field %s; the reference leaves %s = %s", k, f, f, clip.Text(ref[f], maxRenderedString)))
		case mv != ref[f]:
			out = append(out, sprintf("%s field %s is %s; the reference leaves %s", k, f, quoteClipped(mv), quoteClipped(ref[f])))
		}
	}
	for _, f := range sortedKeys(mine) {
		if _, ok := ref[f]; !ok {
			out = append(out, sprintf("%s has field %s = %s, which the reference's does not", k, f, clip.Text(mine[f], maxRenderedString)))
		}
	}
	return out
}

func diffSet(k string, mine, ref []string) []string {
	var out []string
	mset, rset := toSet(mine), toSet(ref)
	for _, e := range ref {
		if !mset[e] {
			out = append(out, sprintf("set %s has no member %s; the reference's has", k, quoteClipped(e)))
		}
	}
	for _, e := range mine {
		if !rset[e] {
			out = append(out, sprintf("set %s has member %s, which the reference's does not", k, quoteClipped(e)))
		}
	}
	return out
}

func diffZset(k string, mine, ref []redis.Z) []string {
	var out []string
	mscores, rscores := zscores(mine), zscores(ref)
	for _, z := range ref {
		name := fmt.Sprint(z.Member)
		s, ok := mscores[name]
		switch {
		case !ok:
			out = append(out, sprintf("sorted set %s has no member %s; the reference's has it with score %s", k, quoteClipped(name), score(z.Score)))
		case s != z.Score:
			out = append(out, sprintf("in sorted set %s, %s has score %s; the reference's has %s", k, quoteClipped(name), score(s), score(z.Score)))
		}
	}
	for _, z := range mine {
		name := fmt.Sprint(z.Member)
		if _, ok := rscores[name]; !ok {
			out = append(out, sprintf("sorted set %s has member %s (score %s), which the reference's does not", k, quoteClipped(name), score(z.Score)))
		}
	}
	return out
}

// diffStream compares two streams whole: the entries (ids and fields), the
// consumer groups, each group's last-delivered id and its pending entries
// with their consumers. Ids made by the clock (XADD *) differ between any
// two runs: where both streams' ids are, each id is compared by its place
// among the entries instead.
func diffStream(k string, m, r *keyState) []string {
	mid, rid := streamIDs(m.stream), streamIDs(r.stream)
	if len(m.stream) != len(r.stream) {
		return []string{sprintf("stream %s has %d entries; the reference's has %d", k, len(m.stream), len(r.stream))}
	}
	var out []string
	for i := range m.stream {
		if a, b := mid(m.stream[i].ID), rid(r.stream[i].ID); a != b {
			out = append(out, sprintf("entry %d of stream %s has id %s; the reference's has %s", i+1, k, a, b))
		}
		if mf, rf := fieldsOf(m.stream[i]), fieldsOf(r.stream[i]); mf != rf {
			out = append(out, sprintf("entry %d of stream %s is {%s}; the reference's is {%s}", i+1, k, clip.Text(mf, maxRenderedString), clip.Text(rf, maxRenderedString)))
		}
	}
	return append(out, diffGroups(k, m.groups, r.groups, mid, rid)...)
}

func diffGroups(k string, mine, ref []groupState, mid, rid func(string) string) []string {
	var out []string
	find := func(gs []groupState, name string) *groupState {
		for i := range gs {
			if gs[i].name == name {
				return &gs[i]
			}
		}
		return nil
	}
	for _, r := range ref {
		m := find(mine, r.name)
		if m == nil {
			out = append(out, sprintf("stream %s has no consumer group %s; the reference's has it (last delivered %s, %s)",
				k, r.name, rid(r.last), plural(len(r.pending), "pending entry")))
			continue
		}
		if a, b := mid(m.last), rid(r.last); a != b {
			out = append(out, sprintf("group %s of stream %s last delivered %s; the reference's %s", r.name, k, a, b))
		}
		if a, b := pendingOf(m.pending, mid), pendingOf(r.pending, rid); a != b {
			out = append(out, sprintf("group %s of stream %s has pending %s; the reference's has %s", r.name, k, a, b))
		}
	}
	for _, m := range mine {
		if find(ref, m.name) == nil {
			out = append(out, sprintf("stream %s has a consumer group %s, which the reference's does not", k, m.name))
		}
	}
	return out
}

// pendingOf renders pending entries: `1-1 (worker-1), 1-2 (worker-2)`.
func pendingOf(ps []pendingState, id func(string) string) string {
	if len(ps) == 0 {
		return "nothing"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = id(p.id) + " (" + clip.Text(p.consumer, 60) + ")"
	}
	return strings.Join(parts, ", ")
}

// clockMadeAfter is where the ids XADD * makes start: milliseconds since
// 1970 after September 2001. An exercise's explicit ids are small.
const clockMadeAfter = 1_000_000_000_000

// streamIDs says how a stream's ids are compared: as they are, or, where
// the clock made them, by their place among the entries ("entry 2", "after
// entry 2", "0-0" before the first).
func streamIDs(entries []redis.XMessage) func(string) string {
	clock := false
	for _, e := range entries {
		if ms, _, _ := strings.Cut(e.ID, "-"); len(ms) >= 13 {
			if n, err := strconv.ParseUint(ms, 10, 64); err == nil && n >= clockMadeAfter {
				clock = true
			}
		}
	}
	if !clock {
		return canonicalID
	}
	ids := make([]streamID, len(entries))
	for i, e := range entries {
		ids[i], _ = parseStreamID(e.ID)
	}
	return func(s string) string {
		id, err := parseStreamID(s)
		if err != nil {
			return canonicalID(s) // 0-0: nothing delivered
		}
		n := sort.Search(len(ids), func(i int) bool { return id.less(ids[i]) }) // entries at or before id
		switch {
		case n == 0:
			return "before entry 1"
		case ids[n-1] == id:
			return "entry " + strconv.Itoa(n)
		}
		return "after entry " + strconv.Itoa(n)
	}
}

// canonicalID writes an id as Redis does: the emulator says 0 for 0-0.
func canonicalID(s string) string {
	if s == "0" {
		return "0-0"
	}
	return s
}

// diffSequence explains the first way two ordered sequences differ.
func diffSequence(k, what string, mine, ref []string) string {
	if len(mine) != len(ref) {
		return sprintf("list %s holds %d elements %s; the reference's holds %d %s", k, len(mine), renderList(mine), len(ref), renderList(ref))
	}
	for i := range mine {
		if mine[i] != ref[i] {
			return sprintf("%s %d of list %s is %s; the reference's is %s", what, i+1, k, quoteClipped(mine[i]), quoteClipped(ref[i]))
		}
	}
	return ""
}

func renderList(elems []string) string {
	v := Value{Type: Array}
	for _, e := range elems {
		v.Elems = append(v.Elems, Str(e))
	}
	return v.String()
}

func toSet(elems []string) map[string]bool {
	out := map[string]bool{}
	for _, e := range elems {
		out[e] = true
	}
	return out
}

func zscores(zs []redis.Z) map[string]float64 {
	out := map[string]float64{}
	for _, z := range zs {
		out[fmt.Sprint(z.Member)] = z.Score
	}
	return out
}

func score(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func fieldsOf(m redis.XMessage) string {
	parts := make([]string, 0, len(m.Values))
	for _, f := range sortedKeys(m.Values) {
		parts = append(parts, sprintf("%s=%v", f, m.Values[f]))
	}
	return strings.Join(parts, " ")
}

// ttlSlack is how much longer than the reference's a TTL may read: the
// reference's is read a moment after it was set, as the student's is, and
// either moment can be the longer one on a busy machine.
func ttlSlack(tolerance time.Duration) time.Duration { return min(tolerance/2, 250*time.Millisecond) }

// diffTTL allows a TTL only shorter than the reference's, by the tolerance:
// the student's was read first, and time only makes a TTL shorter; one set
// longer than the task asks is wrong, however little.
func diffTTL(k string, mine, ref, tolerance time.Duration) string {
	switch {
	case mine < 0 && ref < 0:
		return ""
	case mine < 0:
		return sprintf("%s has no expiry; the reference's expires in %s", k, roundTTL(ref))
	case ref < 0:
		return sprintf("%s expires in %s; the reference's has no expiry", k, roundTTL(mine))
	}
	switch d := mine - ref; {
	case d > ttlSlack(tolerance):
		return sprintf("%s expires in %s; the reference's in %s: longer than the task asks", k, roundTTL(mine), roundTTL(ref))
	case d < -tolerance:
		return sprintf("%s expires in %s; the reference's in %s (more than %s shorter)", k, roundTTL(mine), roundTTL(ref), tolerance)
	}
	return ""
}

func roundTTL(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.String()
}

// describe renders a key for a message: a string "100", a hash of 3 fields.
func (ks *keyState) describe() string {
	switch ks.typ {
	case "string":
		if ks.hll {
			return sprintf("a HyperLogLog counting %d", ks.card)
		}
		return "a string " + quoteClipped(ks.str)
	case "hash":
		return sprintf("a hash of %s", plural(len(ks.hash), "field"))
	case "list":
		return sprintf("a list of %s", plural(len(ks.list), "element"))
	case "set":
		return sprintf("a set of %s", plural(len(ks.list), "member"))
	case "zset":
		return sprintf("a sorted set of %s", plural(len(ks.zset), "member"))
	case "stream":
		s := sprintf("a stream of %s", plural(len(ks.stream), "entry"))
		if len(ks.groups) > 0 {
			s += sprintf(" with %s", plural(len(ks.groups), "consumer group"))
		}
		return s
	}
	return "a " + ks.typ
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return sprintf("%d %ss", n, what)
}

// describeState renders a state compactly for a report's expected/actual.
func describeState(st map[string]*keyState) string {
	if len(st) == 0 {
		return "no keys"
	}
	var parts []string
	for _, k := range sortedKeys(st) {
		ks := st[k]
		s := k + ": " + ks.describe()
		if ks.ttl >= 0 {
			s += " (expires in " + roundTTL(ks.ttl) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// statsIgnored are the grader's own (its reset) or a new connection's
// handshake, which the student's run may or may not have needed.
var statsIgnored = map[string]bool{"config|resetstat": true, "hello": true, "auth": true, "client|setinfo": true}

// comparedStat reports whether a compare of the commands run counts a
// command: not a read (a student may add one to look at their work) nor
// the grader's own.
func comparedStat(name string) bool {
	if statsIgnored[name] {
		return false
	}
	return !rediscmd.IsRead(strings.Split(name, "|"))
}

func diffStats(mine, ref map[string]int64) []string {
	var out []string
	for _, k := range unionKeys(mine, ref) {
		if !comparedStat(k) {
			continue
		}
		m, r := mine[k], ref[k]
		name := strings.ToUpper(strings.ReplaceAll(k, "|", " "))
		switch {
		case m == r:
		case m == 0:
			out = append(out, sprintf("the reference runs %s %s; your commands do not run it", name, times(r)))
		case r == 0:
			out = append(out, sprintf("your commands run %s %s; the reference does not run it", name, times(m)))
		default:
			out = append(out, sprintf("your commands run %s %s; the reference runs it %s", name, times(m), times(r)))
		}
	}
	return out
}
