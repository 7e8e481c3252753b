package checks

import (
	"context"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/interleave"
	"github.com/redisgrade/redisgrade/internal/rediscmd"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// SerializableCheck runs the step's file from several clients at once, under
// the grader's own scheduler: each client sends its next command only when
// the scheduler says, so every interleaving is chosen, not left to luck. Each
// command is one atomic unit (an EVAL, an FCALL, a MULTI ... EXEC block, which
// runs at its EXEC). It first runs the clients one after the other in every
// order and records each outcome (the keys they leave, and each client's
// replies); then it runs the interleavings, fewest switches between clients
// first, and fails at the first whose outcome no serial order gives, showing
// it as a timeline. A transaction WATCH refused (EXEC replies nil) counts as
// not run: the interleaving passes when it is a serial order of the files
// without the refused transactions, which is what optimistic locking
// promises. It needs no invariant from the author.
//
//   - serializable: {clients: 2}
//   - serializable: {with: "DECR seats\n", as: the box office}   # the other client, and its name
type SerializableCheck struct {
	Serializable Serial `yaml:"serializable"`
	Meta         `yaml:",inline"`
}

// Serial says who runs at once.
type Serial struct {
	// Clients is how many clients run the step's file at once (default 2).
	Clients int `yaml:"clients"`
	// With is another client's commands, as a .redis file: the step's file
	// runs once, beside these (the scenario's other client, played by the
	// grader).
	With string `yaml:"with"`
	// As names the other client in timelines and messages ("the box
	// office"); default "the other client".
	As string `yaml:"as"`

	with []submissions.Command
}

// maxInterleavings bounds what one check runs: exercise files interleave in
// far fewer, once units that commute are run once.
const maxInterleavings = 5000

func (c *SerializableCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	s := &c.Serializable
	switch {
	case s.With != "" && s.Clients != 0 && s.Clients != 2:
		d.Errorf(n, "with runs one other client beside the step's file: clients is 2, or leave it out")
	case s.Clients == 0:
		s.Clients = 2
	case s.Clients < 2 || s.Clients > 4:
		d.Errorf(n, "clients must be 2, 3 or 4")
	}
	if s.As != "" && s.With == "" {
		d.Errorf(n, "as names the client of `with`: give its commands")
	}
	if s.With != "" {
		cmds, err := submissions.ParseCommands("with", s.With)
		switch {
		case err != nil:
			d.Errorf(n, "with: %v", err)
		case len(cmds) == 0:
			d.Errorf(n, "with holds no commands")
		}
		s.with = cmds
	}
}

// Probe marks the check as one that changes the server's state.
func (c *SerializableCheck) Probe() {}

func (c *SerializableCheck) Name() string {
	if c.Serializable.With != "" {
		return "serializable beside " + c.other()
	}
	return sprintf("serializable from %d clients at once", c.Serializable.Clients)
}

// clientFiles are the commands each client sends: the step's file for each
// client, or the step's file and the other client's.
func (c *SerializableCheck) clientFiles(env *Env) [][]submissions.Command {
	if c.Serializable.With != "" {
		return [][]submissions.Command{env.Sent, c.Serializable.with}
	}
	out := make([][]submissions.Command, c.Serializable.Clients)
	for i := range out {
		out[i] = env.Sent
	}
	return out
}

func (c *SerializableCheck) Evaluate(ctx context.Context, env *Env) Result {
	if env.Restart == nil {
		return fail("cannot run the clients: this grader gives the check no way to restart the case (an error in the grader, not your answer)")
	}
	if err := env.Restart(ctx); err != nil {
		return fail("could not put the server back in the case's starting state: %v", err)
	}
	start, err := ReadState(ctx, env.Admin)
	if err != nil {
		return fail("could not read the case's starting state: %v", err)
	}
	r := &runner{env: env, start: start, serial: map[string][]outcome{}}
	for i, cmds := range c.clientFiles(env) {
		units, err := splitUnits(ctx, env.Admin, cmds)
		if err != nil {
			return fail("could not tell which keys your commands touch: %v", err)
		}
		r.clients = append(r.clients, units)
		// The other client's every reply is what it observes; a student's
		// reads decide nothing unless a write other than a script follows them
		// (decides).
		r.observer = append(r.observer, i > 0 && c.Serializable.With != "")
	}
	return r.verdict(ctx, c.names(len(r.clients)))
}

// other names the client of `with`.
func (c *SerializableCheck) other() string {
	if c.Serializable.As != "" {
		return c.Serializable.As
	}
	return "the other client"
}

// names are the clients' names in timelines: client A, client B...; with
// another client, you and it.
func (c *SerializableCheck) names(n int) []string {
	if c.Serializable.With != "" {
		return []string{"you", c.other()}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = "client " + string(rune('A'+i))
	}
	return out
}

// unit is one atomic step of a client, with the keys it touches.
type unit struct {
	cmds []submissions.Command
	info interleave.Unit
}

// splitUnits cuts a client's commands into units: each command, but a
// MULTI ... EXEC (or DISCARD) block, which is one; and asks the server which
// keys each touches (COMMAND GETKEYS). A script may touch keys it does not
// declare, so it is taken to touch any.
func splitUnits(ctx context.Context, admin *redis.Client, cmds []submissions.Command) ([]unit, error) {
	var out []unit
	for i := 0; i < len(cmds); i++ {
		u := unit{cmds: cmds[i : i+1]}
		if cmds[i].Name() == "MULTI" {
			j := i + 1
			for j < len(cmds) && cmds[j].Name() != "EXEC" && cmds[j].Name() != "DISCARD" {
				j++
			}
			u.cmds = cmds[i:min(j+1, len(cmds))]
			i = min(j, len(cmds)-1)
		}
		info, err := unitInfo(ctx, admin, u.cmds)
		if err != nil {
			return nil, err
		}
		u.info = info
		out = append(out, u)
	}
	return out, nil
}

// decides reports whether the replies of a client's i-th unit matter: a
// write's always do, a read's only where a write other than a script comes
// after it. Such a write acts on nothing but its arguments, so a read
// before it stands for what the client decided on: GET the lock, then DEL
// it, deletes a lock another client took in between, which only the GET's
// reply shows (a transaction is such a write: WATCH, not MULTI, is what
// makes it check, and a refused one is left out with the reads since its
// WATCH, see dropped). A script can read for itself what it acts on, and a
// read after the last such write (a student's look at their work, at the
// end or before their atomic release) decides nothing: what it sees depends
// on the other clients' timing, so comparing it would fail every file that
// looks at its work. (A script that acts blindly after a read the client
// decided on is the one race this leaves to the other checks.)
func decides(units []unit, i int) bool {
	if !units[i].info.ReadOnly {
		return true
	}
	for _, u := range units[i+1:] {
		if !u.info.ReadOnly && !contains(scripts, u.cmds[0].Name()) {
			return true
		}
	}
	return false
}

// scripts are the commands that run code which may touch any key.
var scripts = []string{"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"}

func unitInfo(ctx context.Context, admin *redis.Client, cmds []submissions.Command) (interleave.Unit, error) {
	u := interleave.Unit{ReadOnly: true}
	for _, cmd := range cmds {
		name := cmd.Name()
		switch {
		case name == "MULTI" || name == "EXEC" || name == "DISCARD":
			continue
		case name == "WATCH":
			// WATCH reads its keys' versions: a write to one after it makes
			// EXEC refuse, so it does not commute with writes.
			u.Keys = append(u.Keys, cmd.Args[1:]...)
			continue
		case contains(scripts, name):
			u.AnyKey = true
		}
		u.ReadOnly = u.ReadOnly && rediscmd.IsRead(cmd.Args)
		keys, known, err := getKeys(ctx, admin, cmd)
		if err != nil {
			return u, err
		}
		// Where the server cannot say (the emulator), the unit may touch any.
		u.AnyKey = u.AnyKey || !known
		u.Keys = append(u.Keys, keys...)
	}
	return u, nil
}

// getKeys asks the server which keys a command touches (COMMAND GETKEYS).
// known is false where the server cannot say.
func getKeys(ctx context.Context, admin *redis.Client, cmd submissions.Command) (keys []string, known bool, err error) {
	keys, ok, err := getKeysReply(ctx, admin, cmd.Any())
	if err != nil || ok {
		return keys, ok, err
	}
	// An error reply: no key arguments, or a command the server does not
	// know (its own run got the error), on a server that answers GETKEYS;
	// the emulator does not.
	probe, ok, err := getKeysReply(ctx, admin, []any{"GET", "k"})
	return nil, ok && len(probe) == 1, err
}

// getKeysReply is COMMAND GETKEYS's list of keys; ok is false for an error
// reply, or a reply that is no list of keys.
func getKeysReply(ctx context.Context, admin *redis.Client, args []any) (keys []string, ok bool, err error) {
	reply, err := admin.Do(ctx, append([]any{"COMMAND", "GETKEYS"}, args...)...).Result()
	if err != nil {
		if _, isReply := err.(redis.Error); isReply {
			return nil, false, nil
		}
		return nil, false, err
	}
	list, isList := reply.([]any)
	if !isList {
		return nil, false, nil
	}
	for _, k := range list {
		s, isString := k.(string)
		if !isString {
			return nil, false, nil // not GETKEYS's answer: the emulator's COMMAND
		}
		keys = append(keys, s)
	}
	return keys, true, nil
}

// describeUnits says how many units each client has, for messages.
func describeUnits(clients [][]unit) string {
	n := 0
	for _, c := range clients {
		n += len(c)
	}
	return words.Count(n, "unit")
}
