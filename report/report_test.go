package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sample is a report with a passing step, a failing one with expected and
// actual values and a why, a step with a note, and a probe's message.
func sample() *Report {
	return &Report{
		Exercise: "lua-atomicity", Title: "Why Lua scripts enable atomicity in Redis", Submission: "alice",
		Score: 2, MaxScore: 3, DurationMS: 42,
		Engine: Engine{Kind: "process", Server: "redis", Version: "7.0.15"},
		Steps: []Step{
			{ID: "setup", Title: "Set up the keys", File: "step1.redis", Passed: true, Score: 1, MaxScore: 1,
				Hint:   "Use SET.",
				Checks: []Check{{Name: "key stock equals \"100\"", Passed: true}}},
			{ID: "return-values", Title: "Return the values", File: "step4.lua", MaxScore: 1, Hint: "End with return {stock, sales}.",
				Checks: []Check{
					{Case: "stock=7 sales=3", Name: "reply is [6, 4]", Message: "the reply was [4, 6], expected [6, 4]: the values are right but in the wrong order",
						Expected: "[6, 4]", Actual: "[4, 6]", Why: "Stock comes first."},
					{Case: "stock=1 sales=41", Name: "reply is [0, 42]", Message: "the reply was [42, 0], expected [0, 42]",
						Expected: "[0, 42]", Actual: "[42, 0]", Why: "Stock comes first."},
				}},
			{ID: "run-atomically", Title: "Run it atomically", File: "step3.redis", Passed: true, Score: 1, MaxScore: 1,
				Note:   "the Redis server stopped during this step; it was replaced and the step graded again",
				Checks: []Check{{Name: "atomic under 8 concurrent clients", Passed: true, Message: "200 runs, 31 samples: all consistent"}}},
		},
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file, format string
		opts         Options
	}{
		{"report.txt", "text", Options{}},
		{"report-verbose.txt", "text", Options{Verbose: true}},
		{"report-color.txt", "text", Options{Color: true}},
		{"report.json", "json", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			w, err := Lookup(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := w(&buf, sample(), tt.opts); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file:\n%s", tt.file, buf.String())
			}
		})
	}
}

// The JSON output keeps the contract's field names.
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Exercise string  `json:"exercise"`
		Score    float64 `json:"score"`
		MaxScore float64 `json:"max_score"`
		Engine   struct {
			Kind, Version string
		} `json:"engine"`
		Steps []struct {
			ID       string  `json:"id"`
			Title    string  `json:"title"`
			Passed   *bool   `json:"passed"`
			Score    float64 `json:"score"`
			MaxScore float64 `json:"max_score"`
			Hint     *string `json:"hint"`
			Checks   []struct {
				Name    string  `json:"name"`
				Passed  *bool   `json:"passed"`
				Message *string `json:"message"`
			} `json:"checks"`
		} `json:"steps"`
	}
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Exercise != "lua-atomicity" || got.Score != 2 || got.MaxScore != 3 || got.Engine.Kind != "process" || got.Engine.Version != "7.0.15" {
		t.Errorf("top level: %+v", got)
	}
	s := got.Steps[1]
	if s.ID != "return-values" || s.Passed == nil || *s.Passed || s.Hint == nil || s.MaxScore != 1 {
		t.Errorf("step: %+v", s)
	}
	if c := s.Checks[0]; c.Passed == nil || c.Message == nil || *c.Message == "" {
		t.Errorf("check: %+v", c)
	}
}

func TestNoColorMeansNoEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := writeText(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
		t.Error("plain text output holds ANSI escapes")
	}
	buf.Reset()
	if err := writeText(&buf, sample(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
		t.Error("coloured output holds no ANSI escapes")
	}
}

func TestLookupUnknownFormat(t *testing.T) {
	if _, err := Lookup("yaml"); err == nil || err.Error() != `unknown format "yaml" (known: classroom, exercism, gradescope, json, junit, prairielearn, tap, text)` {
		t.Errorf("got %v", err)
	}
}

// Every format that says which server graded names Valkey as Valkey, by its own version, never as the
// Redis version it answers as.
func TestFormatsNameTheServer(t *testing.T) {
	valkey := sample()
	valkey.Engine = Engine{Kind: "process", Server: "valkey", Version: "8.1.1", Compatible: "7.2.4"}
	shown := 0
	for _, format := range Formats() {
		w, err := Lookup(format)
		if err != nil {
			t.Fatal(err)
		}
		var redisOut, valkeyOut bytes.Buffer
		if err := w(&redisOut, sample(), Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(redisOut.Bytes(), []byte("7.0.15")) {
			continue // this format does not show the engine
		}
		shown++
		if err := w(&valkeyOut, valkey, Options{}); err != nil {
			t.Fatal(err)
		}
		out := valkeyOut.String()
		switch {
		case format == "json":
			var r Report
			if err := json.Unmarshal(valkeyOut.Bytes(), &r); err != nil || r.Engine != valkey.Engine {
				t.Errorf("json: engine %+v, %v; want %+v", r.Engine, err, valkey.Engine)
			}
		case !strings.Contains(out, "Valkey 8.1.1") || strings.Contains(out, "Redis 8.1.1") || strings.Contains(out, "Redis 7.2.4"):
			t.Errorf("%s does not name Valkey 8.1.1 as Valkey:\n%s", format, out)
		case !strings.Contains(redisOut.String(), "Redis 7.0.15"):
			t.Errorf("%s does not name Redis 7.0.15 as Redis:\n%s", format, redisOut.String())
		}
	}
	if shown < 5 {
		t.Errorf("%d formats show the engine; text, json, junit, gradescope, prairielearn and tap do", shown)
	}
}
