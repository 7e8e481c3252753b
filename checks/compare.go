package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/cmdstats"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// CompareCheck runs the spec's reference solution for the step from the same
// starting state, on the same server, and compares the effects of what the
// student's commands did with the reference's: every key (type, value, TTL;
// a stream with its ids, groups and pending entries; a HyperLogLog by its
// count), the replies of the commands the task is about, and optionally the
// write commands the server ran. An author writes the right answer once
// instead of a check per key. A read the student adds to look at their work,
// or a command split into several, changes no effect, and passes.
//
//   - compare: reference
//     keys: [user:1]        # only these keys; default every key either run leaves
//     replies: [HGETALL]    # reads (default), all, last, none, or a list of commands
//     ttl_tolerance: 500ms  # how much shorter a TTL may be than the reference's
//     commands: true        # also compare the write commands the server ran
type CompareCheck struct {
	Compare string `yaml:"compare"`
	// Keys limits the comparison to these keys; default every key either
	// run leaves in database 0.
	Keys []string `yaml:"keys"`
	// Replies says which of the reference's replies the student's commands
	// must also get, in the same order, each from a command of the same
	// name (other commands may come in between): reads (the default: those
	// of the reference's read-only commands), all, last, none, or a list of
	// command names. A .lua step's script reply is compared unless none.
	Replies ReplyScope `yaml:"replies"`
	// TTLTolerance is how much shorter than the reference's a key's TTL may
	// be (default 500ms): the two runs are read a moment apart. A TTL longer
	// than the reference's fails, since time only makes a TTL shorter.
	TTLTolerance time.Duration `yaml:"ttl_tolerance"`
	// Commands also compares how many times the server ran each write
	// command (INFO commandstats; reads are left out), for a step whose
	// point is which commands are used.
	Commands bool `yaml:"commands"`
	Meta     `yaml:",inline"`
}

// ReferenceRun is what the grader gives a compare check to run the spec's
// reference for one case.
type ReferenceRun struct {
	File     string                // the reference's file for the step
	Commands []submissions.Command // what the grader sends for it; nil when Problem says why
	Problem  string                // why the reference cannot run (no file, a parse error)
	// Reset puts the server back in the case's starting state, with the
	// command statistics zeroed.
	Reset func(ctx context.Context) error
}

const (
	compareMaxKeys     = 1000
	compareMaxBytes    = 1 << 20 // a value larger than this is not what a step asks for
	compareMaxElements = 10000
	compareMaxGroups   = 100
	maxDifferences     = 5
	// defaultTTLTolerance separates a TTL set one second apart from the
	// reference's, and leaves room for the moment between the two reads.
	defaultTTLTolerance = 500 * time.Millisecond
)

func (c *CompareCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if c.Compare != "reference" {
		d.Errorf(n, "compare can only be `compare: reference`, not %q", c.Compare)
	}
	if c.Replies.Mode == "" {
		c.Replies.Mode = RepliesReads
	}
	if c.TTLTolerance < 0 {
		d.Errorf(n, "ttl_tolerance must not be negative")
	}
	if c.TTLTolerance == 0 {
		c.TTLTolerance = defaultTTLTolerance
	}
}

// Probe marks the check as one that changes the server's state: it resets
// the server and runs the reference.
func (c *CompareCheck) Probe() {}

// ReadsStats asks the grader for the student's command statistics.
func (c *CompareCheck) ReadsStats() {}

func (c *CompareCheck) Name() string {
	var what []string
	if len(c.Keys) > 0 {
		what = append(what, "keys "+strings.Join(c.Keys, ", "))
	} else {
		what = append(what, "every key")
	}
	if r := c.Replies.describe(); r != "" {
		what = append(what, r)
	}
	if c.Commands {
		what = append(what, "the write commands run")
	}
	return "same as the reference: " + strings.Join(what, ", ")
}

