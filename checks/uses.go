package checks

import (
	"context"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// UsesCheck says what a task sentence "with INCR" says: the server ran that
// command while the student's commands ran, whether the file sent it or a
// script it sent called it (counted by INFO commandstats, like calls). Only
// that command counts, not an older form Redis keeps of it (GETSET for SET,
// GEORADIUS for GEOSEARCH): the task named the command, and a row "uses SET"
// must not be ticked for a file that sent none. With once, each ran exactly
// once: "in one command". A
// forged reply or end state (an EVAL "return 3", a plain SET of the value)
// runs none of them.
//
//   - uses: INCRBYFLOAT
//   - uses: [INCR, EXPIRE]
//   - uses: HSET
//     once: true
//   - uses: XGROUP CREATE   # a subcommand
type UsesCheck struct {
	Uses Names `yaml:"uses"`
	// Once: each command ran exactly once (the task asks for one command).
	Once bool `yaml:"once"`
	Meta `yaml:",inline"`
}

// Names is one command name, or a list of them.
type Names []string

// UnmarshalStrict decodes a name or a list of names.
func (ns *Names) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if s, ok := d.String(n); ok {
			*ns = Names{s}
		}
		return
	}
	var list []string
	d.Decode(n, &list)
	*ns = list
}

func (c *UsesCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if len(c.Uses) == 0 {
		d.Errorf(n, "uses needs a command's name, or a list of them")
	}
	for _, name := range c.Uses {
		if strings.TrimSpace(name) == "" || len(strings.Fields(name)) > 2 {
			d.Errorf(n, "uses names a command (INCR) or a subcommand (XGROUP CREATE), not %q", name)
		}
	}
}

// ReadsStats marks the check as one that reads Env.Stats.
func (c *UsesCheck) ReadsStats() {}

func (c *UsesCheck) Name() string {
	s := "uses " + andList(c.upper())
	if c.Once {
		if len(c.Uses) == 1 {
			return s + " once, in one command"
		}
		return s + ", each once"
	}
	return s
}

func (c *UsesCheck) upper() []string {
	out := make([]string, len(c.Uses))
	for i, n := range c.Uses {
		out[i] = strings.ToUpper(strings.Join(strings.Fields(n), " "))
	}
	return out
}

// ran counts the calls of a command, by INFO commandstats's names (set,
// xgroup|create).
func ran(stats map[string]int64, name string) int64 {
	return stats[strings.ToLower(strings.Join(strings.Fields(name), "|"))]
}

func (c *UsesCheck) Evaluate(_ context.Context, env *Env) Result {
	var wrong, act []string
	for i, name := range c.upper() {
		got := ran(env.Stats, c.Uses[i])
		act = append(act, name+"×"+sprintf("%d", got))
		switch {
		case got == 0:
			wrong = append(wrong, name+" never ran: the task asks you to use it")
		case c.Once && got != 1:
			wrong = append(wrong, name+" ran "+times(got)+": the task asks for one "+name+" command")
		}
	}
	expected := "each of " + andList(c.upper())
	if c.Once {
		expected += " once"
	}
	res := Result{Expected: expected, Actual: strings.Join(act, " ")}
	if len(wrong) == 0 {
		res.Passed = true
		return res
	}
	res.Message = strings.Join(wrong, "; ") + " (counted by the server, calls from Lua included)"
	return res
}

func (c *UsesCheck) shape(env *Env) string {
	var parts []string
	for i, name := range c.upper() {
		got := ran(env.Stats, c.Uses[i])
		switch {
		case got == 0:
			parts = append(parts, name+":unused")
		case c.Once && got != 1:
			parts = append(parts, name+env.relative(got, 1))
		}
	}
	return strings.Join(parts, " ")
}

// andList joins names as a sentence does: "A", "A and B", "A, B and C".
func andList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
