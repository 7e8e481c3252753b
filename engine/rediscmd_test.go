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
