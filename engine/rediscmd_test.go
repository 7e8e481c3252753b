package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/rediscmd"
)

// TestCommandNamesAreTheServers: the names suggested to students are the
// commands a real redis-server lists.
func TestCommandNamesAreTheServers(t *testing.T) {
	names := rediscmd.Names()
	have := map[string]bool{}
	for _, n := range names {
		if n != strings.ToUpper(n) || strings.Contains(n, "|") {
			t.Errorf("name %q: want upper case, no subcommand", n)
		}
		have[n] = true
	}
	for _, n := range []string{"SET", "GET", "EVAL", "DECR", "INCR", "FCALL", "XADD", "CLIENT", "FUNCTION"} {
		if !have[n] {
			t.Errorf("%s missing from rediscmd.Names", n)
		}
	}
	srv := start(t, "process", Options{})
	c := adminClient(t, srv)
	listed, err := c.Do(context.Background(), "COMMAND", "LIST").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range listed {
		if strings.Contains(n, "|") {
			continue // a subcommand: its command is listed too
		}
		if !have[strings.ToUpper(n)] {
			t.Errorf("redis-server lists %s, rediscmd.Names does not", n)
		}
	}
}

// TestOlderFormsAreTheServers: every command redis-server says was replaced
// by another (COMMAND DOCS) is an older form of it in rediscmd's table, so
// that `uses: LMOVE` takes RPOPLPUSH; the table holds no command the server
// lacks.
func TestOlderFormsAreTheServers(t *testing.T) {
	srv := start(t, "process", Options{})
	c := adminClient(t, srv)
	// COMMAND DOCS in RESP2: name, then a flat list of its doc's fields and values.
	reply, err := c.Do(context.Background(), "COMMAND", "DOCS").Slice()
	if err != nil {
		t.Fatal(err)
	}
	replacedBy := map[string]string{}
	for i := 0; i+1 < len(reply); i += 2 {
		fields, _ := reply[i+1].([]any)
		for j := 0; j+1 < len(fields); j += 2 {
			if fields[j] == "replaced_by" {
				replacedBy[reply[i].(string)], _ = fields[j+1].(string)
			}
		}
	}
	if replacedBy["rpoplpush"] == "" {
		t.Fatalf("COMMAND DOCS gave no replaced_by for rpoplpush: %v", replacedBy)
	}
	older := map[string]string{}
	for _, newer := range rediscmd.Names() {
		newer = strings.ToLower(newer)
		for _, f := range rediscmd.Forms(newer)[1:] {
			older[f] = newer
			if _, ok := lookupExact(f); !ok {
				t.Errorf("%s, an older form of %s: no such command", f, newer)
			}
		}
	}
	for name, by := range replacedBy {
		newer, _, _ := strings.Cut(strings.Trim(by, "`"), "`")
		newer = strings.ToLower(strings.ReplaceAll(newer, " ", "|"))
		if older[name] != newer {
			t.Errorf("redis-server says %s is replaced by %q; rediscmd's older forms say %q", name, by, older[name])
		}
	}
}
