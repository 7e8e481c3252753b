package checks

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// KeyCheck asserts a key after the run: that it is absent, its type, or its
// value compared as what it is: a string, a list in order, a set in any
// order, a sorted set by member and score, a hash by field.
//
//   - key: stock
//     equals: "99"
//   - key: board
//     zset: {alice: 30, bob: 20}
type KeyCheck struct {
	Key    string            `yaml:"key"`
	Equals *string           `yaml:"equals"`
	Absent bool              `yaml:"absent"`
	Type   string            `yaml:"type"`
	List   []string          `yaml:"list"`
	Set    []string          `yaml:"set"`
	Zset   Scores            `yaml:"zset"`
	Hash   map[string]string `yaml:"hash"`
	Meta   `yaml:",inline"`
}

var keyTypes = []string{"string", "list", "set", "zset", "hash", "stream"}

// collectionTypes are the types a key check can compare element by element.
var collectionTypes = []string{"list", "set", "zset", "hash"}

func (c *KeyCheck) validate(d *yamlstrict.Decoder, n *yaml.Node) {
	shapes := 0
	for _, set := range []bool{c.Equals != nil, c.Absent, c.List != nil, c.Set != nil, c.Zset != nil, c.Hash != nil} {
		if set {
			shapes++
		}
	}
	if shapes > 1 || (shapes == 0 && c.Type == "") {
		d.Errorf(n, "a key check needs exactly one of `equals`, `absent: true`, `list`, `set`, `zset` or `hash` (or just `type`)")
	}
	if c.Type != "" && !contains(keyTypes, c.Type) {
		d.Errorf(n, "type must be one of %s, not %q", strings.Join(keyTypes, ", "), c.Type)
	}
	if want := c.impliedType(); c.Type != "" && want != "" && want != c.Type {
		d.Errorf(n, "type %s contradicts the value given, which is a %s", c.Type, want)
	}
}

// impliedType is the type the expected value has, if any.
func (c *KeyCheck) impliedType() string {
	switch {
	case c.Equals != nil:
		return "string"
	case c.List != nil:
		return "list"
	case c.Set != nil:
		return "set"
	case c.Zset != nil:
		return "zset"
	case c.Hash != nil:
		return "hash"
	}
	return ""
}

func (c *KeyCheck) Name() string {
	switch {
	case c.Absent:
		return "key " + c.Key + " does not exist"
	case c.Equals != nil:
		return "key " + c.Key + " equals " + strconv.Quote(*c.Equals)
	case c.impliedType() != "":
		return "key " + c.Key + " is the " + c.impliedType() + " " + c.expected()
	}
	return "key " + c.Key + " is a " + c.Type
}

func (c *KeyCheck) expected() string {
	switch {
	case c.Absent:
		return "no such key"
	case c.Equals != nil:
		return strconv.Quote(*c.Equals)
	case c.List != nil:
		return quoteList(c.List)
	case c.Set != nil:
		return "{" + strings.Join(quoteAll(sortedCopy(c.Set)), ", ") + "}"
	case c.Zset != nil:
		return c.Zset.String()
	case c.Hash != nil:
		return renderHash(c.Hash)
	}
	return "a " + c.Type
}

func (c *KeyCheck) ReadsKeys() []string { return []string{c.Key} }

func (c *KeyCheck) Evaluate(ctx context.Context, env *Env) Result {
	typ, err := env.keyType(ctx, c.Key)
	if err != nil {
		return fail("could not read key %s: %v", c.Key, err)
	}
	res := Result{Expected: c.expected()}
	if typ == "none" {
		if c.Absent {
			return pass("")
		}
		res.Actual, res.Message = "no such key", "key "+c.Key+" does not exist"
		return res
	}
	if c.Absent {
		res.Actual, res.Message = "a "+typ, "key "+c.Key+" exists (a "+typ+")"
		return res
	}
	want := c.Type
	if want == "" {
		want = c.impliedType()
	}
	if typ != want {
		res.Actual, res.Message = "a "+typ, "key "+c.Key+" holds a "+typ+", not a "+want
		return res
	}
	got, tooBig, err := c.actual(ctx, env, typ)
	if err != nil {
		return fail("could not read key %s: %v", c.Key, err)
	}
	res.Actual = got
	if tooBig != "" && c.impliedType() != "" {
		res.Message = "key " + tooBig + ": too large to be " + clip.Text(res.Expected, maxRenderedString)
		return res
	}
	if got != res.Expected && c.impliedType() != "" {
		res.Message = "key " + c.Key + " is " + got
		return res
	}
	res.Passed = true
	return res
}

