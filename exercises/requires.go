package exercises

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// Requires states what a server must be to grade the exercise, or a step: which Redis and which Valkey
// versions, and Redis Functions.
type Requires struct {
	// Redis is the Redis versions that can grade: ">=7.4", ">=7.0, <8", or none; unset, any. The emulator
	// counts as the Redis it is made to answer as, 7.0.
	Redis string `yaml:"redis"`
	// Valkey is the Valkey versions that can grade, such as ">=9.0", or none. Unset, a Valkey is judged by
	// the Redis range, as the Redis version it answers as (its redis_version: 7.2.4 in Valkey 8 and 9).
	Valkey string `yaml:"valkey"`
	// Functions: the step uses Redis Functions, which the emulator lacks;
	// there it is reported not gradable rather than failed.
	Functions bool `yaml:"functions"`

	Pos yamlstrict.Pos `yaml:"-"`
}

// Servers are the server names Requires can name, as engine.Info.Server says them.
const (
	serverRedis  = "redis"
	serverValkey = "valkey"
)

// Ranges returns the Redis and Valkey ranges; each is the zero Range (any version) where the spec says
// nothing. A range that does not parse is the zero Range: loading has reported it already.
func (q Requires) Ranges() (redis, valkey Range) {
	redis, _ = ParseRange(q.Redis)
	valkey, _ = ParseRange(q.Valkey)
	return redis, valkey
}

// Admits reports whether a server can grade: server is "redis", "valkey" or another name (the emulator),
// version its own version, compatible the Redis version it answers as (Valkey's redis_version, the
// emulator's) where it is not Redis. A Valkey is judged by the Valkey range when the spec gives one, else
// by the Redis range at its compatible version; any other server by the Redis range at its compatible
// version.
func (q Requires) Admits(server, version, compatible string) bool {
	redis, valkey := q.Ranges()
	switch {
	case server == serverRedis:
		return redis.Allows(version)
	case server == serverValkey && q.Valkey != "":
		return valkey.Allows(version)
	}
	return redis.Allows(compatible)
}

// Constrains reports whether the spec says anything about server versions.
func (q Requires) Constrains() bool { return q.Redis != "" || q.Valkey != "" }

// Describe names both ranges for people: "Redis >=7.4 or Valkey >=9.0", "Redis >=7.4 (Valkey: none)",
// "Redis >=7.0 (Valkey as the Redis version it answers as)".
func (q Requires) Describe() string {
	redis, valkey := q.Ranges()
	switch {
	case q.Valkey == "":
		return "Redis " + redis.String() + " (Valkey judged as the Redis version it answers as)"
	case redis.None && valkey.None:
		return "no Redis and no Valkey"
	case redis.None:
		return "Valkey " + valkey.String() + " (no Redis)"
	case valkey.None:
		return "Redis " + redis.String() + " (no Valkey)"
	}
	return "Redis " + redis.String() + " or Valkey " + valkey.String()
}

// Range is a set of versions of one server: bounds such as ">=7.4", "<8", together ">=7.2, <8"; or none.
// The zero Range holds every version.
type Range struct {
	None   bool
	lo, hi *bound // the tightest lower and upper bounds, if any
}

// bound is one side of a range: a version, and whether the version itself is in the range.
type bound struct {
	v         version
	inclusive bool
}

// ParseRange reads a range: "none", or bounds (>=, >, <=, <) separated by commas or spaces. "" is every
// version.
func ParseRange(s string) (Range, error) {
	text := strings.TrimSpace(s)
	switch text {
	case "":
		return Range{}, nil
	case "none":
		return Range{None: true}, nil
	}
	var r Range
	text = opSpace.ReplaceAllString(text, "$1") // ">= 7.4" is ">=7.4"
	for _, term := range strings.FieldsFunc(text, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
		op, rest := splitOp(term)
		if op == "" {
			return Range{}, fmt.Errorf("%q: each bound starts with >=, >, <= or <, such as \">=7.4\" (or say none)", s)
		}
		v, err := parseVersionText(rest)
		if err != nil || strings.Contains(rest, "-") {
			return Range{}, fmt.Errorf("%q: %q is not a version such as 7.4 or 8.0.2", s, rest)
		}
		b := &bound{v: v, inclusive: op == ">=" || op == "<="}
		if op[0] == '>' {
			if r.lo == nil || tighterLow(b, r.lo) {
				r.lo = b
			}
		} else if r.hi == nil || tighterHigh(b, r.hi) {
			r.hi = b
		}
	}
	return r, nil
}

