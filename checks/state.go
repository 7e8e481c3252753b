package checks

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// State is what a case starts from (`given`): keys of any Redis type, each
// with an optional TTL, in the order the spec wrote them. A plain scalar is
// a string key; a mapping says the type:
//
//	given:
//	  stock: "100"
//	  user:1: {hash: {name: Ada, city: London}}
//	  log: {list: [login, logout]}
//	  hits: {string: "3", ttl: 20s}
//	  orders:
//	    stream: {1-1: {item: book}, 1-2: {item: pen}}
//	    groups: {billing: {last: 1-2, pending: {1-1: worker-1}}}
//
// The grader writes it in the reset's one round trip (Commands).
type State []Entry

// Entry is one key of a starting state.
type Entry struct {
	Key  string
	Data Data
	Pos  yamlstrict.Pos
}

// Data is a key's value and TTL: exactly one of the value fields is set.
type Data struct {
	String *string  `yaml:"string"`
	Hash   Fields   `yaml:"hash"`
	List   []string `yaml:"list"`
	Set    []string `yaml:"set"`
	Zset   Scores   `yaml:"zset"`
	// Stream holds entries by explicit id, in order: `{1-1: {item: book}}`.
	Stream StreamEntries `yaml:"stream"`
	// Groups are the stream's consumer groups.
	Groups Groups `yaml:"groups"`
	// HLL is a HyperLogLog of these members (PFADD).
	HLL []string `yaml:"hll"`
	// Bits is a bitmap with these bit offsets set (SETBIT).
	Bits []int64 `yaml:"bits"`
	// Geo is a geospatial index: member: [longitude, latitude] (GEOADD).
	Geo GeoPoints `yaml:"geo"`
	// TTL is the key's time to live (PEXPIRE); none when 0.
	TTL time.Duration `yaml:"ttl"`
}

// Bounds on a starting state: it is the exercise's, set before every case,
// and a spec's mistake must not fill the grader's server.
const (
	maxGivenElements = 10000
	maxGivenBit      = 8 << 20 // a bitmap of at most 1 MiB
)

// Type is the Redis type the data makes (TYPE's reply).
func (d Data) Type() string {
	switch {
	case d.String != nil, d.HLL != nil, d.Bits != nil:
		return "string"
	case d.Hash != nil:
		return "hash"
	case d.List != nil:
		return "list"
	case d.Set != nil:
		return "set"
	case d.Zset != nil, d.Geo != nil:
		return "zset"
	case d.Stream != nil:
		return "stream"
	}
	return ""
}

// empty reports a collection with no elements, which Redis deletes.
func (d Data) empty() bool {
	return (d.Hash != nil && len(d.Hash) == 0) || (d.List != nil && len(d.List) == 0) ||
		(d.Set != nil && len(d.Set) == 0) || (d.Zset != nil && len(d.Zset) == 0) ||
		(d.HLL != nil && len(d.HLL) == 0) || (d.Bits != nil && len(d.Bits) == 0) || (d.Geo != nil && len(d.Geo) == 0)
}

// kinds lists the value fields that are set, by their YAML names.
func (d Data) kinds() []string {
	var out []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"string", d.String != nil}, {"hash", d.Hash != nil}, {"list", d.List != nil}, {"set", d.Set != nil},
		{"zset", d.Zset != nil}, {"stream", d.Stream != nil}, {"hll", d.HLL != nil}, {"bits", d.Bits != nil},
		{"geo", d.Geo != nil},
	} {
		if k.set {
			out = append(out, k.name)
		}
	}
	return out
}

// UnmarshalStrict decodes a mapping of key names to values: a scalar is a
// string, a mapping a typed value.
func (s *State) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	for _, kv := range d.Pairs(n) {
		e := Entry{Key: kv.Key.Value, Pos: yamlstrict.Pos{Line: kv.Key.Line, Col: kv.Key.Column}}
		val := kv.Value
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		switch {
		case kv.Key.Value == "":
			d.Errorf(kv.Key, "a key needs a name")
			continue
		case val.Kind == yaml.MappingNode:
			d.Decode(val, &e.Data)
			e.Data.validate(d, val)
		default:
			v, ok := d.String(val)
			if !ok {
				continue
			}
			e.Data.String = &v
		}
		*s = append(*s, e)
	}
	if size := s.elements(); size > maxGivenElements {
		d.Errorf(n, "the starting state holds %d elements: at most %d", size, maxGivenElements)
	}
}

