package checks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/cmdstats"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// CompareCheck runs the spec's reference solution for the step from the same
// starting state, on the same server, and compares what it left and returned
// with what the student's commands did: every key (type, value, TTL), each
// reply, and optionally the commands the server ran. An author writes the
// right answer once instead of a check per key.
//
//   - compare: reference
//     keys: [user:1]        # only these keys; default every key either run leaves
//     replies: last         # all (default), last or none
//     ttl_tolerance: 2s     # how far two TTLs may be apart; default 1s
//     commands: true        # also compare INFO commandstats; default false
type CompareCheck struct {
	Compare string `yaml:"compare"`
	// Keys limits the comparison to these keys; default every key either
	// run leaves in database 0.
	Keys []string `yaml:"keys"`
	// Replies says which replies must match the reference's: all (the
	// default: as many replies, each the same), last, or none.
	Replies string `yaml:"replies"`
	// TTLTolerance is how far apart the student's and the reference's TTL of
	// a key may be (default 1s): they are read a moment apart.
	TTLTolerance time.Duration `yaml:"ttl_tolerance"`
	// Commands also compares the commands the server ran (INFO
	// commandstats), for a step whose point is which commands are used.
	Commands bool `yaml:"commands"`
	Meta     `yaml:",inline"`
}

// ReferenceRun is what the grader gives a compare check to run the spec's
// reference for one case.
type ReferenceRun struct {
	File     string                // the reference's file for the step
	Commands []submissions.Command // what the grader sends for it; nil when Problem says why
	Problem  string                // why the reference cannot run (no file, a parse error)
	// Reset puts the server back in the case's starting state, with the
	// command statistics zeroed.
	Reset func(ctx context.Context) error
}

const (
	compareMaxKeys     = 1000
	compareMaxBytes    = 1 << 20 // a value larger than this is not what a step asks for
	compareMaxElements = 10000
	maxDifferences     = 5
)

func (c *CompareCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if c.Compare != "reference" {
		d.Errorf(n, "compare can only be `compare: reference`, not %q", c.Compare)
	}
	switch c.Replies {
	case "":
		c.Replies = "all"
	case "all", "last", "none":
	default:
		d.Errorf(n, "replies must be all, last or none, not %q", c.Replies)
	}
	if c.TTLTolerance < 0 {
		d.Errorf(n, "ttl_tolerance must not be negative")
	}
	if c.TTLTolerance == 0 {
		c.TTLTolerance = time.Second
	}
}

// Probe marks the check as one that changes the server's state: it resets
// the server and runs the reference.
func (c *CompareCheck) Probe() {}

// ReadsStats asks the grader for the student's command statistics.
func (c *CompareCheck) ReadsStats() {}

func (c *CompareCheck) Name() string {
	var what []string
	if len(c.Keys) > 0 {
		what = append(what, "keys "+strings.Join(c.Keys, ", "))
	} else {
		what = append(what, "every key")
	}
	switch c.Replies {
	case "all":
		what = append(what, "every reply")
	case "last":
		what = append(what, "the last reply")
	}
	if c.Commands {
		what = append(what, "the commands run")
	}
	return "same as the reference: " + strings.Join(what, ", ")
}

func (c *CompareCheck) Evaluate(ctx context.Context, env *Env) Result {
	ref := env.Reference
	switch {
	case ref == nil:
		return fail("cannot compare: this grader gives the check no reference to run (an error in the grader, not your answer)")
	case ref.Problem != "":
		return fail("cannot compare with the reference: %s (an error in the exercise, not your answer)", ref.Problem)
	}
	mine, err := c.readState(ctx, env.Admin)
	if err != nil {
		return fail("%s", ownedBy(err, "your commands"))
	}
	if err := ref.Reset(ctx); err != nil {
		return fail("could not reset the server to run the reference: %v", err)
	}
	theirs, err := runReference(ctx, env, ref.Commands)
	if err != nil {
		return fail("could not run the reference: %v", err)
	}
	var stats map[string]int64
	if c.Commands {
		info, err := env.Admin.Info(ctx, "commandstats").Result()
		if err != nil {
			return fail("could not read the reference's command statistics: %v", err)
		}
		stats = cmdstats.Parse(info)
	}
	refState, err := c.readState(ctx, env.Admin)
	if err != nil {
		return fail("%s", ownedBy(err, "the reference"))
	}

	stateDiffs := diffStates(mine, refState, c.TTLTolerance)
	replyDiffs := c.diffReplies(env, theirs)
	diffs := append(append([]string{}, stateDiffs...), replyDiffs...)
	if c.Commands {
		diffs = append(diffs, diffStats(env.Stats, stats)...)
	}
	if len(diffs) == 0 {
		return pass("")
	}
	res := Result{Message: strings.Join(limitDiffs(diffs), "; "), Shape: c.shape(env, mine, refState, theirs, stats)}
	// Show what differs: the keys, else the replies.
	switch {
	case len(stateDiffs) > 0:
		res.Expected, res.Actual = describeState(refState), describeState(mine)
	case len(replyDiffs) > 0:
		res.Expected, res.Actual = describeReplies(ref.Commands, theirs), describeReplies(env.Sent, env.Replies)
	}
	return res
}