var opSpace = regexp.MustCompile(`([<>]=?)\s+`)

// splitOp cuts a bound's operator from its version: ">=7.4" is ">=", "7.4".
func splitOp(term string) (op, rest string) {
	for _, o := range []string{">=", "<=", ">", "<"} {
		if r, ok := strings.CutPrefix(term, o); ok {
			return o, r
		}
	}
	return "", term
}

func tighterLow(a, b *bound) bool {
	if c := a.v.compare(b.v); c != 0 {
		return c > 0
	}
	return !a.inclusive
}

func tighterHigh(a, b *bound) bool {
	if c := a.v.compare(b.v); c != 0 {
		return c < 0
	}
	return !a.inclusive
}

// Allows reports whether a server's version, such as "8.0.2", is in the range. A version that is not one
// (empty, "unknown") is in no range but the zero one.
func (r Range) Allows(ver string) bool {
	switch {
	case r.None:
		return false
	case r.lo == nil && r.hi == nil:
		return true
	}
	v, err := parseVersionText(ver)
	if err != nil {
		return false
	}
	return r.above(v) && r.below(v)
}

func (r Range) above(v version) bool {
	if r.lo == nil {
		return true
	}
	c := v.compare(r.lo.v)
	return c > 0 || c == 0 && r.lo.inclusive
}

func (r Range) below(v version) bool {
	if r.hi == nil {
		return true
	}
	c := v.compare(r.hi.v)
	return c < 0 || c == 0 && r.hi.inclusive
}

// Empty reports whether no version is in the range: none, or bounds that exclude each other (">=8, <7").
func (r Range) Empty() bool {
	if r.None {
		return true
	}
	if r.lo == nil || r.hi == nil {
		return false
	}
	c := r.lo.v.compare(r.hi.v)
	return c > 0 || c == 0 && !(r.lo.inclusive && r.hi.inclusive)
}

// Intersect is the versions in both ranges.
func (r Range) Intersect(o Range) Range {
	if r.None || o.None {
		return Range{None: true}
	}
	out := r
	if o.lo != nil && (out.lo == nil || tighterLow(o.lo, out.lo)) {
		out.lo = o.lo
	}
	if o.hi != nil && (out.hi == nil || tighterHigh(o.hi, out.hi)) {
		out.hi = o.hi
	}
	return out
}

// Min is the lowest version the range names as its lower bound ("7.0" for ">=7.0"), or "".
func (r Range) Min() string {
	if r.None || r.lo == nil {
		return ""
	}
	return r.lo.v.String()
}

// String writes the range as a spec would: ">=7.2, <8", "none", or "(any version)".
func (r Range) String() string {
	switch {
	case r.None:
		return "none"
	case r.lo == nil && r.hi == nil:
		return "(any version)"
	}
	var parts []string
	if r.lo != nil {
		parts = append(parts, map[bool]string{true: ">=", false: ">"}[r.lo.inclusive]+r.lo.v.String())
	}
	if r.hi != nil {
		parts = append(parts, map[bool]string{true: "<=", false: "<"}[r.hi.inclusive]+r.hi.v.String())
	}
	return strings.Join(parts, ", ")
}

// version is a dotted release number: 7, 7.4, 8.0.2.
type version []int

// parseVersionText reads "8.0.2"; a pre-release suffix ("8.1.0-rc1") counts as its release.
func parseVersionText(s string) (version, error) {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "-")
	var out version
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad version %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// compare orders versions, missing parts counting as 0: 8.0 = 8.0.0 < 8.0.2.
func (v version) compare(o version) int {
	for i := range max(len(v), len(o)) {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(o) {
			b = o[i]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (v version) String() string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}
