// Package checks holds the assertions a spec can make about what a student's
// commands did: one file per kind, each with its test, and a registry from the
// kind's name to its decoder.
package checks

import (
	"context"
	"reflect"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/atomicity"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
	"github.com/redisgrade/redisgrade/submissions"
)

// Check is one assertion about a run.
type Check interface {
	// Name describes what is checked, for the report: `key stock equals "100"`.
	Name() string
	// Evaluate inspects the run. Its own failures to talk to Redis are
	// reported in the Result: the grader has already made sure the server is up.
	Evaluate(ctx context.Context, env *Env) Result
}

// Prober is a check that changes the server's state while it runs (the
// atomicity probe). The grader runs probes after every other check of a case.
type Prober interface {
	Check
	Probe()
}

// Result is the verdict of one check. Message explains a failure, and may
// also say what a passing check saw (the atomicity probe always does).
type Result struct {
	Passed   bool
	Message  string
	Expected string
	Actual   string
	// Shape, when a check sets it, is its own account of a failure for
	// Shape (see there): for kinds whose verdict holds what it saw.
	Shape string
	// Detail, when a check sets it, is what a failing check saw, small and
	// the same on every run of the same answer (see Detail).
	Detail string
}

func pass(msg string) Result { return Result{Passed: true, Message: msg} }

func fail(format string, args ...any) Result {
	return Result{Message: sprintf(format, args...)}
}

// Env is what a check can see of one run of a case.
type Env struct {
	File    string                // the submission file that ran, e.g. step3.redis
	Given   State                 // the keys set before the run
	Sent    []submissions.Command // what was sent on the student's behalf, in order
	Replies []Value               // one reply per command in Sent
	Stats   map[string]int64      // INFO commandstats calls right after the run
	// Snapshot, if set, holds the keys the checks name as they were right
	// after the run (ReadPlan); checks read the server for the rest.
	Snapshot *Snapshot
	Admin    *redis.Client // inspects the server; never the student's connection
	// Commands names the server's commands, upper case, for "did you mean
	// SET?" when a student's command is unknown.
	Commands []string
	Connect  atomicity.Connect // a connection as the student, for probes; release it when done
	// KeepsConnection reports whether a command leaves the connection that
	// sends it as it was (not SELECT, MULTI, SUBSCRIBE...). Nil: assume not.
	KeepsConnection func(submissions.Command) bool
	// Reference runs the spec's reference for the case (compare checks).
	Reference *ReferenceRun
	// Restart puts the server back in the case's starting state (its given,
	// then its setup), with the command statistics zeroed (serializable
	// checks).
	Restart func(ctx context.Context) error

	results     []Value // Results, once worked out
	settledFrom *Value  // the first of the Replies results were worked out from
}

// Count is one name and number of an ordered mapping.
type Count struct {
	Name string
	N    int64
}

// Counts is a mapping of names to integers, in the order the spec wrote them.
type Counts []Count

// UnmarshalStrict decodes a mapping of names to integers.
func (c *Counts) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	for _, kv := range d.Pairs(n) {
		if i, ok := d.Int(kv.Value); ok {
			*c = append(*c, Count{kv.Key.Value, i})
		}
	}
}

// Meta holds what every check kind accepts besides its own fields.
type Meta struct {
	// Why is told to the student when the check fails: the idea behind it.
	Why string `yaml:"why"`
}

func (m Meta) why() string { return m.Why }

type explainer interface{ why() string }

// WhyOf returns a check's `why` text, if it has one.
func WhyOf(c Check) string {
	if e, ok := c.(explainer); ok {
		return e.why()
	}
	return ""
}

// decoder builds one kind of check from its mapping node.
type decoder func(d *yamlstrict.Decoder, n *yaml.Node) Check

// decodeInto returns a decoder for a kind whose fields are those of T.
func decodeInto[T any, P interface {
	*T
	Check
}]() decoder {
	return func(d *yamlstrict.Decoder, n *yaml.Node) Check {
		var c T
		d.Decode(n, &c)
		if v, ok := any(P(&c)).(interface {
			validate(d *yamlstrict.Decoder, n *yaml.Node)
		}); ok {
			v.validate(d, n)
		}
		return P(&c)
	}
}

// registry maps a check's kind, the first key of its mapping, to its decoder.
var registry = map[string]decoder{
	"key":          decodeInto[KeyCheck](),
	"reply":        decodeInto[ReplyCheck](),
	"change":       decodeInto[ChangeCheck](),
	"calls":        decodeInto[CallsCheck](),
	"sent":         decodeInto[SentCheck](),
	"atomic":       decodeInto[AtomicCheck](),
	"ttl":          decodeInto[TTLCheck](),
	"keys":         decodeInto[KeysCheck](),
	"compare":      decodeInto[CompareCheck](),
	"uses":         decodeInto[UsesCheck](),
	"serializable": decodeInto[SerializableCheck](),
}

// kindTypes maps each kind to its Go type, for tools that describe the
// spec format (the JSON Schema).
var kindTypes = map[string]reflect.Type{
	"key":          reflect.TypeOf(KeyCheck{}),
	"reply":        reflect.TypeOf(ReplyCheck{}),
	"change":       reflect.TypeOf(ChangeCheck{}),
	"calls":        reflect.TypeOf(CallsCheck{}),
	"sent":         reflect.TypeOf(SentCheck{}),
	"atomic":       reflect.TypeOf(AtomicCheck{}),
	"ttl":          reflect.TypeOf(TTLCheck{}),
	"keys":         reflect.TypeOf(KeysCheck{}),
	"compare":      reflect.TypeOf(CompareCheck{}),
	"uses":         reflect.TypeOf(UsesCheck{}),
	"serializable": reflect.TypeOf(SerializableCheck{}),
}

// KindType returns the Go struct type of a check kind: its yaml tags are
// the kind's fields, and its first field is the one that names the kind.
func KindType(kind string) (reflect.Type, bool) {
	t, ok := kindTypes[kind]
	return t, ok
}

// Kinds lists the check kinds a spec may use, sorted.
func Kinds() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// List is a spec's list of checks.
type List []Check

// UnmarshalStrict decodes each item by the kind named by its first key.
func (l *List) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	// An item that cannot be decoded still takes its place in the list, so
	// that validation does not add "no checks" to the error already reported.
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "expected a list of checks, found %s", yamlstrict.Describe(n))
		*l = append(*l, invalid{})
		return
	}
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode || len(item.Content) == 0 {
			d.Errorf(item, "expected a check such as `key: stock`, found %s", yamlstrict.Describe(item))
			*l = append(*l, invalid{})
			continue
		}
		kind := item.Content[0].Value
		dec, ok := registry[kind]
		if !ok {
			d.Errorf(item.Content[0], "unknown check kind %q (known: %s)", kind, strings.Join(Kinds(), ", "))
			*l = append(*l, invalid{})
			continue
		}
		*l = append(*l, dec(d, item))
	}
}

// invalid stands in for a check that failed to decode; a spec holding one is
// never graded, since decoding reports an error.
type invalid struct{}

func (invalid) Name() string { return "invalid check" }

func (invalid) Evaluate(context.Context, *Env) Result { return fail("invalid check") }
