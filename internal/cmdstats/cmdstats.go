// Package cmdstats reads and writes the text of INFO commandstats: the
// checks read what a student's commands cost from it, and the emulator
// answers it as Redis 7 does. It sits below both, so neither imports the
// other for it.
package cmdstats

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Parse reads the reply of INFO commandstats (or of a bare INFO that includes that section) and
// returns the number of calls per command, keyed like Redis names them: "incr", "script|load".
// Lines it does not understand are skipped: INFO is free-form, and a report must not fail on a new field.
func Parse(info string) map[string]int64 {
	calls := map[string]int64{}
	for line := range strings.Lines(info) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_")
		if !ok {
			continue
		}
		name, fields, ok := strings.Cut(rest, ":")
		if !ok || name == "" {
			continue
		}
		for field := range strings.SplitSeq(fields, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					calls[name] = n
				}
				break
			}
		}
	}
	return calls
}

// Format renders calls the way Redis 7 renders INFO commandstats, sorted by name for stable output.
// Times and rejected/failed calls are not measured by the emulator and are 0.
func Format(calls map[string]int64) string {
	var b strings.Builder
	b.WriteString("# Commandstats\r\n")
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		if calls[name] == 0 {
			continue
		}
		fmt.Fprintf(&b, "cmdstat_%s:calls=%d,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n", name, calls[name])
	}
	return b.String()
}
