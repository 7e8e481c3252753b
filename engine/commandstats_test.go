package engine

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/cmdstats"
)

func TestStatName(t *testing.T) {
	tests := []struct {
		cmd  string
		args []string
		want string
	}{
		{"INCR", []string{"n"}, "incr"},
		{"SCRIPT", []string{"LOAD", "return 1"}, "script|load"},
		{"CONFIG", []string{"ResetStat"}, "config|resetstat"},
		{"CLIENT", nil, "client"},
		{"EVAL", []string{"return 1", "0"}, "eval"},
	}
	for _, tt := range tests {
		if got := statName(tt.cmd, tt.args); got != tt.want {
			t.Errorf("statName(%q, %q) = %q, want %q", tt.cmd, tt.args, got, tt.want)
		}
	}
}

// TestPreHookSeesLua checks, in-process, what the embedded child relies on: miniredis runs a script's
// redis.call through Server.Dispatch, so the pre-hook counts the commands a script runs.
func TestPreHookSeesLua(t *testing.T) {
	m := miniredis.RunT(t)
	stats := newCommandStats(m.Server().IsRegisteredCommand)
	m.Server().SetPreHook(stats.hook)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), Protocol: 2, DisableIdentity: true})
	defer c.Close()
	ctx := context.Background()

	if err := c.Eval(ctx, "redis.call('DECR','stock') redis.call('INCR','sales') return redis.call('NOSUCH')", nil).Err(); err == nil {
		t.Fatal("EVAL of an unknown command: no error")
	}
	stats.mu.Lock()
	got := maps.Clone(stats.calls)
	stats.mu.Unlock()
	want := map[string]int64{"hello": 1, "eval": 1, "decr": 1, "incr": 1} // NOSUCH is not a command: not counted
	if !maps.Equal(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}

	info, err := c.Info(ctx, "COMMANDSTATS").Result()
	if err != nil {
		t.Fatal(err)
	}
	if p := cmdstats.Parse(info); p["decr"] != 1 || p["info"] != 0 {
		t.Errorf("INFO COMMANDSTATS parsed = %v; want decr 1 and no info yet", p)
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	info, err = c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	if p := cmdstats.Parse(info); !maps.Equal(p, map[string]int64{"config|resetstat": 1}) {
		t.Errorf("after CONFIG RESETSTAT: %v, want only config|resetstat", p)
	}
	// Other sections still reach miniredis.
	if info, err := c.Info(ctx, "clients").Result(); err != nil || !strings.Contains(info, "connected_clients") {
		t.Errorf("INFO clients = %q, %v", info, err)
	}
}
