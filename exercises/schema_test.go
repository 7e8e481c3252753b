package exercises

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/checks"
)

// compiledSchema compiles the committed schema, which checks it against the
// draft 2020-12 meta-schema.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// yamlToJSON turns a spec into the JSON value an editor's YAML language
// server validates: it walks the node tree, as yamlstrict does, so that keys
// stay strings and aliases are followed.
func yamlToJSON(t *testing.T, file string, data []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var conv func(n *yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			return conv(n.Content[0])
		case yaml.AliasNode:
			return conv(n.Alias)
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			s := make([]any, len(n.Content))
			for i, c := range n.Content {
				s[i] = conv(c)
			}
			return s
		}
		switch n.ShortTag() {
		case "!!null", "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				t.Fatalf("%s:%d: %v", file, n.Line, err)
			}
			return v
		}
		return n.Value // strings, and timestamps and the like, which yamlstrict reads as text
	}
	js, err := json.Marshal(conv(&doc))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestShippedSpecsMatchSchema validates every shipped spec, whatever is
// there when it runs, against the schema.
func TestShippedSpecsMatchSchema(t *testing.T) {
	sch := compiledSchema(t)
	names := Shipped()
	if len(names) == 0 {
		t.Fatal("no shipped specs")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := shipped.ReadFile(name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlToJSON(t, name+".yaml", data)); err != nil {
				t.Errorf("exercises/%s.yaml does not match the schema:\n%v", name, err)
			}
		})
	}
}

// Every shipped spec names the schema on its first line, so that editors
// with the YAML language server complete and check it.
func TestShippedSpecsReferenceSchema(t *testing.T) {
	for _, name := range Shipped() {
		data, err := shipped.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		switch strings.TrimSpace(first) {
		case "# yaml-language-server: $schema=schema.json", "# yaml-language-server: $schema=./schema.json":
		default:
			t.Errorf("exercises/%s.yaml: the first line is %q, want # yaml-language-server: $schema=schema.json", name, first)
		}
	}
}

const schemaBaseSpec = `
id: demo
title: A demo
summary: Numbers, booleans and dates are text where a string is expected.
requires: {redis: ">= 7.0"}
timeout: 1m30s
points: 2
steps:
  - id: one
    title: Step one
    task: Take one from the stock.
    hint: 2024-01-01
    hints: [DECR, "DECR stock"]
    file: step1.redis
    points: 1
    hidden: true
    given: {stock: "100", n: 5, flag: true}
    checks:
      - key: stock
        equals: 99
        why: DECR takes one
      - reply: [99, "99", null, [1, [2]], {error: ERR}]
      - change: {stock: -1}
      - calls: {decr: 1}
      - sent: DECR
        times: 1
        args: ["*"]
      - key: board
        zset: {alice: 30, bob: 20.5}
      - key: h
        hash: {f: v}
      - ttl: stock
        min: 1
        max: 60
      - keys: [stock]
      - atomic: [stock, sales]
        clients: 8
        runs: 200
        replay: [EVAL]
        from: {stock: "1000", sales: "0"}
  - id: two
    title: Step two
    file: step2.LUA
    points: 1.5
    function: take
    timeout: 500ms
    call: {keys: [stock], args: ["1"]}
    cases:
      - name: from 7
        given: {stock: "7"}
        call: {keys: [stock], args: []}
        checks:
          - reply: 6
reference:
  step1.redis: DECR stock
  step2.lua: return redis.call('DECR', KEYS[1])
mutants:
  - name: nothing
    fails: one
    files: {step1.redis: "GET stock"}
`

