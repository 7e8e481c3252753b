package checks

import (
	"context"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// SentCheck asserts what the student's file sends as client commands (not
// what a script runs inside the server): how many commands of a name, and
// what their arguments are. "*" matches any argument.
//
//   - sent: EVAL
//     times: 1
//     args: ["*", "0"]   # the script, then numkeys 0
//   - sent: DECR
//     times: 0
type SentCheck struct {
	Sent  string   `yaml:"sent"`
	Times *int64   `yaml:"times"`
	Args  []string `yaml:"args"`
	Meta  `yaml:",inline"`
}

func (c *SentCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if c.Times != nil && *c.Times < 0 {
		d.Errorf(n, "times must not be negative")
	}
}

func (c *SentCheck) Name() string {
	name := strings.ToUpper(c.Sent)
	var s string
	switch {
	case c.Times == nil:
		s = "sends " + name
	case *c.Times == 0:
		return "sends no " + name + " command"
	default:
		s = "sends " + name + " " + times(*c.Times)
	}
	if len(c.Args) > 0 {
		s += " with arguments " + strings.Join(c.Args, " ")
	}
	return s
}

func (c *SentCheck) Evaluate(_ context.Context, env *Env) Result {
	name := strings.ToUpper(c.Sent)
	var lines []string
	var count int64
	for _, cmd := range env.Sent {
		if cmd.Name() != name {
			continue
		}
		// A repeat count (`2 EVAL ...`) sends several commands from one line.
		if l := strconv.Itoa(cmd.Line); len(lines) == 0 || lines[len(lines)-1] != l {
			lines = append(lines, l)
		}
		count++
		for i, want := range c.Args {
			got := ""
			if i+1 < len(cmd.Args) {
				got = cmd.Args[i+1]
			} else {
				return fail("%s:%d: %s has %s, expected at least %d", env.File, cmd.Line, name, words.Count(len(cmd.Args)-1, "argument"), len(c.Args))
			}
			if want != "*" && got != want {
				return Result{
					Message:  sprintf("%s:%d: argument %d of %s is %s, expected %s", env.File, cmd.Line, i+1, name, strconv.Quote(clip.Text(got, 60)), strconv.Quote(want)),
					Expected: want, Actual: clip.Text(got, 60),
				}
			}
		}
	}
	n := count
	if c.Times == nil {
		if n == 0 {
			return fail("%s sends no %s command", env.File, name)
		}
		return pass("")
	}
	if n == *c.Times {
		return pass("")
	}
	where := ""
	if n > 0 {
		where = " (line " + strings.Join(lines, ", ") + ")"
	}
	return Result{
		Message:  sprintf("%s sends %s %s%s, expected %s", env.File, name, times(n), where, times(*c.Times)),
		Expected: times(*c.Times), Actual: times(n),
	}
}
