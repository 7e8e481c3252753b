package engine

import (
	"strings"
	"sync"

	"github.com/alicebob/miniredis/v2/server"
)

// studentDenied is what the student may not run on the embedded engine, by
// Redis 7's statistics name: Redis 7.0's @dangerous category (a superset of
// @admin) less KEYS, SORT, SORT_RO and INFO, plus SCRIPT DEBUG, mirroring
// studentRules. TestEmbeddedDenylistMatchesRedis compares it with ACL CAT
// dangerous on a real server.
var studentDenied = setOf(
	"acl|deluser", "acl|dryrun", "acl|getuser", "acl|list", "acl|load", "acl|log", "acl|save", "acl|setuser", "acl|users",
	"bgrewriteaof", "bgsave",
	"client|kill", "client|list", "client|no-evict", "client|pause", "client|unblock", "client|unpause",
	"cluster|addslots", "cluster|addslotsrange", "cluster|bumpepoch", "cluster|count-failure-reports", "cluster|delslots",
	"cluster|delslotsrange", "cluster|failover", "cluster|flushslots", "cluster|forget", "cluster|meet", "cluster|replicas",
	"cluster|replicate", "cluster|reset", "cluster|saveconfig", "cluster|set-config-epoch", "cluster|setslot", "cluster|slaves",
	"config|get", "config|resetstat", "config|rewrite", "config|set",
	"debug", "failover", "flushall", "flushdb", "lastsave",
	"latency|doctor", "latency|graph", "latency|histogram", "latency|history", "latency|latest", "latency|reset",
	"migrate", "module|list", "module|load", "module|loadex", "module|unload", "monitor",
	"pfdebug", "pfselftest", "psync", "replconf", "replicaof", "restore", "restore-asking", "role",
	"save", "shutdown", "slaveof", "slowlog|get", "slowlog|len", "slowlog|reset", "swapdb", "sync",
	"script|debug",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sandbox enforces on miniredis, which has no ACLs, what the student user
// may do on a real Redis. A connection is the administrator only once it has
// authenticated with the admin password; every other connection, and the
// connection miniredis makes for a Lua script's redis.call, is the student.
type sandbox struct {
	adminPass string

	mu     sync.Mutex
	admins map[*server.Peer]bool
}

func newSandbox(adminPass string) *sandbox {
	return &sandbox{adminPass: adminPass, admins: map[*server.Peer]bool{}}
}

// deny is a miniredis pre-hook step: it notes who authenticates as the
// administrator and refuses the student's forbidden commands with Redis's
// own error. It returns true when it answered the command itself.
func (s *sandbox) deny(c *server.Peer, cmd string, args ...string) bool {
	switch cmd {
	case "AUTH":
		user, pass := authArgs(args)
		s.authenticate(c, user, pass)
		return false
	case "HELLO":
		if user, pass, ok := helloAuth(args); ok {
			s.authenticate(c, user, pass)
		}
		return false
	}
	name := statName(cmd, args)
	if !studentDenied[name] {
		return false
	}
	if s.isAdmin(c) {
		return false
	}
	c.WriteError("NOPERM this user has no permissions to run the '" + name + "' command")
	return true
}

// isAdmin reports whether c has authenticated as the administrator.
func (s *sandbox) isAdmin(c *server.Peer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admins[c]
}

func (s *sandbox) authenticate(c *server.Peer, user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if user == "default" && pass == s.adminPass {
		if !s.admins[c] {
			s.admins[c] = true
			c.OnDisconnect(func() { s.forget(c) })
		}
		return
	}
	// Authenticating as anyone else, or failing to, drops admin rights, as
	// switching users does on Redis.
	delete(s.admins, c)
}

func (s *sandbox) forget(c *server.Peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.admins, c)
}

// authArgs reads AUTH password or AUTH user password.
func authArgs(args []string) (user, pass string) {
	switch len(args) {
	case 1:
		return "default", args[0]
	case 2:
		return args[0], args[1]
	}
	return "", ""
}

// helloAuth finds AUTH user password in HELLO's arguments.
func helloAuth(args []string) (user, pass string, ok bool) {
	for i := 0; i+2 < len(args); i++ {
		if strings.EqualFold(args[i], "AUTH") {
			return args[i+1], args[i+2], true
		}
	}
	return "", "", false
}
