package checks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// Type is the RESP2 type of a reply.
type Type int

const (
	Nil Type = iota
	Integer
	String // a bulk or status string: go-redis cannot tell them apart
	Array
	Error
)

func (t Type) String() string {
	return [...]string{"nil", "an integer", "a string", "an array", "an error"}[t]
}

// Value is a typed Redis reply, as the server sent it or as a spec expects it.
//
// In a spec a YAML integer is an integer reply, a quoted or plain string a
// string reply, null a nil, a list an array and {error: "ERR ..."} an error
// reply whose text starts with the given prefix.
type Value struct {
	Type  Type
	Int   int64
	Str   string // the string, or the error text
	Elems []Value
}

// Int returns an integer reply value.
func Int(i int64) Value { return Value{Type: Integer, Int: i} }

// Str returns a string reply value.
func Str(s string) Value { return Value{Type: String, Str: s} }

// FromReply converts what go-redis returns for a command (pinned to RESP2)
// into a Value. A network or timeout error is not a reply: ok is false.
func FromReply(v any, err error) (val Value, ok bool) {
	if err != nil {
		if errors.Is(err, redis.Nil) {
			return Value{Type: Nil}, true
		}
		var rerr redis.Error
		if errors.As(err, &rerr) {
			return Value{Type: Error, Str: rerr.Error()}, true
		}
		return Value{}, false
	}
	return fromElem(v), true
}

func fromElem(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{Type: Nil}
	case int64:
		return Int(x)
	case string:
		return Str(x)
	case []any:
		out := Value{Type: Array, Elems: make([]Value, len(x))}
		for i, e := range x {
			out.Elems[i] = fromElem(e)
		}
		return out
	case error:
		return Value{Type: Error, Str: x.Error()}
	}
	// RESP2 has no other types; show whatever arrived rather than lose it.
	return Str(fmt.Sprint(v))
}

// Size estimates the bytes a value takes in memory: its strings, and a
// Value struct per element.
func (v Value) Size() int64 {
	n := int64(unsafe.Sizeof(v)) + int64(len(v.Str))
	for _, e := range v.Elems {
		n += e.Size()
	}
	return n
}

// Matches reports whether the actual reply v satisfies the expectation want.
// An expected error matches an actual error that starts with its text.
func (v Value) Matches(want Value) bool {
	if v.Type != want.Type {
		return false
	}
	switch want.Type {
	case Integer:
		return v.Int == want.Int
	case String:
		return v.Str == want.Str
	case Error:
		return strings.HasPrefix(v.Str, want.Str)
	case Array:
		if len(v.Elems) != len(want.Elems) {
			return false
		}
		for i := range want.Elems {
			if !v.Elems[i].Matches(want.Elems[i]) {
				return false
			}
		}
	}
	return true
}

// maxRendered bounds how much of a reply a message shows: a student's reply
// can be megabytes, and reports are read by people and LMS size limits.
const (
	maxRendered       = 1024
	maxRenderedString = 200
)

// String renders a value compactly with its type visible: 99, "99", nil,
// [99, 1], (error) ERR unknown command. Long values are cut, saying so.
func (v Value) String() string {
	var b strings.Builder
	v.render(&b)
	return b.String()
}