func (d *Data) validate(dec *yamlstrict.Decoder, n *yaml.Node) {
	kinds := d.kinds()
	if len(kinds) != 1 {
		dec.Errorf(n, "a key's value needs exactly one of string, hash, list, set, zset, stream, hll, bits or geo%s", found(kinds))
		return
	}
	if d.empty() {
		dec.Errorf(n, "an empty %s does not exist in Redis: leave the key out", kinds[0])
	}
	if d.Groups != nil && d.Stream == nil {
		dec.Errorf(n, "groups belong to a stream: add `stream:` with its entries")
	}
	if d.TTL < 0 {
		dec.Errorf(n, "ttl must be positive")
	}
	if d.Stream != nil && len(d.Stream) == 0 && len(d.Groups) == 0 {
		dec.Errorf(n, "an empty stream exists only with a consumer group: give it entries, or `groups:`")
	}
	for _, b := range d.Bits {
		if b < 0 || b >= maxGivenBit {
			dec.Errorf(n, "bit offset %d is outside 0 to %d", b, maxGivenBit-1)
		}
	}
	for _, p := range d.Geo {
		if math.Abs(p.Lon) > 180 || math.Abs(p.Lat) > 85.05112878 {
			dec.Errorf(n, "%s: longitude must be within ±180 and latitude within ±85.05112878, not [%g, %g]", p.Member, p.Lon, p.Lat)
		}
	}
	d.Groups.validate(dec, n, d.Stream)
}

func found(kinds []string) string {
	if len(kinds) == 0 {
		return ""
	}
	return " (found " + strings.Join(kinds, " and ") + ")"
}

// elements counts the state's values, element by element.
func (s State) elements() int {
	n := 0
	for _, e := range s {
		d := e.Data
		n += 1 + len(d.Hash) + len(d.List) + len(d.Set) + len(d.Zset) + len(d.Stream) + len(d.HLL) + len(d.Bits) + len(d.Geo)
		for _, g := range d.Groups {
			n += 1 + len(g.Pending) + len(g.Consumers)
		}
	}
	return n
}

// Get returns a string key's value; ok is false for a missing key or one of
// another type.
func (s State) Get(key string) (string, bool) {
	for _, e := range s {
		if e.Key == key {
			if e.Data.String == nil {
				return "", false
			}
			return *e.Data.String, true
		}
	}
	return "", false
}

// Has reports whether the state holds the key.
func (s State) Has(key string) bool {
	for _, e := range s {
		if e.Key == key {
			return true
		}
	}
	return false
}

// Keys returns the key names in order.
func (s State) Keys() []string {
	out := make([]string, len(s))
	for i, e := range s {
		out[i] = e.Key
	}
	return out
}

// StringsOnly reports the first key that is not a plain string without a
// TTL, if any: what a check that sets keys with MSET (the atomicity probe's
// `from`) can take.
func (s State) StringsOnly() (Entry, bool) {
	for _, e := range s {
		if e.Data.String == nil || e.Data.TTL != 0 {
			return e, false
		}
	}
	return Entry{}, true
}

// String renders a state for a case's label: `stock=100 sales=0`, a typed
// key by its type and size: `user:1=hash(2)`.
func (s State) String() string {
	parts := make([]string, len(s))
	for i, e := range s {
		parts[i] = e.Key + "=" + e.Data.brief()
	}
	return strings.Join(parts, " ")
}

func (d Data) brief() string {
	var s string
	switch {
	case d.String != nil:
		s = *d.String
	case d.Stream != nil:
		s = "stream(" + strconv.Itoa(len(d.Stream)) + ")"
	default:
		kind := d.kinds()[0]
		s = kind + "(" + strconv.Itoa(len(d.Hash)+len(d.List)+len(d.Set)+len(d.Zset)+len(d.HLL)+len(d.Bits)+len(d.Geo)) + ")"
	}
	if d.TTL > 0 {
		s += "(ttl " + d.TTL.String() + ")"
	}
	return s
}

// Commands are the commands that write the state on an empty server: the
// string keys in one MSET, then each typed key, then the TTLs.
func (s State) Commands() [][]any {
	var out [][]any
	mset := []any{"MSET"}
	for _, e := range s {
		if e.Data.String != nil {
			mset = append(mset, e.Key, *e.Data.String)
		}
	}
	if len(mset) > 1 {
		out = append(out, mset)
	}
	for _, e := range s {
		out = append(out, e.Data.commands(e.Key)...)
	}
	for _, e := range s {
		if e.Data.TTL > 0 {
			out = append(out, []any{"PEXPIRE", e.Key, e.Data.TTL.Milliseconds()})
		}
	}
	return out
}

