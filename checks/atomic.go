package checks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/atomicity"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// AtomicCheck shows atomicity in action: it replays the student's commands
// from many clients at once while another client samples the keys with MGET.
// The keys' sum must be the same in every sample (no one sees half an update)
// and the final values must be what that many runs leave (no lost updates).
//
//   - atomic: [stock, sales]
//     clients: 8
//     runs: 200
//     replay: [EVAL]             # only these commands; default all of them
//     from: {stock: "1000", sales: "0"}   # default: the case's given
type AtomicCheck struct {
	Keys    []string `yaml:"atomic"`
	Clients int      `yaml:"clients"`
	Runs    int      `yaml:"runs"`
	Replay  []string `yaml:"replay"`
	From    State    `yaml:"from"`
	Meta    `yaml:",inline"`
}

func (c *AtomicCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	if len(c.Keys) < 2 {
		d.Errorf(n, "an atomic check needs at least two keys whose sum stays the same")
	}
	if c.Clients == 0 {
		c.Clients = 8
	}
	if c.Runs == 0 {
		c.Runs = 200
	}
	if c.Clients < 2 || c.Clients > 64 {
		d.Errorf(n, "clients must be between 2 and 64")
	}
	if c.Runs < c.Clients || c.Runs > 100000 {
		d.Errorf(n, "runs must be between clients and 100000")
	}
	if e, ok := c.From.StringsOnly(); !ok {
		d.Errorf(n, "from holds the probe's integer keys as strings; %s is not a plain string", e.Key)
	}
}

// Probe marks the check as one that changes the server's state.
func (c *AtomicCheck) Probe() {}

func (c *AtomicCheck) Name() string {
	return sprintf("atomic under %d concurrent clients (%s stays the same)", c.Clients, strings.Join(c.Keys, " + "))
}

func (c *AtomicCheck) Evaluate(ctx context.Context, env *Env) Result {
	cmds := c.replayed(env.Sent)
	if len(cmds) == 0 {
		r := fail("%s sends no %s command to replay", env.File, strings.Join(c.Replay, " or "))
		r.Shape = "nothing to replay"
		return r
	}
	from := c.From
	if len(from) == 0 {
		from = env.Given
	}
	race := atomicity.Race{Keys: c.Keys, Clients: c.Clients, Runs: c.Runs}
	update := replay(cmds)
	// One command that leaves its connection as it was can be pipelined with
	// reads after it: Redis runs it whole, so nothing is hidden.
	oneCommand := len(cmds) == 1 && env.KeepsConnection != nil && env.KeepsConnection(cmds[0])
	if oneCommand {
		args := cmds[0].Any()
		race.Queue = func(ctx context.Context, pipe redis.Pipeliner) { pipe.Do(ctx, args...) }
	}
	w, err := c.runAlone(ctx, env, race, cmds, update, from, oneCommand)
	if err != nil {
		return fail("%v", err)
	}
	race.Start = w.start
	obs, err := race.Run(ctx, env.Connect, update)
	if err != nil {
		return fail("the concurrent replay failed: %v", err)
	}
	return c.verdict(env, race, cmds, w, obs)
}

// alone is what two runs of the student's commands, alone, showed before
// the race: the keys at the start and after the first run, a torn read
// between two commands of it, and the keys a second run left other than
// as much again.
type alone struct {
	start, after []int64
	torn         *tornRead
	overwritten  []string
}

// runAlone runs the student's commands twice, alone, from from. The first
// run tells what a run adds to each key, and (a command at a time, the
// keys read from another connection between commands) is a certain
// witness of an update another client can catch half-done. A second run
// must add as much again: runs that write fixed values overwrite each
// other. The race then shows it all in action.
func (c *AtomicCheck) runAlone(ctx context.Context, env *Env, race atomicity.Race, cmds []submissions.Command, update atomicity.Update, from State, oneCommand bool) (*alone, error) {
	if err := restoreKeys(ctx, env.Admin, from); err != nil {
		return nil, fmt.Errorf("could not prepare the probe: %w", err)
	}
	w := &alone{}
	var err error
	if w.start, err = startOf(c.Keys, from); err != nil {
		return nil, err
	}
	if w.torn, w.after, err = firstRun(ctx, env, race, cmds, w.start, oneCommand); err != nil {
		return nil, err
	}
	if err := runOnce(ctx, env.Connect, update); err != nil {
		return nil, fmt.Errorf("replaying your commands failed: %w", err)
	}
	// The keys after the second run, then put back for the race: it only
	// watches its keys, so that is enough, and a whole reset would cost more
	// than the rest of the probe.
	twice, err := readThenPutBack(ctx, env.Admin, race, from)
	if err != nil {
		return nil, err
	}
	for i, k := range c.Keys {
		if want := w.after[i] + (w.after[i] - w.start[i]); twice[i] != want {
			w.overwritten = append(w.overwritten, sprintf("%s=%d, not %d", k, twice[i], want))
		}
	}
	return w, nil
}

