package cmdstats

import (
	"maps"
	"testing"
)

func TestParse(t *testing.T) {
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
			if got := Parse(tt.info); !maps.Equal(got, tt.want) {
				t.Errorf("Parse = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	calls := map[string]int64{"incr": 2, "decr": 1, "config|resetstat": 1, "zero": 0}
	out := Format(calls)
	want := "# Commandstats\r\n" +
		"cmdstat_config|resetstat:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_decr:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_incr:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n"
	if out != want {
		t.Errorf("Format =\n%q\nwant\n%q", out, want)
	}
	delete(calls, "zero")
	if got := Parse(out); !maps.Equal(got, calls) {
		t.Errorf("round trip = %v, want %v", got, calls)
	}
}
