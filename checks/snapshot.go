package checks

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
)

// KeyReader is a check that reads keys after the run: the grader reads them
// for every such check of a case at once (TakeSnapshot).
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
// names, its type, its value if it is a string, and its TTL. A grading
// spends most of its time waiting on round trips, and a case's checks used
// to read these one key at a time. Checks read the rest (a list's items, a
// hash's fields) from the server, which still holds the same state: probes,
// the only checks that change it, run last.
type Snapshot struct {
	Stats map[string]int64 // INFO commandstats calls, by lower-case command name; nil unless asked for
	keys  map[string]keyRead
}

type keyRead struct {
	typ    string
	str    string // GET's reply: the value, for a string key
	strErr error  // GET's error: redis.Nil for no key, WRONGTYPE for another type
	ttl    int64  // TTL's reply: -2 no key, -1 no expiry
}

// TakeSnapshot reads the statistics first (if asked for), so that its own
// reads are not in them, then each key's TYPE, GET and TTL. A GET of a key that is not a
// string answers WRONGTYPE, kept as the checks would have seen it.
func TakeSnapshot(ctx context.Context, admin *redis.Client, r Reads) (*Snapshot, error) {
	pipe := admin.Pipeline()
	var info *redis.StringCmd
	if r.Stats {
		info = pipe.Info(ctx, "commandstats")
	}
	type reads struct {
		typ *redis.StatusCmd
		get *redis.StringCmd
		ttl *redis.Cmd
	}
	rs := map[string]reads{}
	for _, k := range r.Keys {
		if _, ok := rs[k]; ok {
			continue
		}
		rs[k] = reads{typ: pipe.Type(ctx, k), get: pipe.Get(ctx, k), ttl: pipe.Do(ctx, "TTL", k)}
	}
	s := &Snapshot{keys: map[string]keyRead{}}
	if pipe.Len() == 0 {
		return s, nil
	}
	// Exec's error is the first failed command's: a GET of a list, or redis.Nil.
	_, _ = pipe.Exec(ctx)
	if info != nil {
		if err := info.Err(); err != nil {
			return nil, fmt.Errorf("read command statistics: %w", err)
		}
		s.Stats = engine.ParseCommandStats(info.Val())
	}
	for k, r := range rs {
		typ, err := r.typ.Result()
		if err != nil {
			return nil, fmt.Errorf("read the type of key %s: %w", k, err)
		}
		ttl, err := r.ttl.Int64()
		if err != nil {
			return nil, fmt.Errorf("read the TTL of key %s: %w", k, err)
		}
		kr := keyRead{typ: typ, ttl: ttl}
		// GET's reply as the checks would have had it: the value, redis.Nil,
		// or WRONGTYPE for a key of another type.
		kr.str, kr.strErr = r.get.Result()
		s.keys[k] = kr
	}
	return s, nil
}

// Reads is what a case's checks read after the run.
type Reads struct {
	Keys  []string
	Stats bool // INFO commandstats
}

// ReadsOf says what the checks read, for TakeSnapshot.
func ReadsOf(cs List) Reads {
	var r Reads
	for _, c := range cs {
		if kr, ok := c.(KeyReader); ok {
			r.Keys = append(r.Keys, kr.ReadsKeys()...)
		}
		if _, ok := c.(StatsReader); ok {
			r.Stats = true
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

// getString is a string key's value; a missing key is redis.Nil.
func (env *Env) getString(ctx context.Context, key string) (string, error) {
	if kr, ok := env.snapshot(key); ok {
		return kr.str, kr.strErr
	}
	return env.Admin.Get(ctx, key).Result()
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
