package checks

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

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
}

// Probe marks the check as one that changes the server's state.
func (c *AtomicCheck) Probe() {}

func (c *AtomicCheck) Name() string {
	return sprintf("atomic under %d concurrent clients (%s stays the same)", c.Clients, strings.Join(c.Keys, " + "))
}

func (c *AtomicCheck) Evaluate(ctx context.Context, env *Env) Result {
	cmds := c.replayed(env.Sent)
	if len(cmds) == 0 {
		return fail("%s sends no %s command to replay", env.File, strings.Join(c.Replay, " or "))
	}
	from := c.From
	if len(from) == 0 {
		from = env.Given
	}

	// One run alone tells what each run should add to each key.
	if err := env.Restore(ctx, from); err != nil {
		return fail("could not prepare the probe: %v", err)
	}
	start, err := c.read(ctx, env.Admin)
	if err != nil {
		return fail("%v", err)
	}
	if err := runOnce(ctx, env.Connect, cmds); err != nil {
		return fail("replaying your commands failed: %v", err)
	}
	after, err := c.read(ctx, env.Admin)
	if err != nil {
		return fail("%v", err)
	}
	delta := make([]int64, len(c.Keys))
	for i := range c.Keys {
		delta[i] = after[i] - start[i]
	}

	if err := env.Restore(ctx, from); err != nil {
		return fail("could not prepare the probe: %v", err)
	}
	obs, err := c.race(ctx, env, cmds, sum(start))
	if err != nil {
		return fail("the concurrent replay failed: %v", err)
	}
	final, err := c.read(ctx, env.Admin)
	if err != nil {
		return fail("%v", err)
	}

	var lost []string
	for i, k := range c.Keys {
		want := start[i] + int64(c.Runs)*delta[i]
		if final[i] != want {
			lost = append(lost, sprintf("%s ended at %d, but %d runs should leave %d", k, final[i], c.Runs, want))
		}
	}
	total := strings.Join(c.Keys, " + ")
	seen := sprintf("%d runs of %s from %d clients at once, with %s MGET samples taken alongside",
		c.Runs, strings.Join(names(cmds), " "), c.Clients, thousands(obs.samples))
	res := Result{
		Expected: sprintf("every sample %s = %d; final %s", total, sum(start), c.state(expectedFinal(start, delta, c.Runs))),
		Actual:   sprintf("%d inconsistent samples; final %s", obs.bad, c.state(final)),
	}
	switch {
	case obs.bad > 0:
		res.Message = sprintf("%s: %s of them saw %s ≠ %d (for example %s): another client read between the updates, so they are not atomic",
			seen, thousands(obs.bad), total, sum(start), c.state(obs.example))
	case len(lost) > 0:
		res.Message = sprintf("%s: updates were lost: %s", seen, strings.Join(lost, "; "))
	default:
		res.Passed = true
		res.Message = sprintf("%s: every sample had %s = %d and the final %s is what %d runs leave: no client ever saw half an update, and none was lost",
			seen, total, sum(start), c.state(final), c.Runs)
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

type observation struct {
	samples, bad int64
	example      []int64
}

// race replays cmds runs times from c.Clients connections while one more
// connection samples the keys until the last run is done.
func (c *AtomicCheck) race(ctx context.Context, env *Env, cmds []submissions.Command, total int64) (observation, error) {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		done     = make(chan struct{})
		obs      observation
	)
	for w := 0; w < c.Clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := env.Connect()
			defer conn.Close()
			for next.Add(1) <= int64(c.Runs) {
				if err := send(ctx, conn, cmds); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		conn := env.Connect()
		defer conn.Close()
		for {
			select {
			case <-done:
				return
			default:
			}
			vals, err := c.mget(ctx, conn)
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				return
			}
			obs.samples++
			if sum(vals) != total {
				obs.bad++
				if obs.example == nil {
					obs.example = vals
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	<-sampled
	return obs, firstErr
}

func runOnce(ctx context.Context, connect func() *redis.Client, cmds []submissions.Command) error {
	conn := connect()
	defer conn.Close()
	return send(ctx, conn, cmds)
}

// send runs the commands in order; an error reply or a lost connection stops it.
func send(ctx context.Context, conn *redis.Client, cmds []submissions.Command) error {
	for _, cmd := range cmds {
		args := make([]any, len(cmd.Args))
		for i, a := range cmd.Args {
			args[i] = a
		}
		if err := conn.Do(ctx, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

func (c *AtomicCheck) read(ctx context.Context, admin *redis.Client) ([]int64, error) {
	return c.mget(ctx, admin)
}

func (c *AtomicCheck) mget(ctx context.Context, conn *redis.Client) ([]int64, error) {
	vals, err := conn.MGet(ctx, c.Keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		n, err := strconv.ParseInt(v.(string), 10, 64)
		if err != nil {
			return nil, errors.New("key " + c.Keys[i] + " is " + strconv.Quote(v.(string)) + ", not an integer")
		}
		out[i] = n
	}
	return out, nil
}

func (c *AtomicCheck) state(vals []int64) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = c.Keys[i] + "=" + strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, " ")
}

func expectedFinal(start, delta []int64, runs int) []int64 {
	out := make([]int64, len(start))
	for i := range start {
		out[i] = start[i] + int64(runs)*delta[i]
	}
	return out
}

func sum(vals []int64) int64 {
	var s int64
	for _, v := range vals {
		s += v
	}
	return s
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