func (c *CompareCheck) Evaluate(ctx context.Context, env *Env) Result {
	ref := env.Reference
	switch {
	case ref == nil:
		return fail("cannot compare: this grader gives the check no reference to run (an error in the grader, not your answer)")
	case ref.Problem != "":
		return fail("cannot compare with the reference: %s (an error in the exercise, not your answer)", ref.Problem)
	}
	mine, err := c.readState(ctx, env.Admin)
	if err != nil {
		return fail("%s", ownedBy(err, "your commands"))
	}
	if err := ref.Reset(ctx); err != nil {
		return fail("could not reset the server to run the reference: %v", err)
	}
	theirs, err := runReference(ctx, env, ref.Commands)
	if err != nil {
		return fail("could not run the reference: %v", err)
	}
	var stats map[string]int64
	if c.Commands {
		info, err := env.Admin.Info(ctx, "commandstats").Result()
		if err != nil {
			return fail("could not read the reference's command statistics: %v", err)
		}
		stats = cmdstats.Parse(info)
	}
	refState, err := c.readState(ctx, env.Admin)
	if err != nil {
		return fail("%s", ownedBy(err, "the reference"))
	}
	return c.verdict(env, comparison{mine: mine, ref: refState, refCmds: ref.Commands, refReplies: Settle(ref.Commands, theirs), refStats: stats})
}

// comparison is what both runs left and returned.
type comparison struct {
	mine, ref  map[string]*keyState
	refCmds    []submissions.Command
	refReplies []Value
	refStats   map[string]int64
}

func (c *CompareCheck) verdict(env *Env, cmp comparison) Result {
	stateDiffs := diffStates(cmp.mine, cmp.ref, c.TTLTolerance)
	unmatched := c.matchReplies(env, cmp.refCmds, cmp.refReplies)
	diffs := append(append([]string{}, stateDiffs...), explainUnmatched(env, unmatched)...)
	if c.Commands {
		diffs = append(diffs, diffStats(env.Stats, cmp.refStats)...)
	}
	if len(diffs) == 0 {
		return pass("")
	}
	res := Result{Message: strings.Join(limitDiffs(diffs), "; "), Shape: c.shape(env, cmp, unmatched), Detail: c.detail(env, cmp, unmatched)}
	// Show what differs: the keys, else the replies.
	switch {
	case len(stateDiffs) > 0:
		res.Expected, res.Actual = describeState(cmp.ref), describeState(cmp.mine)
	case len(unmatched) > 0:
		res.Expected, res.Actual = describeReplies(cmp.refCmds, cmp.refReplies), describeReplies(env.Sent, env.Results())
	}
	return res
}

// describeReplies renders replies with their commands: `EVAL → nil`; a
// reply whose order means nothing (SMEMBERS) sorted, so that it reads the
// same on every run.
func describeReplies(cmds []submissions.Command, vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
		if i < len(cmds) {
			sorted, _ := inOrder(cmds[i].Name(), v, v)
			parts[i] = cmds[i].Name() + " → " + sorted.String()
		}
	}
	return strings.Join(parts, "; ")
}

func limitDiffs(diffs []string) []string {
	if len(diffs) <= maxDifferences {
		return diffs
	}
	return append(diffs[:maxDifferences:maxDifferences], sprintf("and %d more differences", len(diffs)-maxDifferences))
}

// runReference sends the reference's commands on a connection as the
// student's, as the grader sent the student's: an error reply does not stop
// the rest.
func runReference(ctx context.Context, env *Env, cmds []submissions.Command) ([]Value, error) {
	conn, release := env.Connect()
	defer release()
	// The connection's own handshake must not count as the reference's
	// commands: dial it, then zero the statistics.
	if err := conn.Ping(ctx).Err(); err != nil {
		return nil, err
	}
	if err := env.Admin.ConfigResetStat(ctx).Err(); err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(cmds))
	for _, cmd := range cmds {
		res, err := conn.Do(ctx, cmd.Any()...).Result()
		v, ok := FromReply(res, err)
		if !ok {
			return out, fmt.Errorf("%s: %w", cmd.Name(), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// readError is a read a compare could not make, worded for whoever left the
// state.
type readError string

func (e readError) Error() string { return string(e) }

// tooManyKeys is a keyspace over what a compare reads: the student's doing.
type tooManyKeys struct{ limit int }

func (e *tooManyKeys) Error() string {
	return sprintf("more than %s keys: too many to compare", words.Thousands(int64(e.limit)))
}

// valueTooLarge is a value over what a compare reads.
type valueTooLarge struct {
	key, size string
}

func (e *valueTooLarge) Error() string { return e.key + " " + e.size }

// ownedBy words a read error for whoever left the state.
func ownedBy(err error, who string) string {
	var big *valueTooLarge
	if errors.As(err, &big) {
		return sprintf("%s left %s holding %s: more than a compare reads (1 MiB, %s elements), and far more than this step needs",
			who, big.key, big.size, words.Thousands(compareMaxElements))
	}
	var many *tooManyKeys
	if errors.As(err, &many) {
		return who + " left " + err.Error()
	}
	return sprintf("could not read what %s left: %v", who, err)
}