func (d Data) commands(key string) [][]any {
	cmd := func(name string, args ...any) [][]any { return [][]any{append([]any{name, key}, args...)} }
	switch {
	case len(d.Hash) > 0:
		var args []any
		for _, f := range d.Hash {
			args = append(args, f.Name, f.Value)
		}
		return cmd("HSET", args...)
	case len(d.List) > 0:
		return cmd("RPUSH", strs(d.List)...)
	case len(d.Set) > 0:
		return cmd("SADD", strs(d.Set)...)
	case len(d.Zset) > 0:
		var args []any
		for _, z := range d.Zset {
			args = append(args, strconv.FormatFloat(z.Score, 'g', -1, 64), z.Member)
		}
		return cmd("ZADD", args...)
	case len(d.HLL) > 0:
		return cmd("PFADD", strs(d.HLL)...)
	case len(d.Bits) > 0:
		var out [][]any
		for _, b := range d.Bits {
			out = append(out, []any{"SETBIT", key, b, 1})
		}
		return out
	case len(d.Geo) > 0:
		var args []any
		for _, p := range d.Geo {
			args = append(args, strconv.FormatFloat(p.Lon, 'g', -1, 64), strconv.FormatFloat(p.Lat, 'g', -1, 64), p.Member)
		}
		return cmd("GEOADD", args...)
	case d.Stream != nil:
		return d.streamCommands(key)
	}
	return nil
}

func (d Data) streamCommands(key string) [][]any {
	var out [][]any
	for _, e := range d.Stream {
		args := []any{"XADD", key, e.ID}
		for _, f := range e.Fields {
			args = append(args, f.Name, f.Value)
		}
		out = append(out, args)
	}
	for _, g := range d.Groups {
		create := []any{"XGROUP", "CREATE", key, g.Name, g.lastID()}
		if len(d.Stream) == 0 {
			create = append(create, "MKSTREAM")
		}
		out = append(out, create)
		for _, p := range g.Pending {
			// FORCE makes the entry pending for the consumer as if it had been
			// delivered to it; JUSTID keeps the delivery count as given.
			out = append(out, []any{"XCLAIM", key, g.Name, p.Consumer, 0, p.ID,
				"IDLE", p.Idle.Milliseconds(), "RETRYCOUNT", p.deliveries(), "FORCE", "JUSTID"})
		}
		for _, c := range g.Consumers {
			out = append(out, []any{"XGROUP", "CREATECONSUMER", key, g.Name, c})
		}
	}
	return out
}

func strs(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// Field is one field of a hash, or of a stream entry.
type Field struct{ Name, Value string }

// Fields is a mapping of fields to values, in the order the spec wrote them
// (the order HGETALL and XRANGE give back).
type Fields []Field

// UnmarshalStrict decodes a mapping of field names to values.
func (f *Fields) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	*f = Fields{}
	for _, kv := range d.Pairs(n) {
		if v, ok := d.String(kv.Value); ok {
			*f = append(*f, Field{kv.Key.Value, v})
		}
	}
}

// StreamEntry is one entry of a stream, by its id.
type StreamEntry struct {
	ID     string
	Fields Fields
}

// StreamEntries are a stream's entries, by id in increasing order.
type StreamEntries []StreamEntry

// UnmarshalStrict decodes a mapping of explicit ids to fields.
func (s *StreamEntries) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	*s = StreamEntries{}
	var last streamID
	for i, kv := range d.Pairs(n) {
		id, err := parseStreamID(kv.Key.Value)
		if err != nil {
			d.Errorf(kv.Key, "%v", err)
			continue
		}
		if i > 0 && !last.less(id) {
			d.Errorf(kv.Key, "entry %s must come after %s: a stream's ids increase", kv.Key.Value, last)
		}
		last = id
		var fields Fields
		fields.UnmarshalStrict(d, kv.Value)
		if len(fields) == 0 {
			d.Errorf(kv.Value, "entry %s needs at least one field", kv.Key.Value)
		}
		*s = append(*s, StreamEntry{ID: id.String(), Fields: fields})
	}
}

func (s StreamEntries) has(id string) bool {
	for _, e := range s {
		if e.ID == id {
			return true
		}
	}
	return false
}

// Group is a consumer group of a stream.
type Group struct {
	Name string
	// Last is the group's last-delivered id: "$" for the stream's last
	// entry; default the last pending entry's, else 0 (nothing delivered).
	Last string `yaml:"last"`
	// Pending are the entries delivered and not acknowledged, by id.
	Pending PendingEntries `yaml:"pending"`
	// Consumers are consumers with nothing pending.
	Consumers []string `yaml:"consumers"`
}

