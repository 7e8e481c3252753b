// Package yamlstrict decodes a YAML node tree into Go values strictly: unknown
// fields, wrong types and duplicate keys are errors, every error carries its
// line and column, and decoding goes on after an error so that one run reports
// every problem in a file at once.
//
// yaml.v3's own KnownFields(true) does report every unknown field, but as
// lines of text in one error ("line 3: field idd not found in type ..."),
// without columns, and its type errors are text too. What this package adds: one Error value per problem with line and column,
// every problem of a file in one pass (types, unknown fields, duplicate keys,
// durations, finite numbers), messages that name the known fields and what
// was found, and the position of each mapping kept (Pos) for the checks that
// run after decoding. TestWhatYAMLv3Gives pins down yaml.v3's behaviour.
package yamlstrict

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/internal/position"
)

// Error is one problem at a position in a file: the position package's
// one type for "file:line:col: message", whose Explain also shows the
// source line.
type Error = position.Error

// Errors is every problem found in a file, in file order.
type Errors = position.Errors

// Pos is a position in the source. A struct field of type Pos tagged
// `yaml:"-"` is filled with the position of the mapping the struct came from,
// so that later validation can point at it.
type Pos struct{ Line, Col int }

// Unmarshaler is implemented by types that decode themselves from a node
// (check lists, typed replies). They report problems through d.
type Unmarshaler interface {
	UnmarshalStrict(d *Decoder, n *yaml.Node)
}

// Decoder collects errors while decoding one file.
type Decoder struct {
	File string
	// Source is the file's text, where the caller has it: each error then
	// carries its line, for Explain.
	Source []byte
	errs   Errors
}

// Errorf records a problem at node n (or at the start of the file when n is nil).
func (d *Decoder) Errorf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: d.File, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// ErrorAt records a problem at a position.
func (d *Decoder) ErrorAt(p Pos, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.File, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the problems found so far, sorted by position, or nil.
func (d *Decoder) Err() error {
	if len(d.errs) == 0 {
		return nil
	}
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i], d.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if d.Source != nil {
		d.errs.WithSource(string(d.Source))
	}
	return d.errs
}

// Parse reads YAML text into its document node. A syntax error becomes a
// positioned Error (yaml.v3 reports "yaml: line N: ..." strings). A
// document whose aliases would expand past MaxAliasNodes nodes, or nest
// deeper than MaxDepth, is refused here, before anything decodes it.
func Parse(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, data, err).WithSource(string(data))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Errors{{File: file, Msg: "the file is empty"}}
	}
	root := doc.Content[0]
	if err := checkExpansion(file, root); err != nil {
		return nil, err.WithSource(string(data))
	}
	return root, nil
}

func syntaxError(file string, data []byte, err error) Errors {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 0, 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, convErr := strconv.Atoi(num); convErr == nil {
				line, msg = n, after
			}
		}
	}
	if line == 0 {
		// The reader's own errors (a control character, bytes that are not
		// UTF-8) come without a position: find the first such character.
		if l, c, what := firstUnreadable(data); l > 0 {
			line, col, msg = l, c, what+": a spec is text (write a control character as an escape in a double-quoted string, \\t or \\u0007)"
		}
	}
	return Errors{{File: file, Line: line, Col: col, Msg: msg}}
}

// firstUnreadable finds the first character YAML does not allow in a
// file (C0 and C1 controls but tab, newline and carriage return, DEL,
// surrogates, U+FFFE and U+FFFF) or the first byte that is not UTF-8, and
// says what it is; line 0 if there is none.
func firstUnreadable(data []byte) (line, col int, what string) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return line, col, fmt.Sprintf("byte 0x%02x is not UTF-8", data[i])
		case r == '\n':
			line, col = line+1, 0
		case r == '\t', r == '\r', r == 0x85, r == 0xFEFF:
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0xfffe, r == 0xffff:
			return line, col, fmt.Sprintf("control character U+%04X is not allowed in YAML", r)
		}
		i += size
		col++
	}
	return 0, 0, ""
}

// Bounds on what a document may expand to: aliases are pointers in the
// parsed tree, but every decoder follows them, so a 1 KB file of nested
// aliases ("billion laughs") decodes into billions of nodes.
const (
	// MaxAliasNodes bounds the nodes aliases add, expanded (the largest
	// shipped spec has under 500 nodes in all).
	MaxAliasNodes = 100_000
	// MaxDepth bounds the nesting of a document, aliases expanded (the
	// shipped specs nest 11 deep at most).
	MaxDepth = 100
)

