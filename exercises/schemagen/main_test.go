package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
)

var updateSchema = flag.Bool("update", false, "rewrite schema.json from the Go types")

// generatedSchema builds the schema from the types and this module's doc comments.
func generatedSchema(t *testing.T) []byte {
	t.Helper()
	got, err := generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSchemaUpToDate fails when the committed schema.json differs from what
// the Go types give, so that it can never drift from them.
func TestSchemaUpToDate(t *testing.T) {
	got := generatedSchema(t)
	if *updateSchema {
		if err := os.WriteFile("../schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile("../schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, got) {
		t.Fatalf("exercises/schema.json is out of date with the spec types (%s): run `go generate ./exercises` (or this test with -update)",
			firstDifference(committed, got))
	}
	if !bytes.Equal(exercises.SchemaJSON(), committed) {
		t.Fatal("SchemaJSON() differs from exercises/schema.json: the embedded copy is stale (rebuild)")
	}
	// Without the sources (the binary) only descriptions may be missing.
	bare, err := generate("")
	if err != nil {
		t.Fatal(err)
	}
	if stripDescriptions(t, bare) != stripDescriptions(t, got) {
		t.Error("the schema's structure depends on reading the sources")
	}
}

func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d is %q, the types give %q", i+1, strings.TrimSpace(x), strings.TrimSpace(y))
		}
	}
	return "same lines"
}

func stripDescriptions(t *testing.T, data []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "description")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, _ := json.Marshal(v)
	return string(out)
}

// The hand-kept tables name fields that exist, so that they cannot rot.
func TestSchemaTablesNameFields(t *testing.T) {
	types := map[string]reflect.Type{}
	for _, v := range []any{exercises.Exercise{}, exercises.Step{}, exercises.Case{}, exercises.Call{}, exercises.Mutant{}, exercises.Requires{}} {
		types[reflect.TypeOf(v).Name()] = reflect.TypeOf(v)
	}
	for _, table := range []map[string]bool{schemaTableKeys(schemaExtra), schemaTableKeys(schemaDescriptions)} {
		for key := range table {
			typ, field, _ := strings.Cut(key, ".")
			rt, ok := types[typ]
			if !ok {
				t.Errorf("%s: no type %s", key, typ)
				continue
			}
			if _, ok := rt.FieldByName(field); !ok {
				t.Errorf("%s: no field %s", key, field)
			}
		}
	}
}

func schemaTableKeys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
