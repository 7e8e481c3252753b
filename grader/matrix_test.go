package grader

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/redistest/versions"
)

// checkIdentity fails the test unless the engine's server is the one the matrix names: the report names
// Valkey as Valkey, by its own version.
func checkIdentity(t *testing.T, s versions.Server, info engine.Info) {
	t.Helper()
	if info.Server != s.Kind() || info.Version != s.Version() {
		t.Fatalf("%s: the engine says it runs %s %s (compatible %q)", s.Name, info.Server, info.Version, info.Compatible)
	}
}

// disagreements lists, per example and step, the servers that gave different verdicts, with each
// failing server's reason. Servers that refused the exercise are left out.
func disagreements(labels []string, results []map[string]map[string]verdict) []string {
	type key struct{ example, step string }
	seen := map[key]bool{}
	var keys []key
	for _, r := range results {
		for ex, steps := range r {
			for step := range steps {
				if k := (key{ex, step}); !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].example < keys[j].example || keys[i].example == keys[j].example && keys[i].step < keys[j].step
	})
	var out []string
	for _, k := range keys {
		by := map[string][]string{}
		var why []string
		for i, r := range results {
			v, ok := r[k.example][k.step]
			if !ok {
				continue
			}
			by[v.is] = append(by[v.is], labels[i])
			if v.why != "" {
				why = append(why, fmt.Sprintf("  on %s: %s", labels[i], v.why))
			}
		}
		if len(by) < 2 {
			continue
		}
		var parts []string
		for _, is := range []string{"pass", "fail", "not graded"} {
			if len(by[is]) > 0 {
				parts = append(parts, is+" on "+strings.Join(by[is], ", "))
			}
		}
		out = append(out, fmt.Sprintf("%s step %s: the servers disagree: %s\n%s", k.example, k.step, strings.Join(parts, "; "), strings.Join(why, "\n")))
	}
	return out
}

// The side-by-side comparison names the example, the step, which servers said what, and why.
func TestDisagreementsSayWhereAndWhy(t *testing.T) {
	results := []map[string]map[string]verdict{
		{"scan/correct": {"walk": {is: "pass"}, "keys": {is: "pass"}}},
		{"scan/correct": {"walk": {is: "fail", why: "✘ counts every key once: 8 keys counted, expected 12"}, "keys": {is: "pass"}}},
		{}, // refused the exercise: left out
	}
	got := disagreements([]string{"redis-7.0.15", "valkey-8.1.1", "valkey-8.0.1"}, results)
	want := "scan/correct step walk: the servers disagree: pass on redis-7.0.15; fail on valkey-8.1.1\n  on valkey-8.1.1: ✘ counts every key once: 8 keys counted, expected 12"
	if len(got) != 1 || got[0] != want {
		t.Errorf("disagreements = %q\nwant [%q]", got, want)
	}
}
