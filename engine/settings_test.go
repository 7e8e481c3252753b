package engine

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every real engine runs with every one of serverSettings, read back with CONFIG GET: the docker engine once
// started redis-server with a copy of the list that had lost the output-buffer limit and the DEBUG, MODULE
// and protected-config switches.
func TestServerSettings(t *testing.T) {
	for _, kind := range []string{KindProcess, KindDocker} {
		t.Run(kind, func(t *testing.T) {
			if kind == KindDocker {
				checkSettings(t, startDocker(t, Options{}))
			} else {
				checkSettings(t, start(t, kind, Options{}))
			}
		})
	}
}

// checkSettings reads every setting of serverSettings back from a running server, and checks the
// start-up-only switches by their effect.
func checkSettings(t *testing.T, srv Server) {
	admin := connect(t, srv, 0)
	ctx := bg(t)
	for _, s := range serverSettings(defaultMaxMemory) {
		got, err := admin.ConfigGet(ctx, s.name).Result()
		if err != nil {
			t.Errorf("CONFIG GET %s: %v", s.name, err)
			continue
		}
		want := configFields(s.value)
		if have := strings.Fields(got[s.name]); len(have) < len(want) || !slices.Equal(have[:len(want)], want) {
			t.Errorf("CONFIG GET %s = %q, want it to start with %q (set as %q)", s.name, got[s.name], strings.Join(want, " "), s.value)
		}
	}
	// The startup-only switches also by their effect, on the grader's own connection.
	for _, cmd := range [][]any{{"DEBUG", "SLEEP", "0"}, {"MODULE", "LOAD", "/nonexistent.so"}} {
		if err := admin.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("admin %v: %v, want it refused as not allowed", cmd, err)
		}
	}
}

// configFields is a setting's value as CONFIG GET shows it: sizes in bytes.
func configFields(value string) []string {
	fields := strings.Fields(value)
	for i, f := range fields {
		if n, err := parseMemory(f); err == nil && strings.ContainsAny(f, "kmgbKMGB") {
			fields[i] = strconv.FormatInt(n, 10)
		}
	}
	return fields
}
