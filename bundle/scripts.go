package bundle

import (
	"bytes"
	"embed"
	"html"
	"strings"
	"text/template"
)

// scriptData fills the templates.
type scriptData struct {
	ID       string // the exercise's id
	Exercise string // the --exercise argument, shell-ready
	MinRedis string // "7.0", or "" for no minimum
	HasSpec  bool
	SpecFile string
	Files    string // the submission files, comma-separated
}

func (b *Bundle) data(dir string) scriptData {
	return scriptData{
		ID: b.Exercise.ID, Exercise: b.exerciseArg(dir), MinRedis: b.minRedis(),
		HasSpec: b.Spec != nil, SpecFile: SpecFile, Files: strings.Join(b.files(), ", "),
	}
}

// templates holds the scripts, image recipes and READMEs of the bundles,
// each a {{define}} named after the file it becomes.
//
//go:embed templates/*.tmpl
var templates embed.FS

var scripts = template.Must(template.New("").Funcs(template.FuncMap{
	"q":    shellQuote,
	"html": html.EscapeString,
}).ParseFS(templates, "templates/*.tmpl"))

// render fills one named template.
func render(name string, data any) []byte {
	var buf bytes.Buffer
	if err := scripts.ExecuteTemplate(&buf, name, data); err != nil {
		panic(err) // the templates are fixed: a failure is a bug, caught by the tests
	}
	return buf.Bytes()
}