// TestSchemaAgreesWithTheDecoder checks that the schema accepts what the
// strict decoder accepts and really constrains: each spec below is rejected
// by both, so an editor flags what redisgrade would.
func TestSchemaAgreesWithTheDecoder(t *testing.T) {
	sch := compiledSchema(t)
	if _, err := Parse("base.yaml", []byte(schemaBaseSpec)); err != nil {
		t.Fatalf("the base spec does not load: %v", err)
	}
	if err := sch.Validate(yamlToJSON(t, "base.yaml", []byte(schemaBaseSpec))); err != nil {
		t.Fatalf("the base spec does not match the schema: %v", err)
	}
	// Each bad spec is the base with old replaced by new (or spec, whole);
	// want is part of the schema's complaint, so that each fails for its reason.
	bad := []struct {
		name, old, new, spec, want string
	}{
		{name: "unknown top-level field", old: "title: A demo\n", new: "title: A demo\ncolour: blue\n",
			want: "at '': additional properties 'colour' not allowed"},
		{name: "unknown step field", old: "    title: Step one\n", new: "    title: Step one\n    colour: blue\n",
			want: "at '/steps/0': additional properties 'colour' not allowed"},
		{name: "unknown check kind", old: "      - keys: [stock]\n", new: "      - frobnicate: [stock]\n",
			want: "at '/steps/0/checks/8': 'oneOf' failed, none matched"},
		{name: "a field of another kind", old: "        why: DECR takes one\n", new: "        why: DECR takes one\n        clients: 3\n",
			want: "at '/steps/0/checks/0': additional properties 'clients' not allowed"},
		{name: "a check with two kinds", old: "      - keys: [stock]\n", new: "      - keys: [stock]\n        key: stock\n",
			want: "at '/steps/0/checks/8': 'oneOf' failed, none matched"},
		{name: "reply with a float", old: "          - reply: 6\n", new: "          - reply: 6.5\n",
			want: "at '/steps/1/cases/0/checks/0/reply': 'anyOf' failed"},
		{name: "reply with a boolean", old: "          - reply: 6\n", new: "          - reply: true\n",
			want: "at '/steps/1/cases/0/checks/0/reply': 'anyOf' failed"},
		{name: "float inside an array reply", old: "[1, [2]]", new: "[1, [2.5]]",
			want: "at '/steps/0/checks/1/reply/3/1': 'anyOf' failed"},
		{name: "reply mapping other than error", old: "{error: ERR}", new: "{ok: 1}",
			want: "at '/steps/0/checks/1/reply/4': 'anyOf' failed"},
		{name: "error reply with more keys", old: "{error: ERR}", new: "{error: ERR, code: 1}",
			want: "additional properties 'code' not allowed"},
		{name: "step without a file", old: "    file: step1.redis\n", new: "",
			want: "at '/steps/0': missing property 'file'"},
		{name: "step without a title", old: "    title: Step two\n", new: "",
			want: "at '/steps/1': missing property 'title'"},
		{name: "exercise without an id", old: "id: demo\n", new: "",
			want: "at '': missing property 'id'"},
		{name: "exercise without steps", spec: "id: demo\ntitle: A demo\n",
			want: "at '': missing property 'steps'"},
		{name: "no steps", spec: "id: demo\ntitle: A demo\nsteps: []\n",
			want: "at '/steps': minItems: got 0, want 1"},
		{name: "bad exercise id", old: "id: demo", new: "id: Demo_1",
			want: "at '/id': 'Demo_1' does not match pattern"},
		{name: "file of another type", old: "file: step1.redis", new: "file: step1.txt",
			want: "at '/steps/0/file': 'step1.txt' does not match pattern"},
		{name: "file in a folder", old: "file: step1.redis", new: "file: a/step1.redis",
			want: "at '/steps/0/file': 'a/step1.redis' does not match pattern"},
		{name: "duration without a unit", old: "timeout: 1m30s", new: "timeout: 90",
			want: "at '/timeout': got number, want string"},
		{name: "duration in words", old: "timeout: 500ms", new: "timeout: soon",
			want: "at '/steps/1/timeout': 'soon' does not match pattern"},
		{name: "given a list", old: `given: {stock: "7"}`, new: "given: {stock: [7]}",
			want: "at '/steps/1/cases/0/given/stock': got array, want boolean or number or string"},
		{name: "calls not an integer", old: "calls: {decr: 1}", new: "calls: {decr: one}",
			want: "at '/steps/0/checks/3/calls/decr': got string, want integer"},
		{name: "change a float", old: "change: {stock: -1}", new: "change: {stock: -1.5}",
			want: "at '/steps/0/checks/2/change/stock': got number, want integer"},
		{name: "zset score a string", old: "alice: 30", new: "alice: high",
			want: "at '/steps/0/checks/5/zset/alice': got string, want number"},
		{name: "times a string", old: "times: 1", new: "times: once",
			want: "at '/steps/0/checks/4/times': got string, want integer"},
		{name: "clients a float", old: "clients: 8", new: "clients: 8.5",
			want: "at '/steps/0/checks/9/clients': got number, want integer"},
		{name: "absent not a boolean", old: "equals: 99", new: "absent: yes please",
			want: "at '/steps/0/checks/0/absent': got string, want boolean"},
		{name: "negative points", old: "    points: 1\n", new: "    points: -1\n",
			want: "at '/steps/0/points': minimum: got -1, want 0"},
		{name: "mutant without files", old: `    files: {step1.redis: "GET stock"}` + "\n", new: "",
			want: "at '/mutants/0': missing property 'files'"},
		{name: "unknown mutant field", old: "    fails: one\n", new: "    fails: one\n    because: x\n",
			want: "at '/mutants/0': additional properties 'because' not allowed"},
		{name: "call keys not a list", old: `call: {keys: [stock], args: ["1"]}`, new: "call: {keys: stock}",
			want: "at '/steps/1/call/keys': got string, want array"},
		{name: "requires with no version", old: `{redis: ">= 7.0"}`, new: "{redis: seven}",
			want: "at '/requires/redis': 'seven' does not match pattern"},
		{name: "requires a bare valkey version", old: `{redis: ">= 7.0"}`, new: `{redis: ">= 7.0", valkey: "9.0"}`,
			want: "at '/requires/valkey': '9.0' does not match pattern"},
		{name: "checks a mapping", spec: "id: demo\ntitle: A demo\nsteps:\n  - {id: one, title: One, file: a.redis, checks: {key: stock}}\n",
			want: "at '/steps/0/checks': got object, want array"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			if spec == "" {
				if !strings.Contains(schemaBaseSpec, tc.old) {
					t.Fatalf("schemaBaseSpec has no %q", tc.old)
				}
				spec = strings.Replace(schemaBaseSpec, tc.old, tc.new, 1)
			}
			if _, err := Parse("bad.yaml", []byte(spec)); err == nil {
				t.Errorf("the decoder accepts it, so the schema must too: fix the case")
			}
			err := sch.Validate(yamlToJSON(t, "bad.yaml", []byte(spec)))
			switch {
			case err == nil:
				t.Errorf("the schema accepts it:\n%s", spec)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("the schema rejects it, but not with %q:\n%v", tc.want, err)
			}
		})
	}
}

