// Package rediscmd knows Redis 7's commands as the server describes them
// (COMMAND): their names, arities and flags, and which of them the emulator
// has. It sits below every package that needs to tell a read from a write,
// suggest a command's name or judge the emulator's fidelity.
package rediscmd

import (
	"sort"
	"strings"
	"sync"
)

// Info is what redis-server 7's COMMAND says of one command or subcommand, and
// whether miniredis has it.
type Info struct {
	Arity    int  // n arguments (the name included), or at least -n
	NoScript bool // refused from Lua ("noscript")
	NoMulti  bool // refused inside MULTI ("no_multi")
	ReadOnly bool // reads keys or the server and changes nothing ("readonly")
	Emulated bool // miniredis has it (not "unknown command" or "unknown subcommand")
}

// Lookup finds a command as Redis 7 does: by its lower-case name, or
// "name|sub" for a container's subcommands.
func Lookup(cmd string, args []string) (name string, info Info, known bool) {
	name = strings.ToLower(cmd)
	if len(args) > 0 {
		if sub, ok := redis7[name+"|"+strings.ToLower(args[0])]; ok {
			return name + "|" + strings.ToLower(args[0]), sub, true
		}
	}
	info, known = redis7[name]
	return name, info, known
}

// ArityOK reports whether n arguments (the command's name and subcommand
// included) suit arity.
func ArityOK(arity, n int) bool {
	if arity < 0 {
		return n >= -arity
	}
	return n == arity
}

// IsRead reports whether a command (its name, then its arguments) only
// reads: what Redis's own flags call read-only. A student may add such a
// command anywhere to look at their work; it changes nothing. Unknown
// commands are not reads.
func IsRead(args []string) bool {
	if len(args) == 0 {
		return false
	}
	_, info, known := Lookup(args[0], args[1:])
	return known && info.ReadOnly
}

// Names lists redis-server 7's commands (not their subcommands), upper case
// and sorted: the names a student's misspelt command is compared with.
func Names() []string {
	namesOnce.Do(func() {
		seen := map[string]bool{}
		for name := range redis7 {
			name, _, _ = strings.Cut(name, "|") // CLIENT for client|info
			if !seen[name] {
				seen[name] = true
				names = append(names, strings.ToUpper(name))
			}
		}
		sort.Strings(names)
	})
	return names
}

var (
	namesOnce sync.Once
	names     []string
)

// olderForms are the commands Redis keeps from before a newer command took
// their place (COMMAND DOCS says "replaced by" of most; SETEX, PSETEX and
// SETNX it no longer marks, though SET covers them): a task that asks for
// the newer command and names no other gets the older form's reply for
// its own (reply and compare checks; uses counts only the command named).
var olderForms = map[string][]string{
	"set":       {"setex", "psetex", "setnx", "getset"},
	"hset":      {"hmset"},
	"lmove":     {"rpoplpush"},
	"blmove":    {"brpoplpush"},
	"geosearch": {"georadius", "georadius_ro", "georadiusbymember", "georadiusbymember_ro"},
	"zrange":    {"zrangebyscore", "zrangebylex", "zrevrange", "zrevrangebyscore", "zrevrangebylex"},
	"getrange":  {"substr"},
	"replicaof": {"slaveof"},
}

// Forms returns a command's name (lower case, "name|sub" for a
// subcommand) and the names of its older forms.
func Forms(name string) []string {
	name = strings.ToLower(name)
	return append([]string{name}, olderForms[name]...)
}
