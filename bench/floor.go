package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
)

// Floor compares one grading with the Redis work it does: the commands the
// grader's connections send, captured on the wire, then sent again straight
// to the same server, one at a time on one plain connection, plus the same
// number of resets and of connections opened. The difference is the
// grader's own overhead.
type Floor struct {
	Submission string
	Capture    Capture // with the probe (the checks that run the student's commands again: serializable, atomic, compare)
	NoProbe    Capture // the same exercise without it

	Grading, GradingNoProbe time.Duration // one grading, warm, alone (median)
	// The floor's parts, for Capture: its commands sent straight, its
	// resets (the engine's Reset), its connections (dial, HELLO/AUTH).
	Straight, Resets, Dials time.Duration
	Runs                    int // timings are medians of this many
}

// Total is the floor: what the same Redis work costs sent straight.
func (f *Floor) Total() time.Duration { return f.Straight + f.Resets + f.Dials }

// Capture is what one grading sent.
type Capture struct {
	Commands [][]string // in order, connection set-up (HELLO, AUTH) left out
	// Trips groups Commands by the write that sent them: a pipeline is one
	// round trip of several commands.
	Trips       [][][]string
	Connections int // opened during the grading, not reused from an earlier one
	Resets      int
}

// ByName counts the commands by name, most first.
func (c *Capture) ByName() []string {
	n := map[string]int{}
	for _, cmd := range c.Commands {
		name := strings.ToUpper(cmd[0])
		if len(cmd) > 1 && (name == "CONFIG" || name == "SCRIPT" || name == "FUNCTION" || name == "INFO") {
			name += " " + strings.ToUpper(cmd[1])
		}
		n[name]++
	}
	names := make([]string, 0, len(n))
	for k := range n {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if n[names[i]] != n[names[j]] {
			return n[names[i]] > n[names[j]]
		}
		return names[i] < names[j]
	})
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = fmt.Sprintf("%s %d", k, n[k])
	}
	return out
}

// floorRuns is how many times each part of the floor is timed.
var floorRuns = 30

// MeasureFloor grades the submission in dir on a warm server whose
// connections are recorded, then replays what they sent.
func MeasureFloor(ctx context.Context, ex *exercises.Exercise, dir string, eng engine.Engine) (*Floor, error) {
	rec := &recorder{}
	reng := &recEngine{Engine: eng, rec: rec}
	sess, err := grader.NewSession(ctx, reng)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	f := &Floor{Submission: dir, Runs: floorRuns}
	noProbe := WithoutProbes(ex)
	if f.Capture, err = capture(ctx, sess, rec, ex, dir); err != nil {
		return nil, err
	}
	if f.NoProbe, err = capture(ctx, sess, rec, noProbe, dir); err != nil {
		return nil, err
	}

	r := newReplayer(ctx, reng.last(), &f.Capture)
	defer r.close()
	// Each round times a grading and each part of the floor one after the
	// other, so that a machine busy with something else slows all alike.
	medians, err := timeRounds(floorRuns,
		func() error { return gradeOne(ctx, sess, ex, dir) },
		r.sendStraight,
		r.reset,
		r.dial,
		func() error { return gradeOne(ctx, sess, noProbe, dir) },
	)
	if err != nil {
		return nil, err
	}
	f.Grading, f.Straight, f.Resets, f.Dials, f.GradingNoProbe = medians[0], medians[1], medians[2], medians[3], medians[4]
	return f, nil
}

// capture grades the submission once to warm up, then records one grading.
func capture(ctx context.Context, sess *grader.Session, rec *recorder, ex *exercises.Exercise, dir string) (Capture, error) {
	if err := gradeOne(ctx, sess, ex, dir); err != nil {
		return Capture{}, err
	}
	rec.start()
	err := gradeOne(ctx, sess, ex, dir)
	return rec.stop(), err
}

// replayer does a captured grading's Redis work straight on the same
// server: its round trips on one plain connection, its resets, its new
// connections.
type replayer struct {
	ctx   context.Context
	srv   engine.Server
	c     *Capture
	plain *redis.Client
	trips [][][]any
}