// The YAML language server reads descriptions: every field of the spec's own
// types has one, and every check kind is described.
func TestSchemaDescribesFields(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(SchemaJSON(), &s); err != nil {
		t.Fatal(err)
	}
	defs := s["$defs"].(map[string]any)
	objects := map[string]map[string]any{"Exercise": s}
	for _, typ := range []any{Step{}, Case{}, Call{}, Mutant{}, Requires{}} {
		name := reflect.TypeOf(typ).Name()
		def, ok := defs[name].(map[string]any)
		if !ok {
			t.Fatalf("no $defs/%s", name)
		}
		objects[name] = def
	}
	for name, obj := range objects {
		for prop, p := range obj["properties"].(map[string]any) {
			if d, _ := p.(map[string]any)["description"].(string); d == "" {
				t.Errorf("%s.%s has no description: add a doc comment to the Go field (or an entry in schemaDescriptions)", name, prop)
			}
		}
	}
	items := defs["checks"].(map[string]any)["items"].(map[string]any)
	if n := len(items["oneOf"].([]any)); n != len(checks.Kinds()) {
		t.Errorf("%d check branches for %d kinds", n, len(checks.Kinds()))
	}
	for _, kind := range checks.Kinds() {
		kt, _ := checks.KindType(kind)
		def, ok := defs[kt.Name()].(map[string]any)
		if !ok {
			t.Errorf("kind %s: no $defs/%s", kind, kt.Name())
			continue
		}
		if d, _ := def["description"].(string); !strings.HasPrefix(d, "The "+kind+" check ") {
			t.Errorf("kind %s: description %q", kind, d)
		}
		if req, _ := def["required"].([]any); len(req) != 1 || req[0] != kind {
			t.Errorf("kind %s: required = %v", kind, def["required"])
		}
	}
}

// editorKeywords are the keywords the schema may use: all of them mean the
// same in draft-07, which the YAML language server validates with.
var editorKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "$ref": true,
	"title": true, "description": true, "type": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "oneOf": true, "anyOf": true,
	"pattern": true, "minimum": true, "minItems": true, "maxItems": true, "minProperties": true, "propertyNames": true,
}

// TestSchemaSuitsEditors keeps the schema to keywords draft-07 tools know,
// and puts nothing but a description next to a $ref (draft-07 ignores
// siblings of $ref, so a pattern there would be lost in the editor).
func TestSchemaSuitsEditors(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(SchemaJSON(), &root); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		for k, v := range s {
			if !editorKeywords[k] {
				t.Errorf("%s: keyword %q", path, k)
			}
			switch k {
			case "properties", "$defs":
				for name, sub := range v.(map[string]any) {
					walk(path+"/"+k+"/"+name, sub.(map[string]any))
				}
			case "items", "additionalProperties", "propertyNames":
				if sub, ok := v.(map[string]any); ok {
					walk(path+"/"+k, sub)
				}
			case "oneOf", "anyOf":
				for i, sub := range v.([]any) {
					walk(fmt.Sprintf("%s/%s/%d", path, k, i), sub.(map[string]any))
				}
			case "$ref":
				for sibling := range s {
					if sibling != "$ref" && sibling != "description" {
						t.Errorf("%s: %q next to $ref", path, sibling)
					}
				}
			}
		}
	}
	walk("#", root)
}
