package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// allKinds are the engines with a Lua of their own to compare.
var allKinds = []string{KindProcess, KindDocker, KindEmbedded}

func startKind(t *testing.T, kind string) Server {
	t.Helper()
	if kind == KindDocker {
		return startDocker(t, Options{})
	}
	return start(t, kind, Options{})
}

// luaListing is the script that lists, per table of redisLuaNames, the names a script can see in it.
const luaListing = `
local out = {}
for _, lib in ipairs(ARGV) do
	local t
	if lib == 'string metatable' then t = getmetatable('') elseif lib == '_G' then t = _G else t = _G[lib] end
	local names = {}
	if type(t) == 'table' then for k in pairs(t) do names[#names + 1] = tostring(k) end end
	table.sort(names)
	out[#out + 1] = lib .. ':' .. table.concat(names, ' ')
end
return out`

// A script sees the globals and library tables of Redis 7 on every engine: none of os, io, debug, package,
// require, loadfile, dofile. The process engine is the reference and must show redisLuaNames exactly; the
// emulator may lack a name only where using it makes the emulator say it cannot grade (Unfaithful).
func TestLuaGlobals(t *testing.T) {
	libs := make([]string, 0, len(redisLuaNames))
	for lib := range redisLuaNames {
		libs = append(libs, lib)
	}
	sort.Strings(libs)
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			srv := startKind(t, kind)
			st := studentClient(t, srv)
			ctx := bg(t)
			lines, err := st.Eval(ctx, luaListing, nil, libs).StringSlice()
			must(t, err)
			for i, lib := range libs {
				_, list, _ := strings.Cut(lines[i], ":")
				got := strings.Fields(list)
				want := slices.Clone(redisLuaNames[lib])
				sort.Strings(want)
				if kind != KindEmbedded {
					if !slices.Equal(got, want) {
						t.Errorf("%s on %s:\n got %v\nwant %v", lib, kind, got, want)
					}
					continue
				}
				for _, name := range got {
					if !slices.Contains(want, name) {
						t.Errorf("%s.%s is in the emulator's Lua, not in Redis 7's", lib, name)
					}
				}
				for _, name := range want {
					if slices.Contains(got, name) && !slices.Contains(luaDiffers[lib], name) {
						continue
					}
					// Lacking or different: using it must make the emulator say so.
					must(t, srv.Reset(ctx))
					use := fmt.Sprintf("local t = %s return type(rawget(t, %q)) .. type(t[%q])", luaTable(lib), name, name)
					_ = st.Eval(ctx, "return pcall(function() "+use+" end)", nil).Err()
					reasons, err := Unfaithful(ctx, srv)
					if err != nil || !strings.Contains(strings.Join(reasons, " "), name) {
						t.Errorf("%s.%s: the emulator lacks it or answers otherwise, but using it gave reasons %q, %v", lib, name, reasons, err)
					}
				}
			}
			// Read-only, as Redis 7 makes them: the string metatable, library tables, the globals.
			for _, script := range []string{
				"getmetatable('').__index.upper = nil", "getmetatable('').x = 1", "string.rep = nil",
				"setmetatable(getmetatable(''), nil)", "x = 1", "rawset(_G, 'x', 1)", "table.insert(string, 1)",
				"redis.call = nil", "_G.KEYS = nil",
			} {
				err := st.Eval(ctx, script+" return 1", nil).Err()
				if err == nil || !strings.Contains(err.Error(), "readonly table") {
					t.Errorf("%s on %s: %v, want Redis's readonly table error", script, kind, err)
				}
			}
			for script, want := range map[string]any{
				"return tostring(getmetatable('').__index == string)":                         "true",
				"return tostring(getmetatable(string))":                                       "nil",
				"return ('ab'):upper()":                                                       "AB",
				"KEYS[1] = 'x' return KEYS[1]":                                                "x",
				"local ok = pcall(function() string.rep = nil end) return string.rep('a', 2)": "aa",
				"return tostring(loadstring(string.char(27) .. 'Lua'))":                       "nil",
			} {
				if got, err := st.Eval(ctx, script, []string{"k"}).Result(); err != nil || got != want {
					t.Errorf("%s on %s = %v, %v; want %v", script, kind, got, err, want)
				}
			}
		})
	}
}

