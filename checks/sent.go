package checks

import (
	"context"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// SentCheck asserts what the student's file sends as client commands (not
// what a script runs inside the server): how many commands of a name, and
// what their arguments are. "*" matches any argument. `before` and `after`
// count only the commands sent before the first command of another name, or
// after it: "no GET before the INCR" forbids reading first, and still lets a
// student read afterwards to look at their work.
//
//   - sent: EVAL
//     times: 1
//     args: ["*", "0"]   # the script, then numkeys 0
//   - sent: DECR
//     times: 0
//   - sent: GET
//     times: 0
//     before: INCR
type SentCheck struct {
	Sent  string   `yaml:"sent"`
	Times *int64   `yaml:"times"`
	Args  []string `yaml:"args"`
	// Before counts only the commands sent before the first command of this
	// name (after `after`, if it is given too; all of them, if the file
	// sends none).
	Before string `yaml:"before"`
	// After counts only the commands sent after the first command of this
	// name (none, if the file sends none).
	After string `yaml:"after"`
	Meta  `yaml:",inline"`
}

func (c *SentCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if c.Times != nil && *c.Times < 0 {
		d.Errorf(n, "times must not be negative")
	}
}

// window is the part of the file the check counts: the commands from
// index from up to (not including) to. After a command: from just past the
// first of its name (nothing, if none is sent); before one: up to the first
// of its name from there (the rest of the file, if none is).
func (c *SentCheck) window(sent []submissions.Command) (from, to int) {
	first := func(name string, from int) int {
		for i := from; i < len(sent); i++ {
			if strings.EqualFold(sent[i].Name(), name) {
				return i
			}
		}
		return -1
	}
	from, to = 0, len(sent)
	if c.After != "" {
		i := first(c.After, 0)
		if i < 0 {
			return len(sent), len(sent)
		}
		from = i + 1
	}
	if c.Before != "" {
		if i := first(c.Before, from); i >= 0 {
			to = i
		}
	}
	return from, to
}

// where says which part of the file the check counts: " after WATCH before MULTI".
func (c *SentCheck) where() string {
	s := ""
	if c.After != "" {
		s += " after " + strings.ToUpper(c.After)
	}
	if c.Before != "" {
		s += " before " + strings.ToUpper(c.Before)
	}
	return s
}

func (c *SentCheck) Name() string {
	name := strings.ToUpper(c.Sent)
	var s string
	switch {
	case c.Times == nil:
		s = "sends " + name
	case *c.Times == 0:
		return "sends no " + name + " command" + c.where()
	default:
		s = "sends " + name + " " + times(*c.Times)
	}
	if len(c.Args) > 0 {
		s += " with arguments " + strings.Join(c.Args, " ")
	}
	return s + c.where()
}

func (c *SentCheck) Evaluate(_ context.Context, env *Env) Result {
	name := strings.ToUpper(c.Sent)
	var lines []string
	var count int64
	from, to := c.window(env.Sent)
	for _, cmd := range env.Sent[from:to] {
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
			if !argMatches(got, want) {
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
			return fail("%s sends no %s command%s", env.File, name, c.where())
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
		Message:  sprintf("%s sends %s %s%s%s, expected %s", env.File, name, times(n), c.where(), where, times(*c.Times)),
		Expected: times(*c.Times), Actual: times(n),
	}
}
