package exercises

import (
	"errors"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// FuzzParseSpec feeds the spec loader arbitrary text: it must never panic, a
// spec it accepts must be usable, and every error it gives must name the file
// (and a line where there is one). Seeds: testdata/fuzz/FuzzParseSpec, a few
// hundred bytes each, one feature of the format each. Not the shipped specs:
// at 7-16 KB, every input that found new code was minimized byte by byte for
// up to a minute, so a 15 s run did about 1 exec/s ("0/sec").
func FuzzParseSpec(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := Parse("f.yaml", data)
		if err != nil {
			var es yamlstrict.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error of type %T, want yamlstrict.Errors: %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if len(ex.Steps) == 0 || ex.ID == "" {
			t.Fatalf("accepted a spec with no id or steps: %+v", ex)
		}
		for _, s := range ex.Steps {
			if s.File == "" {
				t.Fatalf("accepted a step without a file: %+v", s)
			}
			for _, c := range s.RunCases() {
				if len(c.Checks) == 0 {
					t.Fatalf("accepted a case without checks in step %s", s.ID)
				}
			}
		}
	})
}
