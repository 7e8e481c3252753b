package exercises

import (
	"bytes"
	_ "embed"
)

// Regenerate schema.json after changing a spec type (or its doc comments):
//
//go:generate go run ./schemagen -o schema.json -src ..

// SchemaID is the $id of the spec schema.
const SchemaID = "https://redisgrade.invalid/schema/exercise.json"

//go:embed schema.json
var schemaJSON []byte

// SchemaJSON returns the JSON Schema (draft 2020-12) of exercise specs, as
// committed in exercises/schema.json. It is generated from the Go types by
// ./schemagen, whose test keeps the two equal.
func SchemaJSON() []byte { return bytes.Clone(schemaJSON) }
