package checks

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/cmdstats"
	"github.com/redisgrade/redisgrade/submissions"
)

// KeyReader is a check that reads keys after the run: the grader reads them
// for every such check of a case at once (ReadPlan).
type KeyReader interface {
	Check
	ReadsKeys() []string
}

// StatsReader is a check that reads Env.Stats, which the grader then reads
// with the keys.
type StatsReader interface {
	Check
	ReadsStats()
}

// Snapshot is what the server held right after the student's commands, read
// in one round trip: the command statistics and, for each key a check
// names, its type, its size and up to MaxStringRead bytes of it if it is a
// string, and its TTL. A grading
// spends most of its time waiting on round trips, and a case's checks used
// to read these one key at a time. Checks read the rest (a list's items, a
// hash's fields) from the server, which still holds the same state: probes,
// the only checks that change it, run last.
type Snapshot struct {
	Stats map[string]int64 // INFO commandstats calls, by lower-case command name; nil unless asked for
	keys  map[string]keyRead
}

type keyRead struct {
	typ string
	str stringRead // STRLEN and a bounded GETRANGE
	ttl int64      // TTL's reply: -2 no key, -1 no expiry
}

// Read reads the plan's snapshot in one round trip on c.
func (r ReadPlan) Read(ctx context.Context, c *redis.Client) (*Snapshot, error) {
	pipe := c.Pipeline()
	pending := r.Queue(ctx, pipe)
	if pipe.Len() > 0 {
		// Exec's error is the first failed command's: a STRLEN of a list;
		// Snapshot looks at each reply.
		_, _ = pipe.Exec(ctx)
	}
	return pending.Snapshot()
}

// PendingSnapshot is a snapshot's reads, queued on a pipeline.
type PendingSnapshot struct {
	info *redis.StringCmd
	keys map[string]pendingKey
}

type pendingKey struct {
	typ    *redis.StatusCmd
	size   *redis.IntCmd
	prefix *redis.StringCmd
	ttl    *redis.Cmd
}

// Queue queues the plan's reads on pipe, where they can follow the
// student's last command in the same round trip: the statistics first (if asked for), so that the
// reads are not in them, then each key's TYPE, STRLEN, GETRANGE of at most
// MaxStringRead bytes, and TTL: never a whole value, which could be 40 MB.
// The replies of a key that is not a string are WRONGTYPE, kept as the
// checks would see them.
func (r ReadPlan) Queue(ctx context.Context, pipe redis.Pipeliner) *PendingSnapshot {
	p := &PendingSnapshot{keys: map[string]pendingKey{}}
	if r.stats {
		p.info = pipe.Info(ctx, "commandstats")
	}
	for _, k := range r.keys {
		if _, ok := p.keys[k]; !ok {
			pk := pendingKey{typ: pipe.Type(ctx, k)}
			pk.size, pk.prefix = queueString(ctx, pipe, k, MaxStringRead)
			pk.ttl = pipe.Do(ctx, "TTL", k)
			p.keys[k] = pk
		}
	}
	return p
}

// Snapshot builds the snapshot once the pipeline ran.
func (p *PendingSnapshot) Snapshot() (*Snapshot, error) {
	s := &Snapshot{keys: map[string]keyRead{}}
	if p.info != nil {
		if err := p.info.Err(); err != nil {
			return nil, fmt.Errorf("read command statistics: %w", err)
		}
		s.Stats = cmdstats.Parse(p.info.Val())
	}
	for k, r := range p.keys {
		typ, err := r.typ.Result()
		if err != nil {
			return nil, fmt.Errorf("read the type of key %s: %w", k, err)
		}
		ttl, err := r.ttl.Int64()
		if err != nil {
			return nil, fmt.Errorf("read the TTL of key %s: %w", k, err)
		}
		s.keys[k] = keyRead{typ: typ, ttl: ttl, str: stringResult(typ, r.size, r.prefix)}
	}
	return s, nil
}

// ReadPlan is what a case's checks read right after the run, as the checks
// say (KeyReader, StatsReader). The grader runs it, after or behind the
// student's last command, without knowing what it holds; the zero plan
// reads nothing.
type ReadPlan struct {
	keys  []string
	stats bool // INFO commandstats
}

// PlanReads is the plan of what the checks read, and of the command
// statistics wherever the commands sent run a script: only they say whether
// the script left anything to chance (Env.ByChance).
func PlanReads(cs List, sent []submissions.Command) ReadPlan {
	var r ReadPlan
	r.stats = slices.ContainsFunc(sent, callsScript)
	for _, c := range cs {
		if kr, ok := c.(KeyReader); ok {
			r.keys = append(r.keys, kr.ReadsKeys()...)
		}
		if _, ok := c.(StatsReader); ok {
			r.stats = true
		}
	}
	return r
}

// keyType is the key's TYPE, from the snapshot where it holds the key.
func (env *Env) keyType(ctx context.Context, key string) (string, error) {
	if kr, ok := env.snapshot(key); ok {
		return kr.typ, nil
	}
	return env.Admin.Type(ctx, key).Result()
}

// getString is a string key's size and its first bytes: at least
// min(size, limit) of them, never more than max(limit, MaxStringRead). A
// missing key is redis.Nil.
func (env *Env) getString(ctx context.Context, key string, limit int64) stringRead {
	if kr, ok := env.snapshot(key); ok && (kr.str.err != nil || kr.str.whole() || int64(len(kr.str.prefix)) >= limit) {
		return kr.str
	}
	return readString(ctx, env.Admin, key, max(limit, MaxStringRead))
}

// ttl is the key's TTL in seconds, as the TTL command answers.
func (env *Env) ttl(ctx context.Context, key string) (int64, error) {
	if kr, ok := env.snapshot(key); ok {
		return kr.ttl, nil
	}
	return env.Admin.Do(ctx, "TTL", key).Int64()
}

func (env *Env) snapshot(key string) (keyRead, bool) {
	if env.Snapshot == nil {
		return keyRead{}, false
	}
	kr, ok := env.Snapshot.keys[key]
	return kr, ok
}
