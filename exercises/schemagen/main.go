// Command schemagen writes exercises/schema.json, the JSON Schema of
// exercise specs, from the Go types and their doc comments. go generate
// ./exercises runs it; its test fails while the committed file differs.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/checks"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

func main() {
	out := flag.String("o", "schema.json", "where to write the schema")
	src := flag.String("src", "..", "the module's root folder, whose doc comments become descriptions")
	flag.Parse()
	data, err := generate(*src)
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "schemagen: %v\n", err)
		os.Exit(1)
	}
}

// generate builds the JSON Schema of exercise specs from the Go types by
// reflection, following the rules yamlstrict decodes by: yaml tags name the
// properties, `yaml:",inline"` fields are merged, `yaml:"-"` fields are
// skipped, and types that decode themselves (check lists, typed replies,
// states) get the schema written for them here.
//
// srcRoot, when not empty, is the module's root folder: the doc comments of
// the types and fields found there become descriptions.
func generate(srcRoot string) ([]byte, error) {
	g := &schemaGen{defs: jsonObj{}}
	if srcRoot != "" {
		docs, err := readSchemaDocs(srcRoot)
		if err != nil {
			return nil, err
		}
		g.docs = docs
	}
	exType := reflect.TypeOf(exercises.Exercise{})
	root := jsonObj{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", exercises.SchemaID},
		{"$comment", "Generated from the Go types by exercises/schemagen: do not edit. Regenerate with `go generate ./exercises`."},
		{"title", "redisgrade exercise spec"},
	}
	body, err := g.structSchema(exType)
	if err != nil {
		return nil, err
	}
	root = append(root, body...)
	if len(g.errs) > 0 {
		return nil, fmt.Errorf("schema: %s", strings.Join(g.errs, "; "))
	}
	root = append(root, jsonKV{"$defs", g.defs})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// schemaRequired lists the fields validate() insists on, per struct type.
var schemaRequired = map[reflect.Type][]string{
	reflect.TypeOf(exercises.Exercise{}): {"id", "title", "steps"},
	reflect.TypeOf(exercises.Step{}):     {"id", "title", "file"},
	reflect.TypeOf(exercises.Mutant{}):   {"name", "fails", "files"},
}

// schemaExtra adds what validate() checks beyond types, keyed by Go
// Type.Field, for editors to flag early.
var schemaExtra = map[string]jsonObj{
	"Exercise.ID":     {{"pattern", exercises.IDPattern.String()}},
	"Exercise.Steps":  {{"minItems", 1}},
	"Step.ID":         {{"pattern", exercises.IDPattern.String()}},
	"Step.File":       {{"pattern", `^[^/]+\.([rR][eE][dD][iI][sS]|[lL][uU][aA])$`}},
	"Step.Points":     {{"minimum", 0}},
	"Requires.Redis":  {{"pattern", rangePattern}},
	"Requires.Valkey": {{"pattern", rangePattern}},
	"Mutant.Files":    {{"minProperties", 1}},
}

// schemaDescriptions describes the key fields that have no doc comment,
// keyed by Go Type.Field. A doc comment, when there is one, wins; a terse
// line comment (`// per case`) does not.
var schemaDescriptions = map[string]string{
	"Exercise.ID":       "The exercise's name: lower-case letters, digits and dashes, such as lua-atomicity.",
	"Exercise.Title":    "The exercise's title, shown to students.",
	"Exercise.Summary":  "One or two sentences on what the exercise teaches.",
	"Exercise.Requires": "What a server must be to grade the exercise.",
	"Exercise.Timeout":  "Time limit for one case's commands, such as 2s, 500ms or 1m30s (default 2s); a step's timeout overrides it.",
	"Exercise.Steps":    "The steps a student completes in order, each graded from its own clean server.",
	"Step.ID":           "The step's id, unique in the exercise: lower-case letters, digits and dashes.",
	"Step.Title":        "The step's title, shown to students.",
	"Step.Task":         "What the student must do, in our own words.",
	"Step.Hint":         "Shown to the student when the step fails.",
	"Step.Points":       "What the step is worth.",
	"Step.Timeout":      "Time limit for one case's commands, such as 2s or 500ms; overrides the exercise's timeout.",
	"Case.Call":         "The keys and arguments of the EVAL or FCALL for this case; overrides the step's call.",
	"Case.Name":         "Names the case in reports.",
	"Case.Given":        "The keys set before the commands run.",
	"Case.Checks":       "Checks added to the step's checks for this case.",
	"Call.Keys":         "The key names passed to EVAL or FCALL (numkeys is their count).",
	"Call.Args":         "The arguments passed to EVAL or FCALL after the keys.",
	"Mutant.Name":       "Names the mutant in reports.",
}

// rangePattern is what exercises.ParseRange accepts: none, or bounds such as ">=7.2, <8".
const rangePattern = `^\s*(none|[<>]=?\s*[0-9]+(\.[0-9]+)*([\s,]+[<>]=?\s*[0-9]+(\.[0-9]+)*)*)\s*$`

// durationPattern is what time.ParseDuration accepts, less negative durations.
const durationPattern = `^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`

// textSchema is a Go string in a spec: yamlstrict takes numbers and booleans
// as written (`equals: 100` is the string "100"), so the schema accepts them.
//
// Leaf types are written out where they are used rather than referenced from
// $defs: editors on draft-07 (the YAML language server) ignore keywords next
// to a $ref, such as a field's pattern.
func textSchema() jsonObj { return jsonObj{{"type", []string{"string", "number", "boolean"}}} }

type schemaGen struct {
	docs map[string]string // "pkgpath.Type" and "pkgpath.Type.Field" → doc comment
	defs jsonObj
	errs []string
}

var (
	schemaUnmarshaler  = reflect.TypeOf((*yamlstrict.Unmarshaler)(nil)).Elem()
	schemaDurationType = reflect.TypeOf(time.Duration(0))
	schemaPosType      = reflect.TypeOf(yamlstrict.Pos{})
)

// specialSchemas holds the schemas of the types that decode themselves, by the
// name of their definition in $defs.
var specialSchemas = map[reflect.Type]string{
	reflect.TypeOf(checks.List{}):           "checks",
	reflect.TypeOf(checks.Value{}):          "reply",
	reflect.TypeOf(checks.State{}):          "state",
	reflect.TypeOf(checks.Counts{}):         "counts",
	reflect.TypeOf(checks.Scores{}):         "scores",
	reflect.TypeOf(checks.Fields{}):         "fields",
	reflect.TypeOf(checks.StreamEntries{}):  "streamEntries",
	reflect.TypeOf(checks.Groups{}):         "groups",
	reflect.TypeOf(checks.PendingEntries{}): "pendingEntries",
	reflect.TypeOf(checks.GeoPoints{}):      "geoPoints",
	reflect.TypeOf(checks.Names{}):          "names",
	reflect.TypeOf(checks.ReplyScope{}):     "replyScope",
}

func (g *schemaGen) errorf(format string, args ...any) {
	g.errs = append(g.errs, fmt.Sprintf(format, args...))
}

// typeSchema returns the schema of a value of type t.
func (g *schemaGen) typeSchema(t reflect.Type) jsonObj {
	if name, ok := specialSchemas[t]; ok {
		g.define(name, func() jsonObj { return g.specialSchema(t) })
		return defRef(name)
	}
	if reflect.PointerTo(t).Implements(schemaUnmarshaler) {
		g.errorf("%s decodes itself (UnmarshalStrict): add its schema to specialSchemas in exercises/schema.go", t)
		return jsonObj{}
	}
	if t == schemaDurationType {
		return jsonObj{{"type", "string"}, {"pattern", durationPattern}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		// The decoder takes null for a pointer as "not set".
		return jsonObj{{"anyOf", []any{g.typeSchema(t.Elem()), jsonObj{{"type", "null"}}}}}
	case reflect.Struct:
		name := t.Name()
		g.define(name, func() jsonObj {
			s, err := g.structSchema(t)
			if err != nil {
				g.errorf("%v", err)
			}
			return s
		})
		return defRef(name)
	case reflect.Slice:
		return jsonObj{{"type", "array"}, {"items", g.typeSchema(t.Elem())}}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			g.errorf("%s: map keys must be strings", t)
		}
		return jsonObj{{"type", "object"}, {"additionalProperties", g.typeSchema(t.Elem())}}
	case reflect.String:
		return textSchema()
	case reflect.Bool:
		return jsonObj{{"type", "boolean"}}
	case reflect.Int, reflect.Int64:
		return jsonObj{{"type", "integer"}}
	case reflect.Float64:
		return jsonObj{{"type", "number"}}
	}
	g.errorf("%s: no JSON Schema for kind %s (yamlstrict cannot decode it either)", t, t.Kind())
	return jsonObj{}
}

// define adds a definition once; build runs only the first time, after the
// name is reserved, so recursive types terminate.
func (g *schemaGen) define(name string, build func() jsonObj) {
	if g.defs.has(name) {
		return
	}
	i := len(g.defs)
	g.defs = append(g.defs, jsonKV{name, nil})
	s := build()
	g.defs[i].v = s
}

func defRef(name string) jsonObj { return jsonObj{{"$ref", "#/$defs/" + name}} }

// structSchema is an object whose properties are t's yaml fields, inline
// fields merged.
func (g *schemaGen) structSchema(t reflect.Type) (jsonObj, error) {
	s := jsonObj{{"type", "object"}}
	if d := g.typeDoc(t); d != "" {
		s = append(s, jsonKV{"description", d})
	}
	props := jsonObj{}
	add := func(name string, p jsonObj) error {
		if props.has(name) { // two fields with one yaml name, say through an inline struct
			return fmt.Errorf("two fields are named %q", name)
		}
		props = append(props, jsonKV{name, p})
		return nil
	}
	if err := g.collectProps(t, add); err != nil {
		return nil, err
	}
	s = append(s, jsonKV{"properties", props})
	if req := schemaRequired[t]; len(req) > 0 {
		for _, r := range req {
			if !props.has(r) {
				return nil, fmt.Errorf("%s: required field %q is not a property", t, r)
			}
		}
		s = append(s, jsonKV{"required", req})
	}
	s = append(s, jsonKV{"additionalProperties", false})
	return s, nil
}

func (g *schemaGen) collectProps(t reflect.Type, add func(string, jsonObj) error) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if f.Type == schemaPosType && tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			if err := g.collectProps(f.Type, add); err != nil {
				return err
			}
			continue
		}
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		p := g.typeSchema(f.Type)
		key := t.Name() + "." + f.Name
		if d := g.fieldDoc(t, f, name); d != "" {
			p = append(p, jsonKV{"description", d})
		}
		p = append(p, schemaExtra[key]...)
		if err := add(name, p); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}

