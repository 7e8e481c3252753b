// Package atomicity races an update from many clients while one more client
// watches the keys it touches. It is the grader's atomicity probe and the
// engine of `redisgrade demo`: one piece of code shows a student what goes
// wrong without atomicity, and checks that their answer has it.
package atomicity

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Update is one run of the update under test, on one client's connection.
type Update func(ctx context.Context, conn *redis.Client) error

// Connect gives one client of a race its connection; release hands it back
// when the race is done with it, to be closed or kept for the next race.
type Connect func() (conn *redis.Client, release func())

// Dial is a Connect that opens a new connection with opts each time and
// closes it on release.
func Dial(opts *redis.Options) Connect {
	return func() (*redis.Client, func()) {
		c := redis.NewClient(opts)
		return c, func() { c.Close() }
	}
}

// Race says how to race an update.
type Race struct {
	Keys    []string // integer keys whose sum every run leaves unchanged
	Clients int      // connections running the update at once
	Runs    int      // runs in all, shared by the clients
	// Progress, if set, is called now and then from the sampling goroutine
	// (never concurrently with itself) with the observation so far.
	Progress func(Observation)
	// Start, if set, is what the keys hold when Run is called, known to the
	// caller; otherwise Run reads them first.
	Start []int64
	// Queue, if set, queues one run of the update on a pipeline, and each
	// client then sends its runs a few to a round trip, each followed by an
	// MGET sample. Only for an update that is one command: Redis runs a
	// command whole, so no reader can see more between commands sent one at
	// a time than between commands sent together, and a race costs a
	// fraction of its round trips.
	Queue func(ctx context.Context, pipe redis.Pipeliner)
}

// runsPerTrip is how many runs a client sends in one round trip with Queue.
const runsPerTrip = 8

// Observation is what a race saw.
type Observation struct {
	Runs         int64   // runs finished
	Samples      int64   // MGETs taken while the runs went on
	Inconsistent int64   // samples whose sum differed from the starting sum
	Example      []int64 // the first inconsistent sample
	Start, Final []int64 // the keys before and after
}

// Sum is the keys' sum at the start.
func (o Observation) Sum() int64 { return sum(o.Start) }

// Run races update: Clients connections from connect share Runs runs while
// one more connection samples the keys with MGET until the last run ends.
// The keys must already hold their starting values.
func (r Race) Run(ctx context.Context, connect Connect, update Update) (Observation, error) {
	watcher, release := connect()
	defer release()
	start := r.Start
	if start == nil {
		var err error
		if start, err = r.Read(ctx, watcher); err != nil {
			return Observation{Start: start}, err
		}
	}
	t := &tally{obs: Observation{Start: start}, total: sum(start)}

	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		errOnce    sync.Once
		firstErr   error
		finished   = make(chan struct{})
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	for w := 0; w < r.Clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, release := connect()
			defer release()
			if r.Queue != nil {
				if err := r.runQueued(ctx, conn, &next, &done, t); err != nil {
					fail(err)
				}
				return
			}
			for next.Add(1) <= int64(r.Runs) {
				if err := update(ctx, conn); err != nil {
					fail(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-finished:
				return
			default:
			}
			vals, err := r.Read(ctx, watcher)
			if err != nil {
				fail(err)
				return
			}
			if n := t.record(vals); r.Progress != nil && n%16 == 0 {
				obs := t.observation()
				obs.Runs = done.Load()
				r.Progress(obs)
			}
		}
	}()
	wg.Wait()
	close(finished)
	<-sampled
	obs := t.observation()
	obs.Runs = done.Load()
	if firstErr != nil {
		return obs, firstErr
	}
	var err error
	obs.Final, err = r.Read(ctx, watcher)
	if r.Progress != nil {
		r.Progress(obs)
	}
	return obs, err
}

// tally counts the samples, from the watcher and from queued runs.
type tally struct {
	mu    sync.Mutex
	obs   Observation
	total int64
}

// record counts one sample and returns how many there are.
func (t *tally) record(vals []int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.obs.Samples++
	if sum(vals) != t.total {
		t.obs.Inconsistent++
		if t.obs.Example == nil {
			t.obs.Example = vals
		}
	}
	return t.obs.Samples
}

func (t *tally) observation() Observation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.obs
}

// runQueued takes runs a few at a time and sends each few in one pipeline,
// with an MGET of the keys after each run: a sample between runs, as good as
// the watcher's (no command is ever seen half-run) and costing no round
// trip. An error reply ends the race, as it does run by run (a nil reply is
// not an error).
func (r Race) runQueued(ctx context.Context, conn *redis.Client, next, done *atomic.Int64, t *tally) error {
	for {
		n := 0
		for n < runsPerTrip && next.Add(1) <= int64(r.Runs) {
			n++
		}
		if n == 0 {
			return nil
		}
		pipe := conn.Pipeline()
		samples := make([]*redis.SliceCmd, n)
		for i := range n {
			r.Queue(ctx, pipe)
			samples[i] = pipe.MGet(ctx, r.Keys...)
		}
		cmds, err := pipe.Exec(ctx)
		for _, c := range cmds {
			if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		done.Add(int64(n))
		for _, s := range samples {
			vals, err := r.Ints(s.Val())
			if err != nil {
				return err
			}
			t.record(vals)
		}
	}
}

// Read reads the keys as integers (a missing key is 0) in one MGET.
func (r Race) Read(ctx context.Context, conn *redis.Client) ([]int64, error) {
	vals, err := conn.MGet(ctx, r.Keys...).Result()
	if err != nil {
		return nil, err
	}
	return r.Ints(vals)
}

// Ints reads an MGET reply as integers; a missing key is 0.
func (r Race) Ints(vals []any) ([]int64, error) {
	out := make([]int64, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // nil: a missing key
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("key " + r.Keys[i] + " is " + strconv.Quote(s) + ", not an integer")
		}
		out[i] = n
	}
	return out, nil
}

// State renders values as `stock=99 sales=1`.
func (r Race) State(vals []int64) string {
	s := ""
	for i, v := range vals {
		if i > 0 {
			s += " "
		}
		s += r.Keys[i] + "=" + strconv.FormatInt(v, 10)
	}
	return s
}

func sum(vals []int64) int64 {
	var s int64
	for _, v := range vals {
		s += v
	}
	return s
}
