package checks

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ChangeCheck asserts how much integer keys changed from the case's given
// state: the same expectation holds from every starting state, so an answer
// hard-coded for one state fails the others. A missing key counts as 0.
//
//   - change: {stock: -1, sales: 1}
type ChangeCheck struct {
	Change Counts `yaml:"change"`
	Meta   `yaml:",inline"`
}

func (c *ChangeCheck) Name() string {
	parts := []string{}
	for _, ch := range c.Change {
		parts = append(parts, ch.Name+" "+signed(ch.N))
	}
	return "changes " + strings.Join(parts, ", ")
}

func signed(n int64) string {
	if n >= 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func (c *ChangeCheck) ReadsKeys() []string {
	keys := make([]string, len(c.Change))
	for i, ch := range c.Change {
		keys[i] = ch.Name
	}
	return keys
}

func (c *ChangeCheck) Evaluate(ctx context.Context, env *Env) Result {
	var wrong, exp, act []string
	for _, ch := range c.Change {
		k := ch.Name
		before, err := intValue(env.Given, k)
		if err != nil {
			return fail("the spec's given value of %s is not an integer", k)
		}
		after, err := readInt(ctx, env, k)
		if err != nil {
			wrong = append(wrong, err.Error())
			continue
		}
		want := before + ch.N
		exp = append(exp, k+"="+strconv.FormatInt(want, 10))
		act = append(act, k+"="+strconv.FormatInt(after, 10))
		if after != want {
			wrong = append(wrong, k+" went from "+strconv.FormatInt(before, 10)+" to "+strconv.FormatInt(after, 10)+
				" ("+signed(after-before)+"), expected "+strconv.FormatInt(want, 10)+" ("+signed(ch.N)+")")
		}
	}
	res := Result{Expected: strings.Join(exp, " "), Actual: strings.Join(act, " ")}
	if len(wrong) == 0 {
		res.Passed = true
		return res
	}
	res.Message = "from " + env.Given.String() + ": " + strings.Join(wrong, "; ")
	return res
}

func intValue(s State, key string) (int64, error) {
	v, ok := s.Get(key)
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// readInt reads an integer key; a missing key is 0.
func readInt(ctx context.Context, env *Env, key string) (int64, error) {
	// The longest int64, "-9223372036854775808", is 20 bytes: a longer
	// value is not an integer, and is never read whole.
	const maxIntLen = 20
	v := env.getString(ctx, key, maxIntLen)
	if errors.Is(v.err, redis.Nil) {
		return 0, nil
	}
	if v.err != nil {
		return 0, errors.New("could not read key " + key + ": " + v.err.Error())
	}
	if v.size > maxIntLen {
		return 0, errors.New("key " + tooLarge(key, v.size, "bytes") + ", not an integer")
	}
	s := v.prefix
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("key " + key + " is " + strconv.Quote(s) + ", not an integer")
	}
	return n, nil
}
