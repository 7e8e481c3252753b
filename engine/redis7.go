package engine

import "strings"

//go:generate go test -run TestRedis7Commands -update .

// redisCommandInfo is what the embedded engine needs to know of one Redis 7 command or subcommand to tell
// where miniredis would answer it differently: TestRedis7Commands compares it with COMMAND on redis-server and
// with miniredis itself, and rewrites redis7_commands.go with -update.
type redisCommandInfo struct {
	arity    int  // COMMAND's arity: n arguments (the name included), or at least -n
	noScript bool // refused from Lua ("noscript")
	noMulti  bool // refused inside MULTI ("no_multi")
	emulated bool // miniredis has it (not "unknown command" or "unknown subcommand")
}

// lookupRedisCommand finds a command as Redis 7 does: by its lower-case name, or "name|sub" for a container's
// subcommands. container is true when cmd has subcommands and args named none of them.
func lookupRedisCommand(cmd string, args []string) (name string, info redisCommandInfo, known bool) {
	name = strings.ToLower(cmd)
	if len(args) > 0 {
		if sub, ok := redis7Commands[name+"|"+strings.ToLower(args[0])]; ok {
			return name + "|" + strings.ToLower(args[0]), sub, true
		}
	}
	info, known = redis7Commands[name]
	return name, info, known
}

// arityOK reports whether n arguments (the command's name and subcommand included) suit arity.
func arityOK(arity, n int) bool {
	if arity < 0 {
		return n >= -arity
	}
	return n == arity
}
