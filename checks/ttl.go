package checks

import (
	"context"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// TTLCheck asserts a key's time to live, in whole seconds, after the run:
// within [min, max], or no expiry at all.
//
//   - ttl: requests:alice
//     min: 1
//     max: 60
//   - ttl: config
//     none: true
type TTLCheck struct {
	Key  string `yaml:"ttl"`
	Min  *int64 `yaml:"min"`
	Max  *int64 `yaml:"max"`
	None bool   `yaml:"none"`
	Meta `yaml:",inline"`
}

func (c *TTLCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if c.None == (c.Min != nil || c.Max != nil) {
		d.Errorf(n, "a ttl check needs `min` and/or `max` (seconds), or `none: true`")
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		d.Errorf(n, "min %d is above max %d", *c.Min, *c.Max)
	}
}

func (c *TTLCheck) Name() string {
	switch {
	case c.None:
		return "key " + c.Key + " never expires"
	case c.Min != nil && c.Max != nil:
		return sprintf("key %s expires in %d to %d s", c.Key, *c.Min, *c.Max)
	case c.Min != nil:
		return sprintf("key %s expires in %d s or more", c.Key, *c.Min)
	}
	return sprintf("key %s expires within %d s", c.Key, *c.Max)
}

func (c *TTLCheck) ReadsKeys() []string { return []string{c.Key} }

func (c *TTLCheck) Evaluate(ctx context.Context, env *Env) Result {
	ttl, err := env.ttl(ctx, c.Key)
	if err != nil {
		return fail("could not read the TTL of %s: %v", c.Key, err)
	}
	res := Result{Expected: c.expected(), Actual: describeTTL(ttl)}
	if ttl >= 0 {
		res.Detail = "ttl~" + magnitude(float64(ttl))
	}
	switch {
	case ttl == -2:
		res.Message = "key " + c.Key + " does not exist"
	case c.None && ttl != -1:
		res.Message = "key " + c.Key + " expires in " + describeTTL(ttl) + "; it should not expire (PERSIST removes a TTL)"
	case !c.None && ttl == -1:
		res.Message = "key " + c.Key + " has no expiry: set one with EXPIRE (or SET ... EX)"
	case c.Min != nil && ttl < *c.Min, c.Max != nil && ttl > *c.Max:
		res.Message = "key " + c.Key + " expires in " + describeTTL(ttl) + ", expected " + c.expected()
	default:
		res.Passed = true
	}
	return res
}

func (c *TTLCheck) expected() string {
	switch {
	case c.None:
		return "no expiry"
	case c.Min != nil && c.Max != nil:
		return sprintf("%d to %d s", *c.Min, *c.Max)
	case c.Min != nil:
		return sprintf("at least %d s", *c.Min)
	}
	return sprintf("at most %d s", *c.Max)
}

func describeTTL(ttl int64) string {
	switch ttl {
	case -2:
		return "no such key"
	case -1:
		return "no expiry"
	}
	return strconv.FormatInt(ttl, 10) + " s"
}
