package checks

import (
	"context"
	"strings"
)

// CallsCheck asserts how many times the server ran each named command during
// the run, counted by INFO commandstats: commands a Lua script runs through
// redis.call count too, so this proves a script really called DECR rather
// than writing the value DECR would have left.
//
// With at_least, each count is a lower bound: a walk that pages with a small
// COUNT makes many SCAN calls, how many depending on the server process, and
// one that ignores the COUNT it is given makes few.
//
//   - calls: {decr: 1, incr: 1}
//   - calls: {scan: 2}
//     at_least: true
type CallsCheck struct {
	Calls Counts `yaml:"calls"`
	// AtLeast: each command ran at least that many times, not exactly.
	AtLeast bool `yaml:"at_least"`
	Meta    `yaml:",inline"`
}

// ReadsStats marks the check as one that reads Env.Stats.
func (c *CallsCheck) ReadsStats() {}

func (c *CallsCheck) Name() string {
	parts := []string{}
	for _, call := range c.Calls {
		n := times(call.N)
		if c.AtLeast {
			n = "at least " + n
		}
		parts = append(parts, strings.ToUpper(call.Name)+" "+n)
	}
	return "the server runs " + strings.Join(parts, ", ")
}

func (c *CallsCheck) Evaluate(_ context.Context, env *Env) Result {
	var wrong, exp, act []string
	for _, call := range c.Calls {
		k, want := call.Name, call.N
		got := env.Stats[strings.ToLower(k)]
		bound := ""
		if c.AtLeast {
			bound = "≥"
		}
		exp = append(exp, strings.ToUpper(k)+"×"+bound+sprintf("%d", want))
		act = append(act, strings.ToUpper(k)+"×"+sprintf("%d", got))
		switch {
		case c.AtLeast && got < want:
			wrong = append(wrong, strings.ToUpper(k)+" ran "+times(got)+", expected at least "+times(want))
		case !c.AtLeast && got != want:
			wrong = append(wrong, strings.ToUpper(k)+" ran "+times(got)+", expected "+times(want))
		}
	}
	res := Result{Expected: strings.Join(exp, " "), Actual: strings.Join(act, " ")}
	if len(wrong) == 0 {
		res.Passed = true
		return res
	}
	res.Message = strings.Join(wrong, "; ") + " (counted by the server, calls from Lua included)"
	return res
}
