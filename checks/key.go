package checks

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// KeyCheck asserts a string key's value after the run, or that it is absent.
//
//   - key: stock
//     equals: "99"
type KeyCheck struct {
	Key    string  `yaml:"key"`
	Equals *string `yaml:"equals"`
	Absent bool    `yaml:"absent"`
	Meta   `yaml:",inline"`
}

func (c *KeyCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if (c.Equals == nil) == !c.Absent {
		d.Errorf(n, "a key check needs exactly one of `equals` or `absent: true`")
	}
}

func (c *KeyCheck) Name() string {
	if c.Absent {
		return "key " + c.Key + " does not exist"
	}
	return "key " + c.Key + " equals " + strconv.Quote(*c.Equals)
}

func (c *KeyCheck) Evaluate(ctx context.Context, env *Env) Result {
	got, err := env.Admin.Get(ctx, c.Key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		if c.Absent {
			return pass("")
		}
		return Result{Message: "key " + c.Key + " does not exist", Expected: strconv.Quote(*c.Equals), Actual: "no such key"}
	case err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE"):
		typ, _ := env.Admin.Type(ctx, c.Key).Result()
		return Result{Message: "key " + c.Key + " holds a " + typ + ", not a string", Expected: c.expected(), Actual: "a " + typ}
	case err != nil:
		return fail("could not read key %s: %v", c.Key, err)
	case c.Absent:
		return Result{Message: "key " + c.Key + " exists", Expected: "no such key", Actual: strconv.Quote(got)}
	case got != *c.Equals:
		return Result{Message: "key " + c.Key + " is " + strconv.Quote(got), Expected: strconv.Quote(*c.Equals), Actual: strconv.Quote(got)}
	}
	return pass("")
}

func (c *KeyCheck) expected() string {
	if c.Absent {
		return "no such key"
	}
	return strconv.Quote(*c.Equals)
}