// specialSchema is the schema of a type that decodes itself.
func (g *schemaGen) specialSchema(t reflect.Type) jsonObj {
	switch name := specialSchemas[t]; name {
	case "checks":
		return g.checksSchema()
	case "reply":
		return replySchema()
	case "replyScope":
		return jsonObj{
			{"description", "Which of the reference's replies the student's commands must also get, each from a command of the same name: reads (the default: its read-only commands'), all, last, none, or a list of command names such as [HGETALL]. A .lua step's script reply is compared unless none."},
			{"anyOf", []any{
				jsonObj{{"type", "string"}, {"pattern", "^(reads|all|last|none)$"}},
				jsonObj{{"type", "array"}, {"items", textSchema()}, {"minItems", 1}},
			}},
		}
	case "names":
		return jsonObj{
			{"description", "A command's name (INCR), a subcommand (XGROUP CREATE), or a list of them."},
			{"anyOf", []any{textSchema(), jsonObj{{"type", "array"}, {"items", textSchema()}, {"minItems", 1}}}},
		}
	default:
		if s, ok := g.mappingSchema(name); ok {
			return s
		}
	}
	g.errorf("%s: no special schema", t)
	return jsonObj{}
}

// checksSchema is a list of checks, each one of the check kinds' schemas.
func (g *schemaGen) checksSchema() jsonObj {
	var branches []any
	for _, kind := range checks.Kinds() {
		kt, ok := checks.KindType(kind)
		if !ok {
			g.errorf("check kind %q has no KindType", kind)
			continue
		}
		if kt.NumField() == 0 || strings.Split(kt.Field(0).Tag.Get("yaml"), ",")[0] != kind {
			g.errorf("check kind %q: the first field of %s must be tagged yaml:%q", kind, kt, kind)
			continue
		}
		name := kt.Name()
		g.define(name, func() jsonObj {
			s, err := g.structSchema(kt)
			if err != nil {
				g.errorf("%v", err)
			}
			// The kind's own key must be there (the decoder also wants it first).
			return s.set("required", []string{kind})
		})
		branches = append(branches, defRef(name))
	}
	return jsonObj{
		{"type", "array"},
		{"description", "Checks: each a mapping whose first key names its kind. Any check may carry why:, told to the student when it fails."},
		{"items", jsonObj{{"oneOf", branches}}},
	}
}