// firstRun runs the commands once and returns the keys after it, and the
// first read between two commands whose sum is not the start's. One
// command alone has nothing to read between commands: the keys are read
// right after it, in the same round trip.
func firstRun(ctx context.Context, env *Env, race atomicity.Race, cmds []submissions.Command, start []int64, oneCommand bool) (*tornRead, []int64, error) {
	if oneCommand {
		after, err := runAndRead(ctx, env, race, cmds[0])
		if err != nil {
			return nil, nil, fmt.Errorf("replaying your commands failed: %w", err)
		}
		return nil, after, nil
	}
	torn, err := stepThrough(ctx, env, race, cmds, atomicity.Observation{Start: start}.Sum())
	if err != nil {
		return nil, nil, fmt.Errorf("replaying your commands failed: %w", err)
	}
	after, err := race.Read(ctx, env.Admin)
	if err != nil {
		return nil, nil, err
	}
	return torn, after, nil
}

// verdict judges the runs alone and the race: a torn read, runs that
// overwrite each other, inconsistent samples and lost updates fail, in
// that order.
func (c *AtomicCheck) verdict(env *Env, race atomicity.Race, cmds []submissions.Command, w *alone, obs atomicity.Observation) Result {
	want := make([]int64, len(c.Keys))
	var lost []string
	for i, k := range c.Keys {
		want[i] = w.start[i] + int64(c.Runs)*(w.after[i]-w.start[i])
		if obs.Final[i] != want[i] {
			lost = append(lost, sprintf("%s ended at %d, but %d runs should leave %d", k, obs.Final[i], c.Runs, want[i]))
		}
	}
	total := strings.Join(c.Keys, " + ")
	samples := "MGET samples"
	if obs.Samples == 1 {
		samples = "MGET sample"
	}
	seen := sprintf("%d runs of %s from %d clients at once, with %s %s taken alongside",
		c.Runs, strings.Join(names(cmds), " "), c.Clients, words.Thousands(obs.Samples), samples)
	res := Result{
		Expected: sprintf("every sample %s = %d; final %s", total, obs.Sum(), race.State(want)),
		Actual:   sprintf("%d inconsistent samples; final %s", obs.Inconsistent, race.State(obs.Final)),
	}
	switch torn := w.torn; {
	case torn != nil:
		res.Shape = "torn read"
		res.Message = sprintf("right after %s (%s:%d), another client read %s: %s ≠ %d until your next command ran, so the update is not atomic. Then %s: %s of them saw it too",
			torn.after.Name(), env.File, torn.after.Line, race.State(torn.vals), total, obs.Sum(), seen, words.Thousands(obs.Inconsistent))
	case len(w.overwritten) > 0:
		res.Shape = "runs overwrite each other"
		res.Message = sprintf("a second run, alone, left %s: each run writes fixed values, so runs from two clients overwrite each other (%s)",
			strings.Join(w.overwritten, ", "), seen)
	case obs.Inconsistent > 0:
		res.Shape = "inconsistent samples"
		res.Message = sprintf("%s: %s of them saw %s ≠ %d (for example %s): another client read between the updates, so they are not atomic",
			seen, words.Thousands(obs.Inconsistent), total, obs.Sum(), race.State(obs.Example))
	case len(lost) > 0:
		res.Shape = "lost updates"
		res.Message = sprintf("%s: updates were lost: %s", seen, strings.Join(lost, "; "))
	default:
		res.Passed = true
		res.Message = sprintf("%s: every sample had %s = %d and the final %s is what %d runs leave: no client ever saw half an update, and none was lost",
			seen, total, obs.Sum(), race.State(obs.Final), c.Runs)
	}
	return res
}