// maxElementsRead bounds how many elements of a list, set, sorted set or
// hash are read: more than any spec expects.
const maxElementsRead = 10000

// actual renders the key's value in the same canonical form as expected. A
// value too large to read (see MaxStringRead) is rendered by its size and
// beginning, and tooBig says how large it is.
func (c *KeyCheck) actual(ctx context.Context, env *Env, typ string) (got, tooBig string, err error) {
	r := env.Admin
	if typ == "string" {
		limit := int64(MaxStringRead)
		if c.Equals != nil {
			limit = int64(len(*c.Equals)) // a longer value is not it, whatever it holds
		}
		v := env.getString(ctx, c.Key, limit)
		if v.err != nil {
			return "", "", v.err
		}
		if !v.whole() {
			return quoteClipped(v.prefix) + "… (" + words.Thousands(v.size) + " bytes)", tooLarge(c.Key, v.size, "bytes"), nil
		}
		return strconv.Quote(v.prefix), "", nil
	}
	if !contains(collectionTypes, typ) {
		return "a " + typ, "", nil
	}
	n, err := collectionSize(ctx, r, c.Key, typ)
	if err != nil {
		return "", "", err
	}
	if n > maxElementsRead {
		return "a " + typ + " of " + words.Thousands(n) + " " + elementUnit(typ, n), tooLarge(c.Key, n, elementUnit(typ, n)), nil
	}
	size, err := memoryUsage(ctx, r, c.Key)
	if err != nil {
		return "", "", err
	}
	if size > maxCollectionRead+2*int64(len(c.expected())) {
		return "a " + typ + " of " + words.Thousands(n) + " " + elementUnit(typ, n) + " in " + words.Thousands(size) + " bytes",
			tooLarge(c.Key, n, elementUnit(typ, n)) + " taking " + words.Thousands(size) + " bytes", nil
	}
	switch typ {
	case "list":
		v, err := r.LRange(ctx, c.Key, 0, -1).Result()
		return quoteList(v), "", err
	case "set":
		v, err := r.SMembers(ctx, c.Key).Result()
		return "{" + strings.Join(quoteAll(sortedCopy(v)), ", ") + "}", "", err
	case "zset":
		v, err := r.ZRangeWithScores(ctx, c.Key, 0, -1).Result()
		got := make(Scores, len(v))
		for i, z := range v {
			got[i] = Score{Member: fmt.Sprint(z.Member), Score: z.Score}
		}
		return got.String(), "", err
	}
	v, err := r.HGetAll(ctx, c.Key).Result()
	return renderHash(v), "", err
}

// Score is a sorted-set member and its score.
type Score struct {
	Member string
	Score  float64
}

// Scores is a sorted set as the spec writes it: member: score.
type Scores []Score

// UnmarshalStrict decodes a mapping of members to numbers.
func (s *Scores) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	pairs := d.Pairs(n)
	*s = Scores{}
	for _, kv := range pairs {
		var f float64
		d.Decode(kv.Value, &f)
		*s = append(*s, Score{kv.Key.Value, f})
	}
}

// String renders the set in Redis's order (score, then member).
func (s Scores) String() string {
	sorted := append(Scores{}, s...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Score != sorted[j].Score {
			return sorted[i].Score < sorted[j].Score
		}
		return sorted[i].Member < sorted[j].Member
	})
	parts := make([]string, len(sorted))
	for i, m := range sorted {
		parts[i] = strconv.Quote(m.Member) + ": " + strconv.FormatFloat(m.Score, 'g', -1, 64)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func renderHash(h map[string]string) string {
	fields := make([]string, 0, len(h))
	for f := range h {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = strconv.Quote(f) + ": " + strconv.Quote(h[f])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func quoteList(v []string) string { return "[" + strings.Join(quoteAll(v), ", ") + "]" }

func quoteAll(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strconv.Quote(s)
	}
	return out
}

func sortedCopy(v []string) []string {
	out := append([]string{}, v...)
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
