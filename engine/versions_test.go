package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/redistest/versions"
)

// startTarget starts one server of the version matrix: its binary with the process engine, its image with
// the docker engine.
func startTarget(t *testing.T, tg versions.Target) Server {
	t.Helper()
	if tg.Docker {
		requireDocker(t)
		return start(t, KindDocker, Options{Image: tg.Server.Path})
	}
	return start(t, KindProcess, Options{RedisServer: tg.Server.Path})
}

// Every server of the matrix is named by what it is, from its own INFO: Valkey by server_name and
// valkey_version, not by the Redis version it answers as.
func TestVersionsIdentified(t *testing.T) {
	for _, tg := range versions.Targets(t) {
		t.Run(tg.Label, func(t *testing.T) {
			info := startTarget(t, tg).Info()
			if info.Server != tg.Server.Kind() || info.Version != tg.Server.Version() {
				t.Errorf("Info() = %+v, want %s %s", info, tg.Server.Kind(), tg.Server.Version())
			}
			if want := map[string]string{ServerRedis: "", ServerValkey: "7.2.4"}[info.Server]; info.Compatible != want {
				t.Errorf("Info().Compatible = %q, want %q", info.Compatible, want)
			}
		})
	}
}

// The sandbox holds on every server of the matrix: its settings and the student's ACL rules read back from
// the running server, what the student may and may not do, and every command the reference Redis 7.0
// refuses the student refused there too.
func TestSandboxOnEveryServer(t *testing.T) {
	requireRedisServer(t)
	refDenied, _ := deniedToStudent(t, start(t, KindProcess, Options{}))
	for _, tg := range versions.Targets(t) {
		t.Run(tg.Label, func(t *testing.T) {
			srv := startTarget(t, tg)
			checkSettings(t, srv)
			checkStudentRules(t, srv)
			checkStudentSandbox(t, srv)
			denied, all := deniedToStudent(t, srv)
			var opened, added []string
			for name := range all {
				switch {
				case refDenied[name] && !denied[name]:
					opened = append(opened, name)
				case !redisHas(name) && !denied[name]:
					added = append(added, name)
				}
			}
			sort.Strings(opened)
			sort.Strings(added)
			if len(opened) > 0 {
				t.Errorf("the student may run %v here, which Redis 7.0 refuses them", opened)
			}
			// Commands Redis 7.0 lacks, which the rules let a student run: docs/engines.md lists them.
			t.Logf("commands Redis 7.0 lacks that the student may run: %v", added)
		})
	}
}

// redisHas reports whether Redis 7.0 has the command or subcommand ("name|sub").
func redisHas(name string) bool { _, ok := lookupExact(name); return ok }

// checkStudentRules reads the student user back: on, every key and channel, and the command rules lockDown
// gave it. Redis 7.0 shows its rules compacted (the categories expanded); later servers as they were given.
func checkStudentRules(t *testing.T, srv Server) {
	t.Helper()
	user, err := adminClient(t, srv).Do(bg(t), "ACL", "GETUSER", StudentUser).Slice()
	if err != nil {
		t.Fatalf("ACL GETUSER %s: %v", StudentUser, err)
	}
	fields := map[string]any{}
	for i := 0; i+1 < len(user); i += 2 {
		fields[fmt.Sprint(user[i])] = user[i+1]
	}
	if flags := fmt.Sprint(fields["flags"]); !strings.Contains(flags, "on") {
		t.Errorf("flags %s: the student user is not on", flags)
	}
	if fields["keys"] != "~*" || fields["channels"] != "&*" {
		t.Errorf("keys %v, channels %v: want ~* and &*", fields["keys"], fields["channels"])
	}
	var rules []string
	for _, r := range studentRules[4:] { // after reset, on, ~*, &*
		rules = append(rules, fmt.Sprint(r))
	}
	commands := fmt.Sprint(fields["commands"])
	if v := srv.Info().Version; srv.Info().Server == ServerRedis && strings.HasPrefix(v, "7.0.") {
		if !strings.HasPrefix(commands, "+@all -@admin ") || !strings.Contains(commands, "-script|debug") {
			t.Errorf("commands %q: want +@all -@admin ... -script|debug", commands)
		}
		return
	}
	if commands != strings.Join(rules, " ") {
		t.Errorf("commands %q, want %q", commands, strings.Join(rules, " "))
	}
}

// newerServersDiffer are the emulator's cases on which a newer server answers otherwise than Redis 7.0,
// the Redis the emulator is made to answer as, and why (docs/engines.md, "What differs between servers").
// On these, the emulator agrees with 7.0 and not with the newer servers.
var newerServersDiffer = map[string]string{
	"os.clock":      "Redis 8 and Valkey 8 give scripts an os table with os.clock; Redis 7.0 has no os",
	"type(os)":      "Redis 8 and Valkey 8 give scripts an os table with os.clock; Redis 7.0 has no os",
	"WAIT from Lua": "Redis 7.2 and later, and Valkey, run WAIT from a script; Redis 7.0 refuses it",
}

