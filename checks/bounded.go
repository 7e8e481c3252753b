package checks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
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
	return key + " holds " + words.Thousands(size) + " " + unit
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

// maxKeyName is how much of a key's name a scan returns: a student's script
// can name a key with 40 MB.
const maxKeyName = 1024

// KeyName is a key as a bounded scan saw it: its name, or the first
// maxKeyName bytes of a longer one, and the name's length.
type KeyName struct {
	Name string
	Len  int64
}

// Whole reports whether Name is the key's whole name.
func (k KeyName) Whole() bool { return int64(len(k.Name)) >= k.Len }

// String renders the name for people: quoted, and where it is long, cut
// with its length.
func (k KeyName) String() string {
	if k.Whole() && len(k.Name) <= maxRenderedString {
		return strconv.Quote(k.Name)
	}
	return strconv.Quote(clip.Text(k.Name, 60)) + " (a " + words.Thousands(k.Len) + "-byte name)"
}

// scanKeysScript is one SCAN step that returns each name's length and at
// most ARGV[2] bytes of it, so no reply carries a whole huge name: SCAN
// itself would send it.
const scanKeysScript = `
local res = redis.call('SCAN', ARGV[1], 'COUNT', 100)
local out = {res[1]}
local max = tonumber(ARGV[2])
for _, k in ipairs(res[2]) do
  out[#out + 1] = string.sub(k, 1, max)
  out[#out + 1] = #k
end
return out`

// ScanKeys lists the keys of database 0, at most limit of them (more:
// truncated is true), with bounded names.
func ScanKeys(ctx context.Context, c *redis.Client, limit int) (keys []KeyName, truncated bool, err error) {
	script := redis.NewScript(scanKeysScript)
	cursor := "0"
	for {
		res, err := script.Run(ctx, c, nil, cursor, maxKeyName).Slice()
		if err != nil {
			return nil, false, err
		}
		if len(res) == 0 {
			return nil, false, errors.New("SCAN: an empty reply")
		}
		cursor = fmt.Sprint(res[0])
		for i := 1; i+1 < len(res); i += 2 {
			if len(keys) == limit {
				return keys, true, nil
			}
			name, _ := res[i].(string)
			n, _ := res[i+1].(int64)
			keys = append(keys, KeyName{Name: name, Len: n})
		}
		if cursor == "0" {
			return keys, false, nil
		}
	}
}