// replySchema is a typed reply, a list of them nested as deep as need be.
func replySchema() jsonObj {
	return jsonObj{
		{"description", `A typed reply: an integer, a string, null (a nil), a list (an array of replies) or {error: "ERR ..."} (an error reply starting with that text). RESP2 has no floats or booleans.`},
		{"anyOf", []any{
			jsonObj{{"type", "integer"}},
			jsonObj{{"type", "string"}},
			jsonObj{{"type", "null"}},
			jsonObj{{"type", "array"}, {"items", defRef("reply")}},
			jsonObj{
				{"type", "object"},
				{"properties", jsonObj{{"error", textSchema().set("description", "The start of the error text, such as ERR or WRONGTYPE.")}}},
				{"required", []string{"error"}},
				{"additionalProperties", false},
			},
		}},
	}
}

// mappingSchema is the schema of a special type written as a YAML mapping
// (keys and their values, a stream's entries, ...), false for any other.
func (g *schemaGen) mappingSchema(name string) (jsonObj, bool) {
	const streamID = `^[0-9]+-[0-9]+$`
	switch name {
	case "state":
		return mapping(`Keys and their values: a string as a scalar ({stock: "100"}; numbers and booleans are taken as written), or a typed value ({user:1: {hash: {name: Ada}}, hits: {string: "3", ttl: 20s}}).`,
			"", jsonObj{{"anyOf", []any{textSchema(), g.typeSchema(reflect.TypeOf(checks.Data{}))}}}), true
	case "fields":
		return mapping("Fields and their values, in order, such as {name: Ada, city: London}.", "", textSchema()), true
	case "streamEntries":
		return mapping("A stream's entries by explicit id, in increasing order, such as {1-1: {item: book}}.",
			streamID, g.typeSchema(reflect.TypeOf(checks.Fields{}))), true
	case "groups":
		return mapping("A stream's consumer groups by name; a group with nothing delivered may be left empty.",
			"", jsonObj{{"anyOf", []any{jsonObj{{"type", "null"}}, g.typeSchema(reflect.TypeOf(checks.Group{}))}}}), true
	case "pendingEntries":
		return mapping("Entries delivered and not acknowledged, by id: the consumer's name, or {consumer: c, idle: 90s, deliveries: 2}.",
			streamID, jsonObj{{"anyOf", []any{textSchema(), g.typeSchema(reflect.TypeOf(checks.Pending{}))}}}), true
	case "geoPoints":
		return mapping("Members and where they are, as [longitude, latitude], such as {central: [2.35, 48.85]}.",
			"", jsonObj{{"type", "array"}, {"items", jsonObj{{"type", "number"}}}, {"minItems", 2}, {"maxItems", 2}}), true
	case "counts":
		return mapping("Names and integers, such as {stock: -1, sales: 1}.", "", jsonObj{{"type", "integer"}}), true
	case "scores":
		return mapping("A sorted set as member: score, such as {alice: 30, bob: 20.5}.", "", jsonObj{{"type", "number"}}), true
	}
	return nil, false
}