func (v Value) render(b *strings.Builder) {
	switch v.Type {
	case Nil:
		b.WriteString("nil")
	case Integer:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case String:
		b.WriteString(quoteClipped(v.Str))
	case Error:
		b.WriteString("(error) " + clip.Text(v.Str, maxRenderedString))
	case Array:
		b.WriteByte('[')
		for i, e := range v.Elems {
			if b.Len() > maxRendered {
				fmt.Fprintf(b, "… %d more", len(v.Elems)-i)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			e.render(b)
		}
		b.WriteByte(']')
	}
}

func quoteClipped(s string) string {
	if len(s) <= maxRenderedString {
		return strconv.Quote(s)
	}
	return strconv.Quote(clip.Text(s, maxRenderedString)) + fmt.Sprintf(" (%d bytes)", len(s))
}

// UnmarshalStrict decodes an expected reply from a spec.
func (v *Value) UnmarshalStrict(d *yamlstrict.Decoder, n *yaml.Node) {
	switch n.Kind {
	case yaml.SequenceNode:
		*v = Value{Type: Array, Elems: make([]Value, len(n.Content))}
		for i, c := range n.Content {
			v.Elems[i].UnmarshalStrict(d, c)
		}
	case yaml.MappingNode:
		pairs := d.Pairs(n)
		if len(pairs) != 1 || pairs[0].Key.Value != "error" {
			d.Errorf(n, `expected a reply; the only mapping a reply can be is {error: "ERR ..."}`)
			return
		}
		if s, ok := d.String(pairs[0].Value); ok {
			*v = Value{Type: Error, Str: s}
		}
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			*v = Value{Type: Nil}
		case "!!int":
			if i, ok := d.Int(n); ok {
				*v = Int(i)
			}
		case "!!str":
			*v = Str(n.Value)
		case "!!float":
			d.Errorf(n, "RESP2 has no floating-point replies (Lua truncates numbers to integers): write an integer, or quote it for a string")
		case "!!bool":
			d.Errorf(n, "RESP2 has no booleans (Lua true becomes the integer 1, false becomes nil): write 1 or null")
		default:
			d.Errorf(n, "expected a reply, found %s", yamlstrict.Describe(n))
		}
	case yaml.AliasNode:
		v.UnmarshalStrict(d, n.Alias)
	default:
		d.Errorf(n, "expected a reply, found %s", yamlstrict.Describe(n))
	}
}

// explainReplyMismatch says how a command's reply differs from the expected
// one, in the terms of where it came from: a script's reply in Lua's, any
// other's only by what is true of every reply (the right values in the
// wrong order).
func explainReplyMismatch(got, want Value, fromScript bool) string {
	if fromScript {
		return explainScriptMismatch(got, want)
	}
	if want.Type == Array && got.Type == Array && len(got.Elems) == len(want.Elems) && sameElemsReversed(got, want) {
		return "the values are right but in the wrong order"
	}
	return ""
}

// explainScriptMismatch says, in a learner's words and Lua's terms, why a
// script's reply of the wrong shape came back; "" when there is nothing
// useful to add.
func explainScriptMismatch(got, want Value) string {
	switch {
	case want.Type == Integer && got.Type == String:
		if _, err := strconv.ParseInt(got.Str, 10, 64); err == nil {
			return "the value is right but it is a string: a Lua number becomes an integer reply and a Lua string a bulk string (GET returns strings; use tonumber(), or the number DECR/INCR return)"
		}
	case want.Type == Array && got.Type == Array:
		if len(got.Elems) < len(want.Elems) {
			return "a Lua table becomes an array that stops at the first nil: is a variable in the table undefined or misspelt? (declare it with local)"
		}
		if len(got.Elems) == len(want.Elems) && sameElemsReversed(got, want) {
			return "the values are right but in the wrong order"
		}
		for i := range want.Elems {
			if i < len(got.Elems) && want.Elems[i].Type == Integer && got.Elems[i].Type == String {
				return "element " + strconv.Itoa(i+1) + " is a string: a Lua number becomes an integer reply, a Lua string a bulk string"
			}
		}
	case got.Type == Nil && want.Type != Nil:
		return "the script returned nil: end it with a return statement (Lua false and a missing return both become nil)"
	}
	return ""
}

func sameElemsReversed(got, want Value) bool {
	n := len(want.Elems)
	if n < 2 {
		return false
	}
	for i := range want.Elems {
		if !got.Elems[i].Matches(want.Elems[n-1-i]) {
			return false
		}
	}
	return !got.Matches(want)
}
