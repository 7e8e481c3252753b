package grader

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/submissions"
)

// maxIdleStudents bounds the connections a session keeps for reuse: enough
// for an atomicity probe's clients and its watcher.
const maxIdleStudents = 16

// studentConns opens the student's connections to one server and keeps them
// from one case to the next. Opening one costs a dial and an AUTH, and the
// atomicity probe alone needs ten per case: before reuse, that was the
// largest part of a warm grading.
//
// A connection is kept only while nothing it ran can have left state on it:
// one that sent a command of @connection, @transaction or @pubsub (SELECT,
// MULTI, WATCH, CLIENT SETNAME, HELLO, SUBSCRIBE...) is closed when handed
// back, so the next case never inherits a database, a transaction, a name or
// a subscription. The list comes from the server itself (ACL CAT), so a
// newer Redis's commands are covered. Scripts cannot change their caller's
// connection: SELECT in Lua stays in the script, and the connection commands
// cannot be called from one. A client has one network connection for its
// life (studentLink): once the server closes it (QUIT, a timeout), every
// later command fails instead of go-redis silently dialing a new one, and
// the client is not kept. The emulator's connections are never kept.
type studentConns struct {
	srv      engine.Server
	stateful map[string]bool // nil: keep nothing

	mu    sync.Mutex
	idle  []*studentConn
	limit time.Duration // the case's time limit: each read's timeout
}

// studentConn is a connection with the hook that watches what it sends.
type studentConn struct {
	*redis.Client
	hook *stateHook
	link *studentLink
}

// setLimit sets the time limit of what runs next: the case's own commands,
// or an atomicity probe's replay (whose clients wait on each other, so it
// gets the probe's budget). Every read and write on a student's connection
// times out at it (go-redis's own default would otherwise end a runaway
// script, whatever the spec says), besides the context deadline each
// case's commands run under. The limit is the link's, not go-redis's, so
// kept connections take a new one without a new dial.
func (sc *studentConns) setLimit(limit time.Duration) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.limit = limit
	for _, c := range sc.idle {
		c.link.setLimit(limit)
	}
}

// stateCategories are the ACL categories whose commands change the state of
// the connection that sends them.
var stateCategories = []string{"connection", "transaction", "pubsub"}

// newStudentConns asks the server which commands change a connection's state.
// Where it cannot tell (the emulator), no connection is kept.
func newStudentConns(ctx context.Context, srv engine.Server, admin *redis.Client) (*studentConns, error) {
	sc := &studentConns{srv: srv}
	if srv.Info().Emulator {
		return sc, nil
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	pipe := admin.Pipeline()
	cats := make([]*redis.StringSliceCmd, len(stateCategories))
	for i, cat := range stateCategories {
		cats[i] = pipe.ACLCatArgs(ctx, &redis.ACLCatArgs{Category: cat})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("list the commands that change a connection's state: %w", err)
	}
	sc.stateful = map[string]bool{}
	for _, cat := range cats {
		for _, name := range cat.Val() {
			// "client|setname": the hook sees the command's first word.
			name, _, _ = strings.Cut(name, "|")
			sc.stateful[strings.ToLower(name)] = true
		}
	}
	return sc, nil
}

// get returns a connection as the student, reused where one is idle:
// one connection, so that SELECT or MULTI carry from one line to the next as
// in redis-cli, and no retries, so no command runs twice. release hands it
// back; it may be called more than once.
func (sc *studentConns) get() (conn *redis.Client, release func()) {
	c := sc.acquire()
	var once sync.Once
	return c.Client, func() { once.Do(func() { sc.put(c) }) }
}

func (sc *studentConns) acquire() *studentConn {
	sc.mu.Lock()
	var c *studentConn
	if n := len(sc.idle); n > 0 {
		c, sc.idle = sc.idle[n-1], sc.idle[:n-1]
	}
	sc.mu.Unlock()
	if c == nil {
		opts := sc.srv.StudentOptions()
		opts.PoolSize = 1
		opts.MaxRetries = -1
		opts.DialerRetries = 1
		opts.DialTimeout = adminTimeout
		// No timeouts of go-redis's own: the link clamps every deadline
		// go-redis sets to the current limit (studentLink.setLimit).
		opts.ReadTimeout, opts.WriteTimeout = -1, -1
		link := &studentLink{}
		opts.Dialer = link.dialer(opts.Dialer)
		hook := &stateHook{stateful: sc.stateful, password: opts.Password}
		c = &studentConn{Client: redis.NewClient(opts), hook: hook, link: link}
		c.AddHook(hook)
		c.AddHook(link)
	}
	sc.mu.Lock()
	c.link.setLimit(sc.limit)
	sc.mu.Unlock()
	return c
}

// keeps tells whether cmd leaves the connection that sends it as it was, as
// far as the server says (ACL CAT); on the emulator, never.
func (sc *studentConns) keeps(cmd submissions.Command) bool {
	return sc.stateful != nil && len(cmd.Args) > 0 && !sc.stateful[strings.ToLower(cmd.Args[0])]
}

// plainAfter tells whether the connection will still be as new once cmd has
// run on it: then the grader's reads can follow cmd on it, in the same round
// trip, and see what any new connection would.
func (sc *studentConns) plainAfter(c *studentConn, cmd submissions.Command) bool {
	return !c.hook.changed.Load() && sc.keeps(cmd)
}

// put takes a connection back: kept if nothing it ran can have changed it.
func (sc *studentConns) put(c *studentConn) {
	if sc.stateful == nil || c.hook.changed.Load() || c.link.gone() {
		c.Close()
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if len(sc.idle) >= maxIdleStudents {
		c.Close()
		return
	}
	sc.idle = append(sc.idle, c)
}

// close closes the idle connections; the server is going away.
func (sc *studentConns) close() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, c := range sc.idle {
		c.Close()
	}
	sc.idle = nil
}

// stateHook notes a command that changes the connection's state. The HELLO
// (or AUTH) go-redis sends on each new connection carries the student's
// password, which only the grader knows: that one is the grader's own.
type stateHook struct {
	stateful map[string]bool
	password string
	changed  atomic.Bool
}

func (h *stateHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *stateHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.note(cmd)
		return next(ctx, cmd)
	}
}

func (h *stateHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			h.note(cmd)
		}
		return next(ctx, cmds)
	}
}

func (h *stateHook) note(cmd redis.Cmder) {
	name := cmd.Name()
	if !h.stateful[name] {
		return
	}
	if (name == "hello" || name == "auth") && h.password != "" {
		for _, a := range cmd.Args() {
			if a == any(h.password) {
				return // go-redis authenticating a new connection
			}
		}
	}
	h.changed.Store(true)
}
