package engine

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"

	"github.com/redisgrade/redisgrade/internal/cmdstats"
)

// ServeEmbeddedIfChild must be called at the very start of main() and of TestMain in any package that uses the
// embedded engine. In a process started by the embedded engine it serves miniredis and exits (never returns);
// otherwise it returns at once.
func ServeEmbeddedIfChild() {
	if os.Getenv(embeddedChildEnv) != "1" {
		return
	}
	maxHeap, _ := strconv.ParseInt(os.Getenv(embeddedMaxHeapEnv), 10, 64)
	creds := embeddedCreds{admin: os.Getenv(embeddedAdminPassEnv), student: os.Getenv(embeddedStudentPassEnv)}
	os.Exit(serveEmbedded(os.Stdin, os.Stdout, os.Stderr, maxHeap, creds))
}

// serveEmbedded runs miniredis on 127.0.0.1:0, announces "LISTEN addr" on stdout and serves until stdin
// reaches EOF (the parent closed it or died). It returns the exit code.
func serveEmbedded(stdin io.Reader, stdout, stderr io.Writer, maxHeap int64, creds embeddedCreds) int {
	token, err := randomPassword()
	if err != nil {
		fmt.Fprintf(stderr, "embedded: %v\n", err)
		return 1
	}
	miniredisLuaPrelude = luaPrelude(token) // before any script can run
	m := miniredis.NewMiniRedis()
	if creds.admin != "" {
		m.RequireUserAuth("default", creds.admin)
		m.RequireUserAuth(StudentUser, creds.student)
	}
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		fmt.Fprintf(stderr, "embedded: start miniredis: %v\n", err)
		return 1
	}
	srv := m.Server()
	stats := newCommandStats(srv.IsRegisteredCommand)
	sb := newSandbox(creds.admin)
	fid := newFidelity(srv, token, creds.admin)
	srv.SetPreHook(func(c *server.Peer, cmd string, args ...string) bool {
		if fid.isOwn(c) {
			return false
		}
		if creds.admin != "" && sb.deny(c, cmd, args...) {
			return true
		}
		if fid.hook(c, cmd, args, sb.isAdmin(c)) {
			return true
		}
		return stats.hook(c, cmd, args...)
	})
	if maxHeap > 0 {
		go watchHeap(maxHeap, stderr)
	}
	if _, err := fmt.Fprintf(stdout, "%s %s\n", embeddedListenToken, m.Addr()); err != nil {
		fmt.Fprintf(stderr, "embedded: announce address: %v\n", err)
		return 1
	}
	_, _ = io.Copy(io.Discard, stdin)
	// No m.Close(): it waits for every client, and one may be stuck in an endless Lua loop.
	return 0
}

// embeddedCreds are the passwords the parent chose for the child's users.
type embeddedCreds struct{ admin, student string }

// watchHeap ends the child when its live heap passes limit: miniredis has no maxmemory, and a memory bomb in
// Lua or in the data would otherwise take the machine down before the grader's deadline.
func watchHeap(limit int64, stderr io.Writer) {
	debug.SetMemoryLimit(limit) // collect hard near the limit, so that garbage alone rarely crosses it
	// Heap objects, live or not yet swept: live heap alone is only measured at the end of a GC cycle, which
	// can take seconds while a script builds huge strings.
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(20 * time.Millisecond) {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > uint64(limit) {
			fmt.Fprintf(stderr, "embedded: out of memory: heap over %d bytes\n", limit)
			os.Exit(3)
		}
	}
}

// commandStats emulates Redis's per-command statistics (INFO commandstats, CONFIG RESETSTAT), which miniredis
// lacks. It sees every command through miniredis's pre-hook, including those a Lua script runs with
// redis.call, since miniredis dispatches them through the same Server.Dispatch.
type commandStats struct {
	registered func(cmd string) bool

	mu    sync.Mutex
	calls map[string]int64
	// tx holds, for each connection inside MULTI, the commands it queued: Redis counts them at EXEC.
	tx map[*server.Peer][]string
}

func newCommandStats(registered func(string) bool) *commandStats {
	return &commandStats{registered: registered, calls: map[string]int64{}, tx: map[*server.Peer][]string{}}
}

// hook is a miniredis pre-hook: it answers INFO commandstats and CONFIG RESETSTAT itself (returns true) and
// counts everything else that miniredis knows, leaving it to miniredis (returns false).
func (s *commandStats) hook(c *server.Peer, cmd string, args ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, inTx := s.tx[c]

	// Inside MULTI these two are left to miniredis (which queues them and then fails them at EXEC): answering
	// here would break the transaction's replies.
	switch {
	case !inTx && cmd == "INFO" && len(args) == 1 && strings.EqualFold(args[0], "commandstats"):
		out := cmdstats.Format(s.calls) // before counting this INFO, as Redis does
		s.calls["info"]++
		c.WriteBulk(out)
		return true
	case !inTx && cmd == "CONFIG" && len(args) == 1 && strings.EqualFold(args[0], "resetstat"):
		clear(s.calls)
		s.calls["config|resetstat"]++ // Redis counts the reset after doing it
		c.WriteOK()
		return true
	}
	if !s.registered(cmd) {
		return false
	}

	name := statName(cmd, args)
	switch {
	case inTx && cmd == "EXEC":
		for _, q := range s.tx[c] {
			s.calls[q]++
		}
		s.calls[name]++
		delete(s.tx, c)
	case inTx && cmd == "DISCARD":
		s.calls[name]++
		delete(s.tx, c)
	case inTx && (cmd == "MULTI" || cmd == "WATCH"):
		// rejected inside MULTI: not a call
	case inTx:
		s.tx[c] = append(s.tx[c], name)
	default:
		s.calls[name]++
		if cmd == "MULTI" {
			s.tx[c] = []string{}
			c.OnDisconnect(func() { s.dropTx(c) })
		}
	}
	return false
}

func (s *commandStats) dropTx(c *server.Peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tx, c)
}

// statName is the name Redis 7 gives a command in its statistics: lower case, and "parent|sub" for the
// subcommands of container commands (cmdstat_script|load).
func statName(cmd string, args []string) string {
	name := strings.ToLower(cmd)
	if len(args) > 0 && isContainerCommand(name) {
		name += "|" + strings.ToLower(args[0])
	}
	return name
}

// isContainerCommand reports whether Redis 7 counts cmd per subcommand.
func isContainerCommand(cmd string) bool {
	switch cmd {
	case "acl", "client", "cluster", "command", "config", "function", "latency", "memory", "module",
		"object", "pubsub", "script", "slowlog", "xgroup", "xinfo":
		return true
	}
	return false
}