// The emulator's fidelity cases run on every server of the matrix and on the emulator: each server answers
// as the emulator does, or the emulator says it cannot grade it, or the case is one where newer servers are
// known to differ from Redis 7.0 (newerServersDiffer), which the emulator answers as.
func TestEmulatorAgainstEveryServer(t *testing.T) {
	emu := start(t, KindEmbedded, Options{})
	names := make([]string, 0, len(emulatorCases))
	for n := range emulatorCases {
		names = append(names, n)
	}
	sort.Strings(names)
	differed := map[string]bool{}
	for _, tg := range versions.Targets(t) {
		t.Run(tg.Label, func(t *testing.T) {
			srv := startTarget(t, tg)
			for _, name := range names {
				want := runCase(t, srv, emulatorCases[name])
				got := runCase(t, emu, emulatorCases[name])
				reasons, err := Unfaithful(bg(t), emu)
				must(t, err)
				switch {
				case len(reasons) > 0 || slices.Equal(got, want):
				case newerServersDiffer[name] != "":
					differed[name] = true
					t.Logf("%s: %s\n  %s: %v\n  emulator (as Redis 7.0): %v", name, newerServersDiffer[name], tg.Label, want, got)
				default:
					t.Errorf("%s:\n  %s: %v\n  emulator: %v\n(and the emulator did not say it could not answer as Redis)", name, tg.Label, want, got)
				}
			}
		})
	}
	for name := range newerServersDiffer {
		if !differed[name] && !t.Failed() {
			t.Errorf("%s: no server of the matrix differs from the emulator here any more: remove it from newerServersDiffer and docs/engines.md", name)
		}
	}
}

// luaExtras are the names a server's Lua has beyond Redis 7.0's (redisLuaNames), by server and table: what
// a student's script can use there and not on Redis 7.0 or the emulator (docs/engines.md).
var luaExtras = map[string]map[string][]string{
	"redis-8.0.2":  {"_G": {"os"}},
	"valkey-8.0.1": {"_G": {"getfenv", "newproxy", "os", "server", "setfenv"}, "redis": {"SERVER_NAME", "VALKEY_VERSION", "VALKEY_VERSION_NUM"}},
	"valkey-8.1.1": {"_G": {"__server__err__handler", "os", "server"}, "redis": {"SERVER_NAME", "VALKEY_VERSION", "VALKEY_VERSION_NUM"}},
}

// readOnlyInRedis are writes Redis 7.0 refuses a script: its tables are read-only.
var readOnlyInRedis = []string{
	"getmetatable('').__index.upper = nil", "getmetatable('').x = 1", "string.rep = nil",
	"setmetatable(getmetatable(''), nil)", "x = 1", "rawset(_G, 'x', 1)", "table.insert(string, 1)",
	"redis.call = nil", "_G.KEYS = nil", "getmetatable('').__index = {}",
}

// luaWritable are the writes of readOnlyInRedis a server lets a script do: Valkey 8.0's string metatable
// is not read-only (its __index table is). A script's change lasts until the grader's reset (SCRIPT FLUSH
// makes a new Lua), and the grader's own scripts call the string library by name, never through the
// metatable.
var luaWritable = map[string][]string{
	"valkey-8.0.1": {"getmetatable('').x = 1", "setmetatable(getmetatable(''), nil)", "getmetatable('').__index = {}"},
}

// Each server's Lua has Redis 7.0's globals and library tables, and exactly the extras luaExtras lists: none
// lacking, none unlisted. Its tables are read-only, as Redis 7.0's.
func TestLuaOnEveryServer(t *testing.T) {
	libs := make([]string, 0, len(redisLuaNames))
	for lib := range redisLuaNames {
		libs = append(libs, lib)
	}
	sort.Strings(libs)
	for _, tg := range versions.Targets(t) {
		t.Run(tg.Label, func(t *testing.T) {
			srv := startTarget(t, tg)
			st := studentClient(t, srv)
			lines, err := st.Eval(bg(t), luaListing, nil, libs).StringSlice()
			must(t, err)
			extras := luaExtras[tg.Server.Name] // an unlisted server (7.0.15) has none
			for i, lib := range libs {
				_, list, _ := strings.Cut(lines[i], ":")
				got := strings.Fields(list)
				want := append(slices.Clone(redisLuaNames[lib]), extras[lib]...)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s:\n got %v\nwant %v (Redis 7.0's and luaExtras)", lib, got, want)
				}
			}
			for _, script := range readOnlyInRedis {
				err := st.Eval(bg(t), script+" return 1", nil).Err()
				switch refused := err != nil && strings.Contains(err.Error(), "readonly table"); {
				case slices.Contains(luaWritable[tg.Server.Name], script):
					if refused {
						t.Errorf("%s: refused, but luaWritable says this server lets a script do it", script)
					}
				case !refused:
					t.Errorf("%s: %v, want the readonly table error", script, err)
				}
			}
		})
	}
}
