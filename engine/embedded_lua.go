package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	_ "unsafe" // go:linkname
)

// miniredisLuaPrelude is the Lua miniredis runs in every script's fresh state before the script itself (its
// protectGlobals, which only guards new globals). miniredis exports no way to shape its Lua, so the embedded
// child replaces it, once, before serving: see luaPrelude. TestLuaGlobals fails if it ever stops taking effect.
//
//go:linkname miniredisLuaPrelude github.com/alicebob/miniredis/v2.protectGlobals
var miniredisLuaPrelude string

// redisLuaNames are the names Redis 7's Lua has, per table ("_G" the globals, "string metatable" getmetatable
// of a string). TestLuaGlobals lists them on every engine and compares them with redis-server's.
var redisLuaNames = map[string][]string{
	"_G": {"ARGV", "KEYS", "_G", "_VERSION", "__redis__err__handler", "assert", "bit", "cjson", "cmsgpack",
		"collectgarbage", "coroutine", "error", "gcinfo", "getmetatable", "ipairs", "load", "loadstring", "math",
		"next", "pairs", "pcall", "rawequal", "rawget", "rawset", "redis", "select", "setmetatable", "string",
		"struct", "table", "tonumber", "tostring", "type", "unpack", "xpcall"},
	"string": {"byte", "char", "dump", "find", "format", "gfind", "gmatch", "gsub", "len", "lower", "match", "rep",
		"reverse", "sub", "upper"},
	"math": {"abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "cosh", "deg", "exp", "floor", "fmod", "frexp",
		"huge", "ldexp", "log", "log10", "max", "min", "mod", "modf", "pi", "pow", "rad", "random", "randomseed",
		"sin", "sinh", "sqrt", "tan", "tanh"},
	"table":     {"concat", "foreach", "foreachi", "getn", "insert", "maxn", "remove", "setn", "sort"},
	"coroutine": {"create", "resume", "running", "status", "wrap", "yield"},
	"cjson": {"_NAME", "_VERSION", "decode", "decode_invalid_numbers", "decode_max_depth", "encode",
		"encode_invalid_numbers", "encode_keep_buffer", "encode_max_depth", "encode_number_precision",
		"encode_sparse_array", "new", "null"},
	"redis": {"LOG_DEBUG", "LOG_NOTICE", "LOG_VERBOSE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM",
		"REPL_ALL", "REPL_AOF", "REPL_NONE", "REPL_REPLICA", "REPL_SLAVE", "acl_check_cmd", "breakpoint", "call",
		"debug", "error_reply", "log", "pcall", "replicate_commands", "set_repl", "setresp", "sha1hex",
		"status_reply"},
	"string metatable": {"__index"},
}

// luaDiffers are the names miniredis has but answers otherwise than Redis: gopher-lua cannot dump functions,
// miniredis draws random numbers from Go's randomly seeded source (Redis's are the same on every fresh server),
// and gopher-json is not Redis's cjson (numbers, sparse arrays, empty tables). A script that uses one cannot be
// graded faithfully on the emulator.
var luaDiffers = map[string][]string{
	"string": {"dump"},
	"math":   {"random", "randomseed"},
	"cjson":  {"decode", "encode"},
}

// luaPrelude is the Lua the embedded engine runs before every script. It makes miniredis's Lua what a script
// can see of Redis 7's:
//   - only Redis's globals and library functions: no os, io, debug, package, require, loadfile, dofile,
//     getfenv, setfenv, module, newproxy, print;
//   - read-only, as in Redis 7: the globals, the library tables and the string metatable ("Attempt to modify a
//     readonly table"), with proxies, since gopher-lua has no read-only tables; getmetatable, setmetatable,
//     rawget, rawset, next, pairs and table's writers see through them;
//   - a name Redis has and miniredis lacks or answers otherwise (bit, cmsgpack, struct, math.random, ...), and
//     listing a table that holds one, is reported (REDISGRADE.UNFAITHFUL with the child's token) as something
//     the emulator cannot grade.
//
// If the prelude fails half-way, it leaves no globals at all: every script then fails, and says why.
func luaPrelude(token string) string {
	return fmt.Sprintf(luaPreludeTemplate, strconv.Quote(fidelityCommand), strconv.Quote(token),
		luaNameSets(redisLuaNames), luaNameSets(luaDiffers))
}

