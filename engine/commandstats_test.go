package engine

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestParseCommandStats(t *testing.T) {
	tests := []struct {
		name string
		info string
		want map[string]int64
	}{
		{"empty", "", map[string]int64{}},
		{"header only", "# Commandstats\r\n", map[string]int64{}},
		{
			"redis 7",
			"# Commandstats\r\n" +
				"cmdstat_decr:calls=1,usec=3,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n" +
				"cmdstat_script|load:calls=12,usec=40,usec_per_call=3.33,rejected_calls=1,failed_calls=0\r\n" +
				"cmdstat_incr:calls=2,usec=1,usec_per_call=0.50,rejected_calls=0,failed_calls=0\r\n",
			map[string]int64{"decr": 1, "script|load": 12, "incr": 2},
		},
		{"redis 6 fields, lf ends", "cmdstat_get:calls=7,usec=2,usec_per_call=0.29\n", map[string]int64{"get": 7}},
		{"calls not first", "cmdstat_set:usec=2,calls=3\r\n", map[string]int64{"set": 3}},
		{
			"inside a full INFO",
			"# Server\r\nredis_version:7.0.15\r\n\r\n# Commandstats\r\ncmdstat_ping:calls=4,usec=1\r\n\r\n# Errorstats\r\nerrorstat_ERR:count=1\r\n",
			map[string]int64{"ping": 4},
		},
		{
			"malformed lines skipped",
			"cmdstat_:calls=1\r\ncmdstat_x\r\ncmdstat_y:calls=many\r\ncmdstat_z:usec=1\r\ncmdstat_ok:calls=1\r\n",
			map[string]int64{"ok": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseCommandStats(tt.info); !maps.Equal(got, tt.want) {
				t.Errorf("ParseCommandStats = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatCommandStatsRoundTrip(t *testing.T) {
	calls := map[string]int64{"incr": 2, "decr": 1, "config|resetstat": 1, "zero": 0}
	out := formatCommandStats(calls)
	want := "# Commandstats\r\n" +
		"cmdstat_config|resetstat:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_decr:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_incr:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n"
	if out != want {
		t.Errorf("formatCommandStats =\n%q\nwant\n%q", out, want)
	}
	delete(calls, "zero")
	if got := ParseCommandStats(out); !maps.Equal(got, calls) {
		t.Errorf("round trip = %v, want %v", got, calls)
	}
}

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
	if p := ParseCommandStats(info); p["decr"] != 1 || p["info"] != 0 {
		t.Errorf("INFO COMMANDSTATS parsed = %v; want decr 1 and no info yet", p)
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	info, err = c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	if p := ParseCommandStats(info); !maps.Equal(p, map[string]int64{"config|resetstat": 1}) {
		t.Errorf("after CONFIG RESETSTAT: %v, want only config|resetstat", p)
	}
	// Other sections still reach miniredis.
	if info, err := c.Info(ctx, "clients").Result(); err != nil || !strings.Contains(info, "connected_clients") {
		t.Errorf("INFO clients = %q, %v", info, err)
	}
}