func (c *AtomicCheck) replayed(sent []submissions.Command) []submissions.Command {
	if len(c.Replay) == 0 {
		return sent
	}
	var out []submissions.Command
	for _, cmd := range sent {
		for _, r := range c.Replay {
			if strings.EqualFold(cmd.Name(), r) {
				out = append(out, cmd)
			}
		}
	}
	return out
}

// tornRead is what another client saw between two of the student's commands.
type tornRead struct {
	after submissions.Command
	vals  []int64
}

// stepThrough runs cmds once on one connection and reads the keys from the
// admin connection after each command but the last. It returns the first
// read whose sum differs from total.
func stepThrough(ctx context.Context, env *Env, race atomicity.Race, cmds []submissions.Command, total int64) (*tornRead, error) {
	conn, release := env.Connect()
	defer release()
	var torn *tornRead
	for i, cmd := range cmds {
		if err := replay(cmds[i:i+1])(ctx, conn); err != nil {
			return nil, err
		}
		if i == len(cmds)-1 || torn != nil {
			continue
		}
		vals, err := race.Read(ctx, env.Admin)
		if err != nil {
			return nil, err
		}
		if (atomicity.Observation{Start: vals}).Sum() != total {
			torn = &tornRead{after: cmd, vals: vals}
		}
	}
	return torn, nil
}

// runAndRead runs one command on a student's connection and reads the keys
// right after it on the same connection, in one round trip.
func runAndRead(ctx context.Context, env *Env, race atomicity.Race, cmd submissions.Command) ([]int64, error) {
	conn, release := env.Connect()
	defer release()
	pipe := conn.Pipeline()
	run := pipe.Do(ctx, cmd.Any()...)
	read := pipe.MGet(ctx, race.Keys...)
	_, _ = pipe.Exec(ctx) // each reply is looked at below
	if err := run.Err(); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	if err := read.Err(); err != nil {
		return nil, err
	}
	return race.Ints(read.Val())
}

// restoreKeys empties the server's keys and sets from's, in one round trip.
// The probe needs no more: its runs are the same student's commands as the
// case's, and it looks only at keys.
func restoreKeys(ctx context.Context, admin *redis.Client, from State) error {
	pipe := admin.Pipeline()
	pipe.FlushAll(ctx)
	for _, cmd := range from.Commands() {
		pipe.Do(ctx, cmd...)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// startOf is what reading the keys gives right after from was set: from's
// values, 0 for a key from does not hold.
func startOf(keys []string, from State) ([]int64, error) {
	out := make([]int64, len(keys))
	for i, k := range keys {
		v, ok := from.Get(k)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errors.New("key " + k + " is " + strconv.Quote(v) + ", not an integer")
		}
		out[i] = n
	}
	return out, nil
}

// readThenPutBack reads the race's keys, then deletes them and sets from's
// keys, in one round trip.
func readThenPutBack(ctx context.Context, admin *redis.Client, race atomicity.Race, from State) ([]int64, error) {
	pipe := admin.Pipeline()
	read := pipe.MGet(ctx, race.Keys...)
	// from's keys are written anew, as the case's reset wrote them.
	pipe.Del(ctx, append(append([]string{}, race.Keys...), from.Keys()...)...)
	for _, cmd := range from.Commands() {
		pipe.Do(ctx, cmd...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("could not prepare the probe: %w", err)
	}
	return race.Ints(read.Val())
}

func runOnce(ctx context.Context, connect atomicity.Connect, update atomicity.Update) error {
	conn, release := connect()
	defer release()
	return update(ctx, conn)
}

// replay turns the student's commands into an update: sent in order, an
// error reply or a lost connection stops it.
func replay(cmds []submissions.Command) atomicity.Update {
	return func(ctx context.Context, conn *redis.Client) error {
		for _, cmd := range cmds {
			if err := conn.Do(ctx, cmd.Any()...).Err(); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
		}
		return nil
	}
}

func names(cmds []submissions.Command) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cmds {
		if !seen[c.Name()] {
			seen[c.Name()] = true
			out = append(out, c.Name())
		}
	}
	return out
}
