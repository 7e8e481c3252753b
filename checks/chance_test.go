package checks

import (
	"testing"

	"github.com/redisgrade/redisgrade/submissions"
)

func sent(lines ...[]string) []submissions.Command {
	var cmds []submissions.Command
	for i, args := range lines {
		cmds = append(cmds, submissions.Command{Line: i + 1, Args: args})
	}
	return cmds
}

// A run is left to chance when it sends a command whose outcome the server
// draws, or when a script it runs calls one (only the statistics say so).
func TestByChance(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  *Env
		want bool
	}{
		{"no env", nil, false},
		{"plain reads", &Env{Sent: sent([]string{"get", "k"}), Stats: map[string]int64{"get": 1}}, false},
		{"scan sent", &Env{Sent: sent([]string{"scan", "0"})}, true},
		{"srandmember sent", &Env{Sent: sent([]string{"SRANDMEMBER", "s"})}, true},
		{"script that scans", &Env{Sent: sent([]string{"EVAL", "...", "0"}), Stats: map[string]int64{"eval": 1, "scan": 2}}, true},
		{"script that does not", &Env{Sent: sent([]string{"EVAL", "...", "0"}), Stats: map[string]int64{"eval": 1, "get": 2}}, false},
	} {
		if got := tt.env.ByChance(); got != tt.want {
			t.Errorf("%s: ByChance() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// What a run left to chance says of how far off it is varies from server to
// server: a walk that stops after its first SCAN page finds 0, 1 or 2 of 3
// keys. Its shape keeps the direction only, so the same mistake has one
// fingerprint on every server; without chance the distance stays.
func TestShapeUnderChance(t *testing.T) {
	scan := &Env{Sent: sent([]string{"EVAL", "...", "0"}), Stats: map[string]int64{"eval": 1, "scan": 1}}
	plain := &Env{Sent: sent([]string{"EVAL", "...", "0"}), Stats: map[string]int64{"eval": 1, "get": 1}}
	var shapes []string
	for _, got := range []int64{0, 1, 2} {
		shapes = append(shapes, ReplyShape(Int(got), Int(3), scan))
	}
	for _, s := range shapes {
		if s != "int<" {
			t.Errorf("under chance, replies 0, 1, 2 for 3 have shapes %q, want all %q", shapes, "int<")
			break
		}
	}
	if got := ReplyShape(Int(1), Int(3), plain); got != "int-2" {
		t.Errorf("without chance, reply 1 for 3 has shape %q, want %q", got, "int-2")
	}
	if got := ReplyShape(Int(4), Int(3), scan); got != "int>" {
		t.Errorf("under chance, reply 4 for 3 has shape %q, want %q", got, "int>")
	}

	calls := &CallsCheck{Calls: Counts{{Name: "eval", N: 1}}}
	scan.Stats = map[string]int64{"eval": 2, "scan": 3}
	if got, want := calls.shape(scan), "EVAL>"; got[:len(want)] != want || containsDigit(got) {
		t.Errorf("under chance, calls shape %q: want %q and no counts", got, want)
	}
	plain.Stats = map[string]int64{"eval": 2, "get": 3}
	if got := calls.shape(plain); got != "EVAL+1 also GET×3" {
		t.Errorf("without chance, calls shape %q, want %q", got, "EVAL+1 also GET×3")
	}
}

func containsDigit(s string) bool {
	for _, r := range s {
		if '0' <= r && r <= '9' {
			return true
		}
	}
	return false
}

// What a run left to chance saw is no part of the answer: its failures
// carry no detail into the fingerprint.
func TestDetailUnderChance(t *testing.T) {
	ch := &ReplyCheck{}
	r := Result{Actual: `"product:12"`}
	if got := Detail(ch, &Env{Sent: sent([]string{"get", "k"})}, r); got == "" {
		t.Fatal("without chance the detail is kept, got none")
	}
	if got := Detail(ch, &Env{Sent: sent([]string{"RANDOMKEY"})}, r); got != "" {
		t.Errorf("under chance the detail is %q, want none", got)
	}
}

// The statistics, which alone show a script's calls, are read for every run
// that runs a script, whatever the checks read.
func TestPlanReadsStatsForScripts(t *testing.T) {
	if PlanReads(nil, sent([]string{"GET", "k"})).stats {
		t.Error("a run of plain commands with no check of calls reads the statistics")
	}
	for _, name := range []string{"EVAL", "evalsha", "FCALL", "EVAL_RO"} {
		if !PlanReads(nil, sent([]string{"SET", "k", "1"}, []string{name, "x", "0"})).stats {
			t.Errorf("a run that sends %s does not read the statistics", name)
		}
	}
}
