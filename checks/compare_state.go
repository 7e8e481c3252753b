package checks

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/words"
)

// keyState is one key as a compare reads it.
type keyState struct {
	typ  string
	ttl  time.Duration // -1: no expiry
	str  string
	hll  bool   // a string that is a HyperLogLog: compared by its registers
	regs string // a HyperLogLog's registers (hllRegisterValues)
	card int64  // a HyperLogLog's count (PFCOUNT), to say how far off it is
	hash map[string]string
	list []string // a list's elements, or a set's members sorted
	zset []redis.Z
	// A stream's entries and consumer groups.
	stream []redis.XMessage
	groups []groupState
}

// groupState is a stream's consumer group as a compare reads it.
type groupState struct {
	name    string
	last    string // last-delivered id
	pending []pendingState
}

type pendingState struct{ id, consumer string }

// hllMagic starts every HyperLogLog's value.
const hllMagic = "HYLL"

// readState reads the keys the check compares in a few round trips: their
// types and TTLs, then their sizes (a value too large to be the expected one
// is refused, not read), then their values, then what a value leads to (a
// stream's groups, a HyperLogLog's count).
func (c *CompareCheck) readState(ctx context.Context, rc *redis.Client) (map[string]*keyState, error) {
	keys := c.Keys
	if len(keys) == 0 {
		var err error
		if keys, err = allKeys(ctx, rc); err != nil {
			return nil, err
		}
	}
	out, err := readTypes(ctx, rc, keys)
	if err != nil {
		return nil, err
	}
	if err := checkSizes(ctx, rc, out); err != nil {
		return nil, err
	}
	if err := readValues(ctx, rc, out); err != nil {
		return nil, err
	}
	if err := readStreamGroups(ctx, rc, out); err != nil {
		return nil, err
	}
	return out, readHLLCounts(ctx, rc, out)
}

// readTypes reads each key's type and TTL; missing keys are left out.
func readTypes(ctx context.Context, rc *redis.Client, keys []string) (map[string]*keyState, error) {
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
	for i, k := range keys {
		typ := types[i].Val()
		switch typ {
		case "none":
			continue
		case "string", "hash", "list", "set", "zset", "stream":
		default:
			return nil, readError(sprintf("%s is a %s, which a compare cannot read", k, typ))
		}
		ks := &keyState{typ: typ, ttl: ttls[i].Val()}
		if ks.ttl < 0 {
			ks.ttl = -1
		}
		out[k] = ks
	}
	return out, nil
}

// checkSizes refuses a value larger than a compare reads, before reading it.
func checkSizes(ctx context.Context, rc *redis.Client, state map[string]*keyState) error {
	pipe := rc.Pipeline()
	sizes := map[string]*redis.IntCmd{}
	memory := map[string]*redis.IntCmd{}
	for k, ks := range state {
		switch ks.typ {
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
		}
		if ks.typ != "string" {
			memory[k] = pipe.MemoryUsage(ctx, k)
		}
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // MEMORY USAGE may be missing; each reply is looked at
	}
	for k, cmd := range sizes {
		n, err := cmd.Result()
		if err != nil {
			return err
		}
		if state[k].typ == "string" {
			if n > compareMaxBytes {
				return &valueTooLarge{k, words.Thousands(n) + " bytes"}
			}
			continue
		}
		if n > compareMaxElements {
			return &valueTooLarge{k, words.Thousands(n) + " elements"}
		}
		if m, err := memory[k].Result(); err == nil && m > compareMaxBytes {
			return &valueTooLarge{k, "about " + words.Thousands(m) + " bytes"}
		}
	}
	return nil
}

// readValues reads each key's value whole; a key that expired between the
// reads is left out.
func readValues(ctx context.Context, rc *redis.Client, state map[string]*keyState) error {
	pipe := rc.Pipeline()
	reads := map[string]redis.Cmder{}
	for k, ks := range state {
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
		ks := state[k]
		if err := cmd.Err(); err != nil {
			if errors.Is(err, redis.Nil) {
				delete(state, k) // expired between the reads
				continue
			}
			return err
		}
		switch x := cmd.(type) {
		case *redis.StringCmd:
			ks.str = x.Val()
			ks.hll = strings.HasPrefix(ks.str, hllMagic)
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
	return nil
}

// readStreamGroups reads each stream's consumer groups (name, last-delivered
// id) and then their pending entries (id, consumer).
func readStreamGroups(ctx context.Context, rc *redis.Client, state map[string]*keyState) error {
	pipe := rc.Pipeline()
	infos := map[string]*redis.XInfoGroupsCmd{}
	for k, ks := range state {
		if ks.typ == "stream" {
			infos[k] = pipe.XInfoGroups(ctx, k)
		}
	}
	if len(infos) == 0 {
		return nil
	}
	_, _ = pipe.Exec(ctx)
	pipe = rc.Pipeline()
	type pendingRead struct {
		key, group string
		cmd        *redis.XPendingExtCmd
	}
	var pendings []pendingRead
	for k, cmd := range infos {
		groups, err := cmd.Result()
		if err != nil {
			return err
		}
		if len(groups) > compareMaxGroups {
			return &valueTooLarge{k, words.Thousands(int64(len(groups))) + " consumer groups"}
		}
		for _, g := range groups {
			state[k].groups = append(state[k].groups, groupState{name: g.Name, last: g.LastDeliveredID})
			if g.Pending > compareMaxElements {
				return &valueTooLarge{k, words.Thousands(g.Pending) + " pending entries in group " + g.Name}
			}
			if g.Pending > 0 {
				pendings = append(pendings, pendingRead{k, g.Name, pipe.XPendingExt(ctx, &redis.XPendingExtArgs{
					Stream: k, Group: g.Name, Start: "-", End: "+", Count: compareMaxElements})})
			}
		}
		sort.Slice(state[k].groups, func(i, j int) bool { return state[k].groups[i].name < state[k].groups[j].name })
	}
	if len(pendings) == 0 {
		return nil
	}
	_, _ = pipe.Exec(ctx)
	for _, p := range pendings {
		entries, err := p.cmd.Result()
		if err != nil {
			return err
		}
		ks := state[p.key]
		for gi := range ks.groups {
			if ks.groups[gi].name != p.group {
				continue
			}
			for _, e := range entries {
				ks.groups[gi].pending = append(ks.groups[gi].pending, pendingState{e.ID, e.Consumer})
			}
		}
	}
	return nil
}

// readHLLCounts decodes each HyperLogLog's registers and counts it: two
// with the same registers are alike, whatever their header (PFCOUNT itself
// rewrites the count it caches there). Counts alone would not do: the
// visitors 0 to 999 and 1 to 1000 both count 990.
func readHLLCounts(ctx context.Context, rc *redis.Client, state map[string]*keyState) error {
	pipe := rc.Pipeline()
	counts := map[string]*redis.IntCmd{}
	for k, ks := range state {
		if !ks.hll {
			continue
		}
		regs, ok := hllRegisterValues(ks.str)
		if !ok {
			ks.hll = false // HYLL bytes that are not a valid HyperLogLog: compared as a string
			continue
		}
		ks.regs = string(regs)
		counts[k] = pipe.PFCount(ctx, k)
	}
	if len(counts) == 0 {
		return nil
	}
	_, _ = pipe.Exec(ctx)
	for k, cmd := range counts {
		n, err := cmd.Result()
		if err != nil {
			// HYLL bytes that are not a valid HyperLogLog: compared as a string.
			state[k].hll = false
			continue
		}
		state[k].card = n
	}
	return nil
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
	return sortedKeys(seen), nil
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