// luaTable is the Lua expression for one of redisLuaNames' tables.
func luaTable(lib string) string {
	switch lib {
	case "_G":
		return "_G"
	case "string metatable":
		return "getmetatable('')"
	}
	return lib
}

// emulatorCases are hostile and odd submissions on which miniredis once answered otherwise than Redis.
var emulatorCases = map[string][][]any{
	"os.clock":                    {{"EVAL", "return os.clock()", "0"}},
	"type(os)":                    {{"EVAL", "return type(os)", "0"}},
	"loadfile":                    {{"EVAL", "return loadfile('/etc/passwd')", "0"}},
	"dofile":                      {{"EVAL", "return dofile('/etc/passwd')", "0"}},
	"require":                     {{"EVAL", "return require('os')", "0"}},
	"string metatable write":      {{"EVAL", "getmetatable('').__index.upper = function() return 'x' end return string.upper('a')", "0"}},
	"string metatable pcall":      {{"EVAL", "pcall(function() getmetatable('').__index.upper = nil end) return string.upper('a')", "0"}},
	"string.dump":                 {{"EVAL", "return #string.dump(function() end) > 0", "0"}},
	"bit":                         {{"EVAL", "return bit.band(6, 3)", "0"}},
	"math.random":                 {{"EVAL", "return math.random(1000)", "0"}},
	"WAIT without replicas":       {{"WAIT", "0", "0"}},
	"WAIT for a replica":          {{"WAIT", "1", "50"}},
	"WAIT from Lua":               {{"EVAL", "return redis.call('WAIT', 0, 0)", "0"}},
	"MULTI from Lua":              {{"EVAL", "return redis.pcall('MULTI')", "0"}},
	"XCLAIM idle long enough":     {{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "1-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"}, {"XCLAIM", "s", "g", "b", "0", "1-1"}},
	"XCLAIM not idle long enough": {{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "1-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"}, {"XCLAIM", "s", "g", "b", "60000", "1-1"}},
	"XDEL of a pending entry":     {{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "1-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"}, {"XDEL", "s", "1-1"}, {"XPENDING", "s", "g"}, {"XACK", "s", "g", "1-1"}},
	"XDEL without groups":         {{"XADD", "s", "1-1", "f", "v"}, {"XADD", "s", "1-2", "f", "w"}, {"XDEL", "s", "1-1"}, {"XRANGE", "s", "-", "+"}},
	"XDEL from Lua":               {{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "1-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"}, {"EVAL", "return redis.call('XDEL', KEYS[1], '1-1')", "1", "s"}, {"XPENDING", "s", "g"}},
	"SCAN in pages":               {{"MSET", "k1", "1", "k2", "2", "k3", "3", "k4", "4", "k5", "5", "k6", "6", "k7", "7", "k8", "8"}, {"SCAN", "0", "COUNT", "2"}},
	"SCAN in one page":            {{"MSET", "a", "1", "b", "2", "c", "3"}, {"SCAN", "0", "MATCH", "a"}},
	"SCAN from Lua":               {{"MSET", "k1", "1", "k2", "2", "k3", "3", "k4", "4", "k5", "5", "k6", "6", "k7", "7", "k8", "8"}, {"EVAL", "return redis.call('SCAN', '0', 'COUNT', '2')", "0"}},
	"XCLAIM from Lua":             {{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "1-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"}, {"EVAL", "return redis.call('XCLAIM', 's', 'g', 'b', 60000, '1-1')", "0"}},
	"RESET":                       {{"SELECT", "1"}, {"RESET"}, {"SET", "k", "v"}},
	"SORT":                        {{"RPUSH", "l", "3", "1", "2"}, {"SORT", "l"}},
	"SORT from Lua":               {{"RPUSH", "l", "3", "1", "2"}, {"EVAL", "return redis.call('SORT', KEYS[1])", "1", "l"}},
	"CLIENT TRACKING":             {{"CLIENT", "TRACKING", "on"}},
	"OBJECT ENCODING":             {{"SET", "k", "1"}, {"OBJECT", "ENCODING", "k"}},
	"MULTI wrong argument type":   {{"SET", "k", "1"}, {"MULTI"}, {"INCRBY", "k", "thirty"}, {"INCR", "k"}, {"EXEC"}, {"GET", "k"}},
	"MULTI unknown command":       {{"MULTI"}, {"NOSUCHCOMMAND", "k"}, {"SET", "k", "1"}, {"EXEC"}, {"GET", "k"}},
	"MULTI wrong arity":           {{"MULTI"}, {"INCRBY", "k"}, {"SET", "k", "1"}, {"EXEC"}, {"GET", "k"}},
	"MULTI good":                  {{"MULTI"}, {"SET", "k", "1"}, {"INCR", "k"}, {"EXEC"}},
	"MULTI unknown subcommand":    {{"MULTI"}, {"CLIENT", "NOSUCH"}, {"SET", "k", "1"}, {"EXEC"}, {"GET", "k"}},
	"unknown command":             {{"NOSUCHCOMMAND"}},
	"INFO keyspace":               {{"SET", "k", "1"}, {"INFO", "keyspace"}},
	"COMMAND COUNT":               {{"COMMAND", "COUNT"}},
	"global write":                {{"EVAL", "x = 1 return x", "0"}},
	"GEO ASC":                     {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOSEARCH", "st", "FROMLONLAT", "2.3522", "48.8566", "BYRADIUS", "5", "km", "ASC", "WITHDIST"}},
	"GEO DESC COUNT":              {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOSEARCH", "st", "FROMMEMBER", "louvre", "BYRADIUS", "5", "km", "DESC", "COUNT", "2"}},
	"GEO unsorted":                {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOSEARCH", "st", "FROMLONLAT", "2.3522", "48.8566", "BYRADIUS", "5", "km"}},
	"GEO COUNT unsorted":          {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOSEARCH", "st", "FROMMEMBER", "louvre", "BYRADIUS", "5", "km", "COUNT", "3"}},
	"GEO COUNT ANY":               {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOSEARCH", "st", "FROMMEMBER", "louvre", "BYRADIUS", "5", "km", "ASC", "COUNT", "3", "ANY"}},
	"GEO member named asc":        {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOADD", "st", "2.35", "48.85", "asc"}, {"GEOSEARCH", "st", "FROMMEMBER", "asc", "BYRADIUS", "5", "km", "COUNT", "2"}},
	"GEORADIUS unsorted":          {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEORADIUS", "st", "2.3522", "48.8566", "5", "km"}},
	"GEORADIUSBYMEMBER ASC":       {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEORADIUSBYMEMBER", "st", "louvre", "5", "km", "ASC", "WITHDIST"}},
	"GEOPOS":                      {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOPOS", "st", "louvre", "nosuch"}},
	"GEO WITHCOORD":               {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEOSEARCH", "st", "FROMMEMBER", "louvre", "BYRADIUS", "1", "km", "WITHCOORD"}},
	"GEODIST":                     {{"GEOADD", "st", "2.3376", "48.8606", "louvre", "2.3692", "48.8532", "bastille", "2.3431", "48.8867", "montmartre", "2.2945", "48.8584", "eiffel"}, {"GEODIST", "st", "louvre", "bastille", "mi"}},
	"HyperLogLog TYPE":            {{"PFADD", "h", "ann", "ben"}, {"TYPE", "h"}},
	"HyperLogLog STRLEN":          {{"PFADD", "h", "ann", "ben"}, {"STRLEN", "h"}},
	"HyperLogLog estimate":        {{"EVAL", "for i = 1, 1000 do redis.call('PFADD', KEYS[1], 'v:' .. i) end return redis.call('PFCOUNT', KEYS[1])", "1", "h"}},
	"nonexistent global":          {{"EVAL", "return nope", "0"}},
	"REDISGRADE.UNFAITHFUL spoof": {{"EVAL", "return redis.pcall('REDISGRADE.UNFAITHFUL')", "0"}, {"REDISGRADE.UNFAITHFUL"}},
}

// The emulator answers each case as redis-server does, or says it cannot (Unfaithful): never a different
// answer in silence. Replies are compared by type and value; errors by their first word (error texts differ,
// see the README).
func TestEmulatorAgrees(t *testing.T) {
	real, emu := start(t, KindProcess, Options{}), start(t, KindEmbedded, Options{})
	names := make([]string, 0, len(emulatorCases))
	for n := range emulatorCases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want := runCase(t, real, emulatorCases[name])
			got := runCase(t, emu, emulatorCases[name])
			reasons, err := Unfaithful(bg(t), emu)
			must(t, err)
			switch {
			case len(reasons) > 0:
				t.Logf("not graded on the emulator: %s", strings.Join(reasons, "; "))
			case !slices.Equal(got, want):
				t.Errorf("redis-server: %v\nemulator:     %v\n(and the emulator did not say it could not answer as Redis)", want, got)
			}
		})
	}
}

// runCase runs commands as the student on one connection of a freshly reset server and describes the replies.
func runCase(t *testing.T, srv Server, cmds [][]any) []string {
	t.Helper()
	ctx := bg(t)
	must(t, srv.Reset(ctx))
	o := srv.StudentOptions()
	o.PoolSize, o.MaxRetries = 1, -1
	c := redis.NewClient(o)
	defer c.Close()
	var out []string
	for _, cmd := range cmds {
		v, err := c.Do(ctx, cmd...).Result()
		switch {
		case err == redis.Nil:
			out = append(out, "nil")
		case err != nil:
			word, _, _ := strings.Cut(err.Error(), " ")
			out = append(out, "error "+word)
		default:
			out = append(out, fmt.Sprintf("%T %v", v, v))
		}
	}
	return out
}

// The grader's own scripts may SCAN on the emulator (they page through to the end, which one page does as
// well); the same SCAN in a student's script makes the step not gradable.
func TestEmulatorTellsGraderScriptsFromStudents(t *testing.T) {
	srv := start(t, KindEmbedded, Options{})
	ctx := bg(t)
	must(t, srv.Reset(ctx))
	admin := redis.NewClient(srv.Options())
	defer admin.Close()
	o := srv.StudentOptions()
	o.PoolSize, o.MaxRetries = 1, -1
	student := redis.NewClient(o)
	defer student.Close()
	must(t, student.MSet(ctx, "k1", 1, "k2", 2, "k3", 3, "k4", 4, "k5", 5, "k6", 6, "k7", 7, "k8", 8).Err())
	must(t, admin.Eval(ctx, "return redis.call('SCAN', '0', 'COUNT', '2')", nil).Err())
	if reasons, err := Unfaithful(ctx, srv); err != nil || len(reasons) > 0 {
		t.Fatalf("the grader's own script gave reasons %q, %v", reasons, err)
	}
	must(t, student.Eval(ctx, "return redis.call('SCAN', '0', 'COUNT', 2)", nil).Err())
	if reasons, err := Unfaithful(ctx, srv); err != nil || !strings.Contains(strings.Join(reasons, " "), "SCAN") {
		t.Fatalf("a student's script that SCANs gave reasons %q, %v", reasons, err)
	}
}

// A case that starts from a HyperLogLog is not graded on the emulator, as
// one whose student writes it is not: the reset's own PFADD says so.
func TestEmulatorGivenHyperLogLogIsUnfaithful(t *testing.T) {
	srv := start(t, KindEmbedded, Options{})
	ctx := context.Background()
	must(t, srv.Reset(ctx, []any{"PFADD", "v", "a", "b"}))
	reasons, err := Unfaithful(ctx, srv)
	if err != nil || len(reasons) != 1 || !strings.Contains(reasons[0], "HyperLogLog of the starting state") {
		t.Fatalf("after a reset that writes a HyperLogLog: %q, %v", reasons, err)
	}
	must(t, srv.Reset(ctx, []any{"SET", "k", "v"}))
	if reasons, err := Unfaithful(ctx, srv); err != nil || len(reasons) != 0 {
		t.Fatalf("after a reset without one: %q, %v", reasons, err)
	}
}