func (g Group) lastID() string {
	switch {
	case g.Last != "":
		return g.Last
	case len(g.Pending) > 0:
		last, _ := parseStreamID(g.Pending[0].ID)
		for _, p := range g.Pending[1:] {
			if id, _ := parseStreamID(p.ID); last.less(id) {
				last = id
			}
		}
		return last.String()
	}
	return "0-0"
}

// Groups are a stream's consumer groups, by name.
type Groups []Group

// UnmarshalStrict decodes a mapping of group names to groups.
func (gs *Groups) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	*gs = Groups{}
	for _, kv := range d.Pairs(n) {
		g := Group{Name: kv.Key.Value}
		if kv.Value.Kind == yaml.ScalarNode && kv.Value.ShortTag() == "!!null" {
			*gs = append(*gs, g) // `billing:` alone: a group with nothing delivered
			continue
		}
		d.Decode(kv.Value, &g)
		*gs = append(*gs, g)
	}
}

func (gs Groups) validate(d *yamlstrict.Decoder, n *yaml.Node, entries StreamEntries) {
	for _, g := range gs {
		if g.Last != "" && g.Last != "$" {
			if _, err := parseStreamID(g.Last); err != nil {
				d.Errorf(n, "group %s: last: %v", g.Name, err)
				continue
			}
		}
		for _, p := range g.Pending {
			if !entries.has(p.ID) {
				d.Errorf(n, "group %s: pending entry %s is not an entry of the stream", g.Name, p.ID)
			}
		}
		if g.Last != "" && g.Last != "$" && len(g.Pending) > 0 {
			last, _ := parseStreamID(g.Last)
			if max, _ := parseStreamID(Group{Pending: g.Pending}.lastID()); last.less(max) {
				d.Errorf(n, "group %s: last %s comes before its pending entry %s, which it must have delivered", g.Name, g.Last, max)
			}
		}
	}
}

// Pending is one entry delivered to a consumer and not acknowledged.
type Pending struct {
	ID       string
	Consumer string        `yaml:"consumer"`
	Idle     time.Duration `yaml:"idle"`       // since its last delivery; default 0
	Count    int64         `yaml:"deliveries"` // times delivered; default 1
}

func (p Pending) deliveries() int64 { return max(p.Count, 1) }

// PendingEntries are a group's pending entries: id: consumer, or id:
// {consumer: c, idle: 90s, deliveries: 2}.
type PendingEntries []Pending

// UnmarshalStrict decodes a mapping of ids to consumers.
func (ps *PendingEntries) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	*ps = PendingEntries{}
	for _, kv := range d.Pairs(n) {
		p := Pending{ID: kv.Key.Value}
		if id, err := parseStreamID(p.ID); err != nil {
			d.Errorf(kv.Key, "%v", err)
		} else {
			p.ID = id.String()
		}
		if kv.Value.Kind == yaml.MappingNode {
			d.Decode(kv.Value, &p)
		} else if c, ok := d.String(kv.Value); ok {
			p.Consumer = c
		}
		if p.Consumer == "" {
			d.Errorf(kv.Value, "pending entry %s needs its consumer", kv.Key.Value)
		}
		if p.Count < 0 {
			d.Errorf(kv.Value, "deliveries must not be negative")
		}
		*ps = append(*ps, p)
	}
}

// streamID is a stream entry's id: milliseconds and a sequence number.
type streamID struct{ ms, seq uint64 }

func parseStreamID(s string) (streamID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || (a == 0 && b == 0) {
		return streamID{}, fmt.Errorf("%q is not an explicit stream id such as 1-1 (milliseconds-sequence, above 0-0)", s)
	}
	return streamID{a, b}, nil
}

func (a streamID) less(b streamID) bool { return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq) }

func (a streamID) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10)
}

// GeoPoint is a member of a geospatial index and where it is.
type GeoPoint struct {
	Member   string
	Lon, Lat float64
}

// GeoPoints is a geospatial index as the spec writes it: member: [lon, lat].
type GeoPoints []GeoPoint

// UnmarshalStrict decodes a mapping of members to [longitude, latitude].
func (g *GeoPoints) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	*g = GeoPoints{}
	for _, kv := range d.Pairs(n) {
		var lonlat []float64
		d.Decode(kv.Value, &lonlat)
		if len(lonlat) != 2 {
			d.Errorf(kv.Value, "%s needs [longitude, latitude]", kv.Key.Value)
			continue
		}
		*g = append(*g, GeoPoint{kv.Key.Value, lonlat[0], lonlat[1]})
	}
}