// luaNameSets writes names per table as a Lua table of sets: {["_G"]={["x"]=true, ...}, ...}.
func luaNameSets(sets map[string][]string) string {
	libs := make([]string, 0, len(sets))
	for lib := range sets {
		libs = append(libs, lib)
	}
	sort.Strings(libs)
	var b strings.Builder
	b.WriteString("{")
	for _, lib := range libs {
		fmt.Fprintf(&b, "[%s]={", strconv.Quote(lib))
		for _, n := range sets[lib] {
			fmt.Fprintf(&b, "[%s]=true,", strconv.Quote(n))
		}
		b.WriteString("},")
	}
	b.WriteString("}")
	return b.String()
}

const luaPreludeTemplate = `
local command, token, keep, differs = %s, %s, %s, %s
local G, next, type, error, tostring, rawget, rawset = _G, next, type, error, tostring, rawget, rawset
local setmt, getmt, opairs, pcall = setmetatable, getmetatable, pairs, pcall
local ok, err = pcall(function()
	local rpcall = redis.pcall
	-- gopher-lua's string metatable is the string library itself (with __index pointing to itself): give
	-- strings a metatable of their own, as Redis's are, so that the library can lose its __index.
	local strmt = {__index = string}
	debug.setmetatable('', strmt)
	local noted = {}
	local function note(what)
		if not noted[what] then
			noted[what] = true
			rpcall(command, token, what)
		end
	end
	local function readonly() error('Attempt to modify a readonly table', 2) end

	local real, proxy, libOf, incomplete = {}, {}, {}, {}
	local function wrap(v)
		if type(v) == 'table' and proxy[v] then return proxy[v] end
		return v
	end
	-- guard keeps in t only Redis's names, less those the emulator answers otherwise, and puts the read-only
	-- proxy p (a new table unless given) in front of it.
	local function guard(lib, t, p)
		local names, odd = keep[lib], differs[lib] or {}
		for k in opairs(t) do
			if not names[k] or odd[k] then t[k] = nil end
		end
		for k in opairs(names) do
			if rawget(t, k) == nil then incomplete[lib] = true end
		end
		p = p or {}
		real[p], proxy[t], libOf[p] = t, p, lib
		local where = lib == '_G' and '' or lib .. '.'
		setmt(p, {
			__index = function(_, k)
				local v = rawget(t, k)
				if v == nil then
					if names[k] then note('uses ' .. where .. tostring(k) .. ', which the emulator lacks or answers otherwise') end
					if p == G then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
				end
				return wrap(v)
			end,
			__newindex = readonly,
		})
		return p
	end

	local function next_(t, k)
		local r = real[t]
		if r == nil then return next(t, k) end
		local nk, v = next(r, k)
		return nk, wrap(v)
	end
	local base = {
		next = next_,
		-- Listing a table the emulator holds fewer names in than Redis would show the difference.
		pairs = function(t)
			if real[t] == nil then return opairs(t) end
			if incomplete[libOf[t]] then note('lists ' .. libOf[t] .. ', which the emulator holds less of') end
			return next_, t, nil
		end,
		rawget = function(t, k)
			local r = real[t]
			if r ~= nil then return wrap(rawget(r, k)) end
			return rawget(t, k)
		end,
		rawset = function(t, k, v)
			if real[t] ~= nil then readonly() end
			return rawset(t, k, v)
		end,
		getmetatable = function(v)
			if type(v) == 'string' then return proxy[strmt] end
			if real[v] ~= nil then
				if v == G then note('reads the metatable of _G') end
				return nil
			end
			return getmt(v)
		end,
		setmetatable = function(t, mt)
			if real[t] ~= nil then readonly() end
			if real[mt] ~= nil then note('uses a library table as a metatable') end
			return setmt(t, mt)
		end,
	}
	for _, name in opairs({'insert', 'remove', 'sort', 'setn'}) do
		local f = table[name]
		if f then
			table[name] = function(t, ...)
				if real[t] ~= nil then readonly() end
				return f(t, ...)
			end
		end
	end

	-- The globals move to a table of their own, behind _G itself: every global read and write goes through
	-- the proxy, as the script's environment is _G.
	local globals = {}
	for k, v in opairs(G) do globals[k] = v end
	for k in opairs(globals) do G[k] = nil end
	for k, v in opairs(base) do globals[k] = v end
	for _, lib in opairs({'string', 'math', 'table', 'coroutine', 'cjson', 'redis'}) do
		if type(globals[lib]) == 'table' then guard(lib, globals[lib]) end
	end
	guard('string metatable', strmt)
	guard('_G', globals, G)
end)
if not ok then
	for k in opairs(G) do G[k] = nil end
	setmt(G, {__index = function() error('the emulator could not set up Redis Lua: ' .. tostring(err), 2) end})
end
`
