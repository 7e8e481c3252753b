package grader

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/internal/words"
)

// keyspaceLimit bounds how many keys a report shows.
const keyspaceLimit = 20

// keyspace renders what is in database 0, so that a student whose check
// failed sees what their commands left behind: `stock (string) "99"`.
func keyspace(ctx context.Context, admin *redis.Client) string {
	// Names are bounded too: a script can name a key with 40 MB.
	names, _, err := checks.ScanKeys(ctx, admin, 100)
	if err != nil {
		return ""
	}
	if len(names) == 0 {
		return "(no keys)"
	}
	var keys, cut []string
	for _, k := range names {
		if k.Whole() {
			keys = append(keys, k.Name)
		} else {
			cut = append(cut, k.String())
		}
	}
	sort.Strings(keys)
	sort.Strings(cut)
	more := 0
	if len(keys) > keyspaceLimit {
		more, keys = len(keys)-keyspaceLimit, keys[:keyspaceLimit]
	}
	pipe := admin.Pipeline()
	types := make([]*redis.StatusCmd, len(keys))
	for i, k := range keys {
		types[i] = pipe.Type(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return ""
	}
	var b strings.Builder
	for i, k := range keys {
		typ := types[i].Val()
		fmt.Fprintf(&b, "%s (%s) %s\n", k, typ, describeKey(ctx, admin, k, typ))
	}
	for _, k := range cut {
		fmt.Fprintf(&b, "%s\n", k)
	}
	if more > 0 {
		fmt.Fprintf(&b, "… and %d more keys\n", more)
	}
	return clipped(strings.TrimSuffix(b.String(), "\n"), maxMessage)
}

func describeKey(ctx context.Context, c *redis.Client, key, typ string) string {
	switch typ {
	case "string":
		// Its size, then at most a prefix: a student's value can be 40 MB.
		const shown = 80
		pipe := c.Pipeline()
		size, prefix := pipe.StrLen(ctx, key), pipe.GetRange(ctx, key, 0, shown-1)
		if _, err := pipe.Exec(ctx); err != nil {
			return "?"
		}
		if size.Val() > shown {
			return fmt.Sprintf("%s… (%s bytes)", strconv.Quote(prefix.Val()), words.Thousands(size.Val()))
		}
		return strconv.Quote(prefix.Val())
	case "list":
		return fmt.Sprintf("%d elements", c.LLen(ctx, key).Val())
	case "set":
		return fmt.Sprintf("%d members", c.SCard(ctx, key).Val())
	case "zset":
		return fmt.Sprintf("%d members", c.ZCard(ctx, key).Val())
	case "hash":
		return fmt.Sprintf("%d fields", c.HLen(ctx, key).Val())
	}
	return ""
}