func newReplayer(ctx context.Context, srv engine.Server, c *Capture) *replayer {
	plainOpts := srv.Options()
	plainOpts.PoolSize = 1
	trips := make([][][]any, len(c.Trips))
	for i, trip := range c.Trips {
		for _, cmd := range trip {
			args := make([]any, len(cmd))
			for j, a := range cmd {
				args[j] = a
			}
			trips[i] = append(trips[i], args)
		}
	}
	return &replayer{ctx: ctx, srv: srv, c: c, plain: redis.NewClient(plainOpts), trips: trips}
}

func (r *replayer) close() { r.plain.Close() }

// sendStraight makes the captured round trips on one plain connection.
// Replies are not checked: the commands need not succeed again (an EVAL
// only the student may run), only cost the same.
func (r *replayer) sendStraight() error {
	ctx := r.ctx
	for _, trip := range r.trips {
		if len(trip) == 1 {
			r.plain.Do(ctx, trip[0]...)
		} else {
			pipe := r.plain.Pipeline()
			for _, c := range trip {
				pipe.Do(ctx, c...)
			}
			pipe.Exec(ctx)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// reset resets the server as often as the grading did.
func (r *replayer) reset() error {
	for i := 0; i < r.c.Resets; i++ {
		if err := r.srv.Reset(r.ctx); err != nil {
			return err
		}
	}
	return nil
}

// dial opens as many student connections as the grading did.
func (r *replayer) dial() error {
	for i := 0; i < r.c.Connections; i++ {
		o := r.srv.StudentOptions()
		o.PoolSize = 1
		c := redis.NewClient(o)
		// The first command dials and sends HELLO with AUTH; PING is
		// the cost of one more command, counted in Straight anyway.
		err := c.Ping(r.ctx).Err()
		c.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// timeRounds runs the parts one after the other, runs times, and returns
// each part's median time.
func timeRounds(runs int, parts ...func() error) ([]time.Duration, error) {
	times := make([][]time.Duration, len(parts))
	for range runs {
		for i, part := range parts {
			began := time.Now()
			if err := part(); err != nil {
				return nil, err
			}
			times[i] = append(times[i], time.Since(began))
		}
	}
	medians := make([]time.Duration, len(parts))
	for i, ts := range times {
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		medians[i] = ts[len(ts)/2]
	}
	return medians, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// Print writes the floor's lines.
func (f *Floor) Print(w io.Writer) {
	c, np := &f.Capture, &f.NoProbe
	fmt.Fprintf(w, "\nfloor: one grading of %s sends %d commands in %d round trips, opens %d new connections (the others are reused), and resets the server %d times\n",
		f.Submission, len(c.Commands), len(c.Trips), c.Connections, c.Resets)
	fmt.Fprintf(w, "  commands: %s\n", strings.Join(c.ByName(), ", "))
	fmt.Fprintf(w, "  grading it, warm, alone (median of %d):  %s\n", f.Runs, ms(f.Grading))
	fmt.Fprintf(w, "  the same sent straight to the same server: %s (the same round trips on one connection %s, %d resets %s, %d connections %s)\n",
		ms(f.Total()), ms(f.Straight), c.Resets, ms(f.Resets), c.Connections, ms(f.Dials))
	over := f.Grading - f.Total()
	fmt.Fprintf(w, "  grader overhead: %s (%.0f%% of the grading)\n",
		ms(over), 100*over.Seconds()/f.Grading.Seconds())
	probeCmds, probeConns := len(c.Commands)-len(np.Commands), c.Connections-np.Connections
	probeTime := f.Grading - f.GradingNoProbe
	fmt.Fprintf(w, "  the probe: %d of the %d commands and %d of the %d new connections; %s of the %s grading (%.0f%%; without it: %s)\n",
		probeCmds, len(c.Commands), probeConns, c.Connections, ms(probeTime), ms(f.Grading), 100*probeTime.Seconds()/f.Grading.Seconds(), ms(f.GradingNoProbe))
}

// recEngine wraps an engine so that every connection made from its
// servers' options is recorded.
type recEngine struct {
	engine.Engine
	rec *recorder

	mu  sync.Mutex
	srv engine.Server
}

func (e *recEngine) Start(ctx context.Context) (engine.Server, error) {
	srv, err := e.Engine.Start(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.srv = srv
	e.mu.Unlock()
	return &recServer{Server: srv, rec: e.rec}, nil
}

// last is the last server started, unwrapped.
func (e *recEngine) last() engine.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

type recServer struct {
	engine.Server
	rec *recorder
}

func (s *recServer) Options() *redis.Options { return s.rec.wrap(s.Server.Options()) }

func (s *recServer) StudentOptions() *redis.Options { return s.rec.wrap(s.Server.StudentOptions()) }

func (s *recServer) Reset(ctx context.Context, setup ...[]any) error {
	s.rec.reset()
	return s.Server.Reset(ctx, setup...)
}

// recorder collects what recorded connections write while it is on.
type recorder struct {
	mu  sync.Mutex
	on  bool
	cur Capture
}

func (r *recorder) start() {
	r.mu.Lock()
	r.on, r.cur = true, Capture{}
	r.mu.Unlock()
}

func (r *recorder) stop() Capture {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.cur
}

func (r *recorder) reset() {
	r.mu.Lock()
	if r.on {
		r.cur.Resets++
	}
	r.mu.Unlock()
}

func (r *recorder) wrap(o *redis.Options) *redis.Options {
	dial := o.Dialer
	if dial == nil {
		d := &net.Dialer{Timeout: 5 * time.Second}
		dial = d.DialContext
	}
	o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		if r.on {
			r.cur.Connections++
		}
		r.mu.Unlock()
		return &recConn{Conn: c, rec: r}, nil
	}
	return o
}

type recConn struct {
	net.Conn
	rec *recorder
	buf []byte
}

func (c *recConn) Write(p []byte) (int, error) {
	c.rec.mu.Lock()
	on := c.rec.on
	c.rec.mu.Unlock()
	if !on {
		c.buf = c.buf[:0]
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	var trip [][]string
	defer func() {
		if len(trip) > 0 {
			c.rec.mu.Lock()
			if c.rec.on {
				c.rec.cur.Trips = append(c.rec.cur.Trips, trip)
			}
			c.rec.mu.Unlock()
		}
	}()
	for {
		cmd, rest, ok := parseRESPCommand(c.buf)
		if !ok {
			if len(c.buf) > 0 && c.buf[0] != '*' {
				c.buf = c.buf[:0] // not a command: nothing to record
			}
			break
		}
		c.buf = rest
		name := strings.ToUpper(cmd[0])
		c.rec.mu.Lock()
		if c.rec.on && name != "HELLO" && name != "AUTH" {
			c.rec.cur.Commands = append(c.rec.cur.Commands, cmd)
			trip = append(trip, cmd)
		}
		c.rec.mu.Unlock()
	}
	return c.Conn.Write(p)
}

// parseRESPCommand reads one command (an array of bulk strings) from the
// start of b.
func parseRESPCommand(b []byte) (cmd []string, rest []byte, ok bool) {
	line := func(b []byte, prefix byte) (int, []byte, bool) {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 1 || b[0] != prefix {
			return 0, nil, false
		}
		n, err := strconv.Atoi(string(b[1:i]))
		if err != nil {
			return 0, nil, false
		}
		return n, b[i+2:], true
	}
	n, b, ok := line(b, '*')
	if !ok || n < 1 {
		return nil, nil, false
	}
	for i := 0; i < n; i++ {
		var size int
		size, b, ok = line(b, '$')
		if !ok || len(b) < size+2 {
			return nil, nil, false
		}
		cmd = append(cmd, string(b[:size]))
		b = b[size+2:]
	}
	return cmd, b, true
}
