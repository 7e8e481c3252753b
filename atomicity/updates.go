package atomicity

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// The three ways `redisgrade demo` sells one unit. Only the script is atomic.

// ReadModifyWrite reads both counters, then writes them back changed, from
// the client: another client's write in between is lost, and a reader can
// see one counter changed and not the other.
func ReadModifyWrite(stock, sales string) Update {
	return func(ctx context.Context, c *redis.Client) error {
		s, err := getInt(ctx, c, stock)
		if err != nil {
			return err
		}
		if err := c.Set(ctx, stock, s-1, 0).Err(); err != nil {
			return err
		}
		n, err := getInt(ctx, c, sales)
		if err != nil {
			return err
		}
		return c.Set(ctx, sales, n+1, 0).Err()
	}
}

// TwoCommands sends DECR then INCR: no update is lost, but a reader can
// come between them.
func TwoCommands(stock, sales string) Update {
	return func(ctx context.Context, c *redis.Client) error {
		if err := c.Decr(ctx, stock).Err(); err != nil {
			return err
		}
		return c.Incr(ctx, sales).Err()
	}
}

// SellScript is the Lua answer: both changes in one script, which nothing
// else can interrupt.
const SellScript = "local stock = redis.call('DECR', KEYS[1]) local sales = redis.call('INCR', KEYS[2]) return {stock, sales}"

// LuaScript runs SellScript with EVAL.
func LuaScript(stock, sales string) Update {
	return func(ctx context.Context, c *redis.Client) error {
		return c.Eval(ctx, SellScript, []string{stock, sales}).Err()
	}
}

func getInt(ctx context.Context, c *redis.Client, key string) (int64, error) {
	s, err := c.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}
