package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Bounds on what the grader reads of a value the student's commands left.
// A student can leave a 40 MB string or a list of millions: read whole, such
// a value passes Redis's 16 MiB output limit (the server drops the grader's
// connection) or fills the grader's memory. So every read of a value asks
// its size first (STRLEN, LLEN, SCARD, ZCARD, HLEN, MEMORY USAGE) and reads
// only what could still be the expected value: a value too large to be it
// fails its check, saying how large it is.
const (
	// MaxStringRead is how much of a string the snapshot reads: far more
	// than any expected value, and little enough for many keys at once.
	MaxStringRead = 64 << 10
	// maxCollectionRead bounds the bytes (MEMORY USAGE) of a list, set,
	// sorted set or hash read whole, beyond what its expected elements take.
	maxCollectionRead = 1 << 20
)

// stringRead is a string key as the grader read it: its size (STRLEN) and
// at most a bounded prefix of it. err is redis.Nil for no key, WRONGTYPE for
// another type.
type stringRead struct {
	prefix string
	size   int64
	err    error
}

// whole reports whether prefix is the whole value.
func (r stringRead) whole() bool { return int64(len(r.prefix)) >= r.size }

// queueString queues STRLEN and GETRANGE of at most max bytes.
func queueString(ctx context.Context, pipe redis.Pipeliner, key string, max int64) (*redis.IntCmd, *redis.StringCmd) {
	return pipe.StrLen(ctx, key), pipe.GetRange(ctx, key, 0, max-1)
}

// stringResult builds a stringRead from the replies of queueString, given
// the key's type.
func stringResult(typ string, size *redis.IntCmd, prefix *redis.StringCmd) stringRead {
	switch {
	case typ == "none":
		return stringRead{err: redis.Nil}
	case size.Err() != nil:
		return stringRead{err: size.Err()}
	case prefix.Err() != nil:
		return stringRead{err: prefix.Err()}
	}
	return stringRead{prefix: prefix.Val(), size: size.Val()}
}

// readString reads a string key's size and at most max bytes of it, in one
// round trip.
func readString(ctx context.Context, c *redis.Client, key string, max int64) stringRead {
	pipe := c.Pipeline()
	typ := pipe.Type(ctx, key)
	size, prefix := queueString(ctx, pipe, key, max)
	_, _ = pipe.Exec(ctx) // each reply is looked at below
	if err := typ.Err(); err != nil {
		return stringRead{err: err}
	}
	return stringResult(typ.Val(), size, prefix)
}

// tooLarge says how large a value is that was not read whole:
// `stock holds 40,000,001 bytes`.
func tooLarge(key string, size int64, unit string) string {
	return key + " holds " + Thousands(size) + " " + unit
}

// collectionSize is how many elements a key of that type holds.
func collectionSize(ctx context.Context, c *redis.Client, key, typ string) (int64, error) {
	switch typ {
	case "list":
		return c.LLen(ctx, key).Result()
	case "set":
		return c.SCard(ctx, key).Result()
	case "zset":
		return c.ZCard(ctx, key).Result()
	case "hash":
		return c.HLen(ctx, key).Result()
	}
	return 0, fmt.Errorf("no size for a %s", typ)
}

// memoryUsage is the bytes a key takes in the server, counting every
// element (SAMPLES 0), not an estimate from a few. miniredis knows no
// SAMPLES and counts every element anyway.
func memoryUsage(ctx context.Context, c *redis.Client, key string) (int64, error) {
	n, err := c.MemoryUsage(ctx, key, 0).Result()
	var rerr redis.Error
	if errors.As(err, &rerr) && strings.Contains(strings.ToLower(err.Error()), "syntax") {
		return c.MemoryUsage(ctx, key).Result()
	}
	return n, err
}

// elementUnit names what a collection of that type holds.
func elementUnit(typ string, n int64) string {
	unit := map[string]string{"list": "element", "set": "member", "zset": "member", "hash": "field"}[typ]
	if n != 1 {
		unit += "s"
	}
	return unit
}