// checkExpansion refuses a document whose aliases expand past
// MaxAliasNodes nodes or which nests deeper than MaxDepth, aliases
// expanded, at the alias (or node) where it goes over.
func checkExpansion(file string, root *yaml.Node) Errors {
	x := &expansion{size: map[*yaml.Node]int{}, height: map[*yaml.Node]int{}, open: map[*yaml.Node]bool{}}
	added := 0
	var walk func(n *yaml.Node, depth int) Errors
	walk = func(n *yaml.Node, depth int) Errors {
		at := func(format string, args ...any) Errors {
			return Errors{{File: file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}}
		}
		if n.Kind == yaml.AliasNode {
			size, height := x.measure(n.Alias)
			if size < 0 {
				return at("alias *%s refers to the node that holds it: it never ends", n.Value)
			}
			if added += size; added > MaxAliasNodes {
				return at("the aliases up to *%s expand to over %d nodes: the file is refused (a spec needs a few hundred)", n.Value, MaxAliasNodes)
			}
			if depth+height > MaxDepth {
				return at("alias *%s nests the document over %d levels deep: the file is refused", n.Value, MaxDepth)
			}
			return nil
		}
		if depth > MaxDepth {
			return at("the document nests over %d levels deep here: the file is refused", MaxDepth)
		}
		for _, c := range n.Content {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, 1)
}

// expansion measures nodes as decoding sees them, aliases followed: how
// many nodes each stands for and how deep it nests, capped just over the
// bounds, each node measured once.
type expansion struct {
	size, height map[*yaml.Node]int
	open         map[*yaml.Node]bool // being measured: met again, a cycle
}

// measure returns n's expanded size and height, or -1 for a cycle.
func (x *expansion) measure(n *yaml.Node) (size, height int) {
	if s, ok := x.size[n]; ok {
		return s, x.height[n]
	}
	if x.open[n] {
		return -1, 0
	}
	x.open[n] = true
	defer delete(x.open, n)
	size, height = 1, 1
	children := n.Content
	if n.Kind == yaml.AliasNode {
		children = []*yaml.Node{n.Alias}
	}
	for _, c := range children {
		s, h := x.measure(c)
		if s < 0 {
			return -1, 0
		}
		size = min(size+s, MaxAliasNodes+1)
		height = min(max(height, h+1), MaxDepth+1)
	}
	x.size[n], x.height[n] = size, height
	return size, height
}

var (
	posType      = reflect.TypeOf(Pos{})
	durationType = reflect.TypeOf(time.Duration(0))
	unmarshaler  = reflect.TypeOf((*Unmarshaler)(nil)).Elem()
)

// Decode decodes n into the value pointed to by v.
func (d *Decoder) Decode(n *yaml.Node, v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("yamlstrict: Decode needs a non-nil pointer")
	}
	d.decode(n, rv.Elem())
}

func (d *Decoder) decode(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshaler) {
		v.Addr().Interface().(Unmarshaler).UnmarshalStrict(d, n)
		return
	}
	if v.Type() == durationType {
		d.decodeDuration(n, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.Errorf(n, "expected a list, found %s", Describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.Errorf(n, "expected a mapping, found %s", Describe(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for _, kv := range d.Pairs(n) {
			val := reflect.New(v.Type().Elem()).Elem()
			d.decode(kv.Value, val)
			m.SetMapIndex(reflect.ValueOf(kv.Key.Value).Convert(v.Type().Key()), val)
		}
		v.Set(m)
	case reflect.Pointer:
		// null leaves an optional value unset (a mutant's file: removed).
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem())
		v.Set(p)
	case reflect.String:
		if s, ok := d.String(n); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.Errorf(n, "expected true or false, found %s", Describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int, reflect.Int64:
		if i, ok := d.Int(n); ok {
			v.SetInt(i)
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			d.Errorf(n, "expected a number, found %s", Describe(n))
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.Errorf(n, "expected a finite number, found %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("yamlstrict: unsupported type %s", v.Type()))
	}
}

func (d *Decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a mapping, found %s", Describe(n))
		return
	}
	fields := map[string]reflect.Value{}
	var names []string
	collectFields(n, v, fields, &names)
	for _, kv := range d.Pairs(n) {
		f, ok := fields[kv.Key.Value]
		if !ok {
			d.Errorf(kv.Key, "unknown field %q (known: %s)", kv.Key.Value, strings.Join(names, ", "))
			continue
		}
		d.decode(kv.Value, f)
	}
}

// collectFields maps YAML names to struct fields, descending into fields
// tagged `yaml:",inline"` and filling Pos fields.
func collectFields(n *yaml.Node, v reflect.Value, fields map[string]reflect.Value, names *[]string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if f.Type == posType && tag == "-" {
			v.Field(i).Set(reflect.ValueOf(Pos{n.Line, n.Column}))
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			collectFields(n, v.Field(i), fields, names)
			continue
		}
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = v.Field(i)
		*names = append(*names, name)
	}
}

func (d *Decoder) decodeDuration(n *yaml.Node, v reflect.Value) {
	s, ok := d.String(n)
	if !ok {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		d.Errorf(n, "expected a positive duration such as 2s or 500ms, found %q", s)
		return
	}
	v.SetInt(int64(dur))
}

// KV is one key and value of a mapping, in file order.
type KV struct{ Key, Value *yaml.Node }

// Pairs returns a mapping's entries, reporting non-scalar and duplicate keys.
func (d *Decoder) Pairs(n *yaml.Node) []KV {
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a mapping, found %s", Describe(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []KV
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "expected a plain key, found %s", Describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.Errorf(k, "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, KV{k, val})
	}
	return out
}

// String reads a scalar as text. Numbers and booleans are taken as written
// (`equals: 100` means the string "100"); null, lists and mappings are errors.
func (d *Decoder) String(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.Errorf(n, "expected a string, found %s", Describe(n))
		return "", false
	}
	return n.Value, true
}

// Int reads an integer scalar.
func (d *Decoder) Int(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.Errorf(n, "expected an integer, found %s", Describe(n))
		return 0, false
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		d.Errorf(n, "expected an integer that fits in 64 bits, found %q", n.Value)
		return 0, false
	}
	return i, true
}

// Describe names a node's kind for messages: `a list`, `the string "x"`.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected node"
}