// mapping is an object described by description whose keys match
// keyPattern ("": any key) and whose values are values.
func mapping(description, keyPattern string, values jsonObj) jsonObj {
	s := jsonObj{{"type", "object"}, {"description", description}}
	if keyPattern != "" {
		s = append(s, jsonKV{"propertyNames", jsonObj{{"pattern", keyPattern}}})
	}
	return append(s, jsonKV{"additionalProperties", values})
}

// typeDoc describes a struct from its doc comment: the prose, then its
// indented example, if any. A check kind's type name becomes "The KIND check".
func (g *schemaGen) typeDoc(t reflect.Type) string {
	doc := g.docs[t.PkgPath()+"."+t.Name()]
	if doc == "" {
		return ""
	}
	var prose, example []string
	for _, para := range strings.Split(strings.TrimSpace(doc), "\n\n") {
		if strings.HasPrefix(para, " ") || strings.HasPrefix(para, "\t") {
			example = append(example, dedentBlock(para))
		} else {
			prose = append(prose, strings.Join(strings.Fields(para), " "))
		}
	}
	text := strings.Join(prose, " ")
	if t.PkgPath() == reflect.TypeOf(checks.List{}).PkgPath() && t.NumField() > 0 {
		if kind, _, _ := strings.Cut(t.Field(0).Tag.Get("yaml"), ","); kind != "" {
			if rest, ok := strings.CutPrefix(text, t.Name()+" "); ok {
				text = "The " + kind + " check " + rest
			}
		}
	}
	if len(example) > 0 {
		text += "\n\nFor example:\n" + strings.Join(example, "\n")
	}
	return text
}