// describeReplies renders replies with their commands: `EVAL → nil`.
func describeReplies(cmds []submissions.Command, vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
		if i < len(cmds) {
			parts[i] = cmds[i].Name() + " → " + parts[i]
		}
	}
	return strings.Join(parts, "; ")
}

func limitDiffs(diffs []string) []string {
	if len(diffs) <= maxDifferences {
		return diffs
	}
	return append(diffs[:maxDifferences:maxDifferences], sprintf("and %d more differences", len(diffs)-maxDifferences))
}

// runReference sends the reference's commands on a connection as the
// student's, as the grader sent the student's: an error reply does not stop
// the rest.
func runReference(ctx context.Context, env *Env, cmds []submissions.Command) ([]Value, error) {
	conn, release := env.Connect()
	defer release()
	// The connection's own handshake must not count as the reference's
	// commands: dial it, then zero the statistics.
	if err := conn.Ping(ctx).Err(); err != nil {
		return nil, err
	}
	if err := env.Admin.ConfigResetStat(ctx).Err(); err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(cmds))
	for _, cmd := range cmds {
		res, err := conn.Do(ctx, cmd.Any()...).Result()
		v, ok := FromReply(res, err)
		if !ok {
			return out, fmt.Errorf("%s: %w", cmd.Name(), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// sprintf-made errors for the reads below.
type sprintfErr string

func (e sprintfErr) Error() string { return string(e) }

// tooManyKeys is a keyspace over what a compare reads: the student's doing.
type tooManyKeys struct{ limit int }

func (e *tooManyKeys) Error() string {
	return sprintf("more than %s keys: too many to compare", words.Thousands(int64(e.limit)))
}

// valueTooLarge is a value over what a compare reads.
type valueTooLarge struct {
	key, size string
}

func (e *valueTooLarge) Error() string { return e.key + " " + e.size }

// ownedBy words a read error for whoever left the state.
func ownedBy(err error, who string) string {
	var big *valueTooLarge
	if errors.As(err, &big) {
		return sprintf("%s left %s holding %s: more than a compare reads (1 MiB, %s elements), and far more than this step needs",
			who, big.key, big.size, words.Thousands(compareMaxElements))
	}
	var many *tooManyKeys
	if errors.As(err, &many) {
		return who + " left " + err.Error()
	}
	return sprintf("could not read what %s left: %v", who, err)
}

// keyState is one key as a compare reads it.
type keyState struct {
	typ    string
	ttl    time.Duration // -1: no expiry
	str    string
	hash   map[string]string
	list   []string // a list's elements, or a set's members sorted
	zset   []redis.Z
	stream []redis.XMessage
}

// readState reads the keys the check compares, each value's size first: a
// value too large to be the expected one is refused, not read.
func (c *CompareCheck) readState(ctx context.Context, rc *redis.Client) (map[string]*keyState, error) {
	keys := c.Keys
	if len(keys) == 0 {
		var err error
		if keys, err = allKeys(ctx, rc); err != nil {
			return nil, err
		}
	}
	pipe := rc.Pipeline()
	types := make([]*redis.StatusCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		types[i] = pipe.Type(ctx, k)
		ttls[i] = pipe.PTTL(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := map[string]*keyState{}
	pipe = rc.Pipeline()
	sizes := map[string]*redis.IntCmd{}
	memory := map[string]*redis.IntCmd{}
	for i, k := range keys {
		typ := types[i].Val()
		if typ == "none" {
			continue
		}
		ks := &keyState{typ: typ, ttl: ttls[i].Val()}
		if ks.ttl < 0 {
			ks.ttl = -1
		}
		out[k] = ks
		switch typ {
		case "string":
			sizes[k] = pipe.StrLen(ctx, k)
		case "hash":
			sizes[k] = pipe.HLen(ctx, k)
		case "list":
			sizes[k] = pipe.LLen(ctx, k)
		case "set":
			sizes[k] = pipe.SCard(ctx, k)
		case "zset":
			sizes[k] = pipe.ZCard(ctx, k)
		case "stream":
			sizes[k] = pipe.XLen(ctx, k)
		default:
			return nil, sprintfErr(sprintf("%s is a %s, which a compare cannot read", k, typ))
		}
		if typ != "string" {
			memory[k] = pipe.MemoryUsage(ctx, k)
		}
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // MEMORY USAGE may be missing; each reply is looked at
	}
	for k, cmd := range sizes {
		n, err := cmd.Result()
		if err != nil {
			return nil, err
		}
		if out[k].typ == "string" {
			if n > compareMaxBytes {
				return nil, &valueTooLarge{k, words.Thousands(n) + " bytes"}
			}
			continue
		}
		if n > compareMaxElements {
			return nil, &valueTooLarge{k, words.Thousands(n) + " elements"}
		}
		if m, err := memory[k].Result(); err == nil && m > compareMaxBytes {
			return nil, &valueTooLarge{k, "about " + words.Thousands(m) + " bytes"}
		}
	}

	pipe = rc.Pipeline()
	reads := map[string]redis.Cmder{}
	for k, ks := range out {
		switch ks.typ {
		case "string":
			reads[k] = pipe.Get(ctx, k)
		case "hash":
			reads[k] = pipe.HGetAll(ctx, k)
		case "list":
			reads[k] = pipe.LRange(ctx, k, 0, -1)
		case "set":
			reads[k] = pipe.SMembers(ctx, k)
		case "zset":
			reads[k] = pipe.ZRangeWithScores(ctx, k, 0, -1)
		case "stream":
			reads[k] = pipe.XRange(ctx, k, "-", "+")
		}
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx)
	}
	for k, cmd := range reads {
		ks := out[k]
		if err := cmd.Err(); err != nil {
			if errors.Is(err, redis.Nil) {
				delete(out, k) // expired between the reads
				continue
			}
			return nil, err
		}
		switch x := cmd.(type) {
		case *redis.StringCmd:
			ks.str = x.Val()
		case *redis.MapStringStringCmd:
			ks.hash = x.Val()
		case *redis.StringSliceCmd:
			ks.list = x.Val()
			if ks.typ == "set" {
				sort.Strings(ks.list)
			}
		case *redis.ZSliceCmd:
			ks.zset = x.Val()
		case *redis.XMessageSliceCmd:
			ks.stream = x.Val()
		}
	}
	return out, nil
}

// allKeys lists database 0's keys, refusing more than a compare reads.
func allKeys(ctx context.Context, rc *redis.Client) ([]string, error) {
	seen := map[string]bool{}
	var cursor uint64
	for {
		keys, next, err := rc.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			seen[k] = true
		}
		if len(seen) > compareMaxKeys {
			return nil, &tooManyKeys{limit: compareMaxKeys}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unionKeys lists the keys of the student's map and the reference's, sorted.
func unionKeys[V any](mine, ref map[string]V) []string {
	names := map[string]bool{}
	for k := range mine {
		names[k] = true
	}
	for k := range ref {
		names[k] = true
	}
	return sortedKeys(names)
}

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
		case m.typ != r.typ:
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
	var out []string
	switch m.typ {
	case "string":
		if m.str != r.str {
			out = append(out, sprintf("%s is %s; the reference leaves %s", k, quoteClipped(m.str), quoteClipped(r.str)))
		}
	case "hash":
		for _, f := range sortedKeys(r.hash) {
			mv, ok := m.hash[f]
			switch {
			case !ok:
				out = append(out, sprintf("%s has no field %s; the reference leaves %s = %s", k, f, f, clip.Text(r.hash[f], maxRenderedString)))
			case mv != r.hash[f]:
				out = append(out, sprintf("%s field %s is %s; the reference leaves %s", k, f, quoteClipped(mv), quoteClipped(r.hash[f])))
			}
		}
		for _, f := range sortedKeys(m.hash) {
			if _, ok := r.hash[f]; !ok {
				out = append(out, sprintf("%s has field %s = %s, which the reference's does not", k, f, clip.Text(m.hash[f], maxRenderedString)))
			}
		}
	case "list":
		if d := diffSequence(k, "element", m.list, r.list); d != "" {
			out = append(out, d)
		}
	case "set":
		mset, rset := toSet(m.list), toSet(r.list)
		for _, e := range r.list {
			if !mset[e] {
				out = append(out, sprintf("set %s has no member %s; the reference's has", k, quoteClipped(e)))
			}
		}
		for _, e := range m.list {
			if !rset[e] {
				out = append(out, sprintf("set %s has member %s, which the reference's does not", k, quoteClipped(e)))
			}
		}
	case "zset":
		mscores, rscores := zscores(m.zset), zscores(r.zset)
		for _, z := range r.zset {
			name := fmt.Sprint(z.Member)
			s, ok := mscores[name]
			switch {
			case !ok:
				out = append(out, sprintf("sorted set %s has no member %s; the reference's has it with score %s", k, quoteClipped(name), score(z.Score)))
			case s != z.Score:
				out = append(out, sprintf("in sorted set %s, %s has score %s; the reference's has %s", k, quoteClipped(name), score(s), score(z.Score)))
			}
		}
		for _, z := range m.zset {
			name := fmt.Sprint(z.Member)
			if _, ok := rscores[name]; !ok {
				out = append(out, sprintf("sorted set %s has member %s (score %s), which the reference's does not", k, quoteClipped(name), score(z.Score)))
			}
		}
	case "stream":
		// Entry IDs come from the clock: only the entries' fields compare.
		if len(m.stream) != len(r.stream) {
			out = append(out, sprintf("stream %s has %d entries; the reference's has %d", k, len(m.stream), len(r.stream)))
			break
		}
		for i := range m.stream {
			if mf, rf := fieldsOf(m.stream[i]), fieldsOf(r.stream[i]); mf != rf {
				out = append(out, sprintf("entry %d of stream %s is {%s}; the reference's is {%s}", i+1, k, clip.Text(mf, maxRenderedString), clip.Text(rf, maxRenderedString)))
			}
		}
	}
	return out
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

func diffTTL(k string, mine, ref, tolerance time.Duration) string {
	switch {
	case mine < 0 && ref < 0:
		return ""
	case mine < 0:
		return sprintf("%s has no expiry; the reference's expires in %s", k, roundTTL(ref))
	case ref < 0:
		return sprintf("%s expires in %s; the reference's has no expiry", k, roundTTL(mine))
	}
	if d := mine - ref; d > tolerance || d < -tolerance {
		return sprintf("%s expires in %s; the reference's in %s (more than %s apart)", k, roundTTL(mine), roundTTL(ref), tolerance)
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
		return sprintf("a stream of %s", plural(len(ks.stream), "entry"))
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

// unorderedReplies are commands whose array reply has no order to compare.
var unorderedReplies = map[string]int{
	"SMEMBERS": 1, "SINTER": 1, "SUNION": 1, "SDIFF": 1, "KEYS": 1, "HKEYS": 1, "HVALS": 1,
	"HGETALL": 2, // field-value pairs
}

func (c *CompareCheck) diffReplies(env *Env, ref []Value) []string {
	mine := env.Replies
	switch c.Replies {
	case "none":
		return nil
	case "last":
		if len(mine) == 0 || len(ref) == 0 {
			return nil // the no-commands case is the file's own check
		}
		last := len(mine) - 1
		return diffReply(replyLabel(env, last), mine[last], ref[len(ref)-1])
	}
	if len(mine) != len(ref) {
		return []string{sprintf("your commands gave %d replies; the reference's gave %d", len(mine), len(ref))}
	}
	var out []string
	for i := range mine {
		out = append(out, diffReply(replyLabel(env, i), mine[i], ref[i])...)
	}
	return out
}

// replyLabel names the student's i-th command: `HGETALL (step2.redis:3)`.
func replyLabel(env *Env, i int) string {
	if i >= len(env.Sent) {
		return "reply " + strconv.Itoa(i+1)
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

func diffReply(label string, mine, ref Value) []string {
	name, _, _ := strings.Cut(label, " ")
	if pairs, ok := unorderedReplies[name]; ok {
		mine, ref = sortedReply(mine, pairs), sortedReply(ref, pairs)
	}
	if d := explainReply(mine, ref); d != "" {
		return []string{sprintf("your %s %s", label, d)}
	}
	return nil
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

// statsIgnored are the grader's own (its reset) or a new connection's
// handshake, which the student's run may or may not have needed.
var statsIgnored = map[string]bool{"config|resetstat": true, "hello": true, "auth": true, "client|setinfo": true}

func diffStats(mine, ref map[string]int64) []string {
	var out []string
	for _, k := range unionKeys(mine, ref) {
		if statsIgnored[k] {
			continue
		}
		m, r := mine[k], ref[k]
		name := strings.ToUpper(k)
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
