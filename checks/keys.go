package checks

import (
	"context"
	"strings"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
)

// KeysCheck asserts that database 0 holds exactly these keys: nothing was
// left behind, and no key was touched that the task did not name (a script
// that hard-codes key names instead of using KEYS creates them).
//
//   - keys: [account:a, account:b]
type KeysCheck struct {
	Keys []string `yaml:"keys"`
	Meta `yaml:",inline"`
}

// keysLimit bounds the scan: more keys than this is a failure anyway.
const keysLimit = 1000

func (c *KeysCheck) Name() string {
	if len(c.Keys) == 0 {
		return "no keys exist"
	}
	return "only keys " + strings.Join(c.Keys, ", ") + " exist"
}

func (c *KeysCheck) Evaluate(ctx context.Context, env *Env) Result {
	// A student can leave millions of keys: count them before listing.
	n, err := env.Admin.DBSize(ctx).Result()
	if err != nil {
		return fail("could not count the keys: %v", err)
	}
	if n > keysLimit {
		return Result{
			Message:  sprintf("database 0 holds %s keys: too many to be the %d expected", words.Thousands(n), len(c.Keys)),
			Expected: quoteList(sortedCopy(c.Keys)), Actual: words.Thousands(n) + " keys",
		}
	}
	names, _, err := ScanKeys(ctx, env.Admin, keysLimit+1)
	if err != nil {
		return fail("could not list the keys: %v", err)
	}
	var got []string
	for _, k := range names {
		// A name cut short is not an expected one: it shows with its length.
		name := k.Name
		if !k.Whole() {
			name = clip.Text(k.Name, 60) + " (a " + words.Thousands(k.Len) + "-byte name)"
		}
		got = append(got, name)
	}
	want := map[string]bool{}
	for _, k := range c.Keys {
		want[k] = true
	}
	var extra, missing []string
	have := map[string]bool{}
	for _, k := range got {
		have[k] = true
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for _, k := range c.Keys {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	res := Result{Expected: quoteList(sortedCopy(c.Keys)), Actual: quoteList(sortedCopy(got))}
	var problems []string
	if len(extra) > 0 {
		problems = append(problems, "unexpected keys "+strings.Join(quoteAll(sortedCopy(extra)), ", "))
	}
	if len(missing) > 0 {
		problems = append(problems, "missing keys "+strings.Join(quoteAll(sortedCopy(missing)), ", "))
	}
	if len(problems) == 0 {
		res.Passed = true
		return res
	}
	res.Message = strings.Join(problems, "; ")
	return res
}