// fieldDoc describes a field from its doc comment (its Go name replaced by
// its yaml name when they differ by more than case), else from schemaDescriptions, else from its line comment.
func (g *schemaGen) fieldDoc(t reflect.Type, f reflect.StructField, yamlName string) string {
	key := t.PkgPath() + "." + t.Name() + "." + f.Name
	doc := g.docs[key]
	if doc == "" {
		if d := schemaDescriptions[t.Name()+"."+f.Name]; d != "" {
			return d
		}
		doc = g.docs[key+"#line"]
	}
	if doc != "" {
		text := strings.Join(strings.Fields(doc), " ")
		if rest, ok := strings.CutPrefix(text, f.Name); ok && !strings.EqualFold(f.Name, yamlName) && (rest == "" || !isSchemaWordByte(rest[0])) {
			text = yamlName + rest
		}
		return text
	}
	return ""
}

func isSchemaWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

var schemaLeadingSpace = regexp.MustCompile(`^[ \t]*`)

func dedentBlock(block string) string {
	lines := strings.Split(block, "\n")
	cut := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(schemaLeadingSpace.FindString(l)); cut < 0 || n < cut {
			cut = n
		}
	}
	for i, l := range lines {
		if len(l) >= cut && cut > 0 {
			lines[i] = l[cut:]
		}
	}
	return strings.Join(lines, "\n")
}

// readSchemaDocs reads the doc comments of the module's types and struct fields,
// keyed "pkgpath.Type" and "pkgpath.Type.Field", for the packages the spec
// types live in.
func readSchemaDocs(srcRoot string) (map[string]string, error) {
	module := strings.TrimSuffix(reflect.TypeOf(exercises.Exercise{}).PkgPath(), "/exercises")
	docs := map[string]string{}
	for _, pkg := range []reflect.Type{reflect.TypeOf(exercises.Exercise{}), reflect.TypeOf(checks.List{})} {
		pkgPath := pkg.PkgPath()
		dir := filepath.Join(srcRoot, filepath.FromSlash(strings.TrimPrefix(pkgPath, module+"/")))
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("schema: no Go files in %s", dir)
		}
		fset := token.NewFileSet()
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
			if err != nil {
				return nil, fmt.Errorf("schema: %w", err)
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, spec := range gd.Specs {
					ts := spec.(*ast.TypeSpec)
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					key := pkgPath + "." + ts.Name.Name
					if doc != nil {
						docs[key] = doc.Text()
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, field := range st.Fields.List {
						for _, n := range field.Names {
							if field.Doc != nil {
								docs[key+"."+n.Name] = field.Doc.Text()
							}
							if field.Comment != nil {
								docs[key+"."+n.Name+"#line"] = field.Comment.Text()
							}
						}
					}
				}
			}
		}
	}
	return docs, nil
}

// jsonObj is a JSON object that keeps its keys in order, so that the schema
// reads in the order of the Go fields.
type jsonObj []jsonKV

type jsonKV struct {
	k string
	v any
}

func (m jsonObj) has(k string) bool {
	for _, e := range m {
		if e.k == k {
			return true
		}
	}
	return false
}

// set replaces k's value, or appends it.
func (m jsonObj) set(k string, v any) jsonObj {
	for i := range m {
		if m[i].k == k {
			m[i].v = v
			return m
		}
	}
	return append(m, jsonKV{k, v})
}

func (m jsonObj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range m {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalNoEscape(e.k)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := marshalNoEscape(e.v)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
