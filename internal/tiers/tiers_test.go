package tiers

import (
	"fmt"
	"strings"
	"testing"
)

// ending records how a test was ended, instead of ending it.
type ending struct {
	testing.TB
	how, msg string
}

func (e *ending) Fatalf(format string, args ...any) {
	e.how, e.msg = "failed", fmt.Sprintf(format, args...)
}
func (e *ending) Skipf(format string, args ...any) {
	e.how, e.msg = "skipped", fmt.Sprintf(format, args...)
}

func TestMissingSkipsUnlessAll(t *testing.T) {
	for _, tt := range []struct{ env, how string }{{"", "skipped"}, {"0", "skipped"}, {"1", "failed"}} {
		t.Setenv(EnvAll, tt.env)
		e := &ending{TB: t}
		Missing(e, "fish is not installed: %s", "apt-get install fish")
		if e.how != tt.how || !strings.HasPrefix(e.msg, "fish is not installed: apt-get install fish (") {
			t.Errorf("%s=%q: %s %q, want %s with the install message", EnvAll, tt.env, e.how, e.msg, tt.how)
		}
	}
}

func TestNeeds(t *testing.T) {
	t.Setenv(EnvAll, "1")
	e := &ending{TB: t}
	if path := Needs(e, "sh", "install a shell"); e.how != "" || path == "" {
		t.Errorf("Needs(sh) = %q, ended %s %q", path, e.how, e.msg)
	}
	Needs(e, "redisgrade-no-such-tool", "apt-get install nothing")
	if e.how != "failed" || !strings.Contains(e.msg, "redisgrade-no-such-tool is not installed: apt-get install nothing") {
		t.Errorf("Needs(missing) ended %s %q", e.how, e.msg)
	}
}
