package bench

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/redistest"
)

func TestParseRESPCommand(t *testing.T) {
	in := []byte("*2\r\n$3\r\nGET\r\n$5\r\nstock\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET")
	cmd, rest, ok := parseRESPCommand(in)
	if !ok || !reflect.DeepEqual(cmd, []string{"GET", "stock"}) {
		t.Fatalf("first: %q %v", cmd, ok)
	}
	cmd, rest, ok = parseRESPCommand(rest)
	if !ok || !reflect.DeepEqual(cmd, []string{"PING"}) {
		t.Fatalf("second: %q %v", cmd, ok)
	}
	if _, _, ok = parseRESPCommand(rest); ok {
		t.Fatal("a command cut short parsed")
	}
	// A bulk string may hold CRLF: its length, not a line end, bounds it.
	cmd, _, ok = parseRESPCommand([]byte("*2\r\n$4\r\nEVAL\r\n$6\r\na\r\nb\r\n\r\n"))
	if !ok || cmd[1] != "a\r\nb\r\n" {
		t.Fatalf("CRLF in an argument: %q %v", cmd, ok)
	}
}

// TestMeasureFloor captures one grading of the correct example on the
// wire: the probe's 200 EVALs, a reset per case, and the connections.
func TestMeasureFloor(t *testing.T) {
	old := floorRuns
	floorRuns = 3
	defer func() { floorRuns = old }()
	ex := loadExercise(t)
	f, err := MeasureFloor(context.Background(), ex, filepath.Join(examplesDir, "correct"), redistest.ProcessEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	count := func(c Capture, name string) int {
		n := 0
		for _, cmd := range c.Commands {
			if strings.EqualFold(cmd[0], name) {
				n++
			}
		}
		return n
	}
	// 8 cases (1 + 3 + 1 + 3), each reset first; the serializable probe
	// restarts its case once, then writes the starting state itself before
	// each order it runs.
	if f.Capture.Resets != 9 || f.NoProbe.Resets != 8 {
		t.Errorf("resets %d and %d without the probe, want 9 and 8", f.Capture.Resets, f.NoProbe.Resets)
	}
	// 3 + 1 + 3 EVALs of the student's files (steps 2 to 4), then the
	// probe's: one EVAL is one unit, so the two serial orders beside the
	// dashboard's MGET are every order there is.
	probeRuns := 2
	if got := count(f.Capture, "EVAL"); got != 7+probeRuns {
		t.Errorf("%d EVAL captured, want %d", got, 7+probeRuns)
	}
	if got := count(f.NoProbe, "EVAL"); got != 7 {
		t.Errorf("%d EVAL without the probe, want 7", got)
	}
	for _, cmd := range f.Capture.Commands {
		if up := strings.ToUpper(cmd[0]); up == "AUTH" || up == "HELLO" {
			t.Errorf("connection set-up captured as a command: %q", cmd)
		}
	}
	// The session was warmed up: it reuses the student's connections (the
	// probe's two clients included).
	if f.Capture.Connections >= 3 || f.NoProbe.Connections != 0 {
		t.Errorf("%d new connections (%d without the probe): a warm session should reuse its connections", f.Capture.Connections, f.NoProbe.Connections)
	}
	// The snapshot after each case is one round trip of several commands:
	// INFO commandstats, then TYPE, GET and TTL of each key the checks read.
	n := 0
	for _, trip := range f.Capture.Trips {
		n += len(trip)
		if strings.EqualFold(trip[0][0], "INFO") && len(trip) != 1+3*2 {
			t.Errorf("snapshot round trip %q: want INFO then 3 reads of stock and sales", trip)
		}
	}
	if n != len(f.Capture.Commands) || len(f.Capture.Trips) >= n {
		t.Errorf("%d round trips hold %d commands, of %d captured: want fewer trips than commands, every command in one", len(f.Capture.Trips), n, len(f.Capture.Commands))
	}
	if f.Grading <= 0 || f.Straight <= 0 || f.Resets <= 0 || f.GradingNoProbe <= 0 {
		t.Errorf("timings %+v", f)
	}
	var out bytes.Buffer
	f.Print(&out)
	for _, want := range []string{fmt.Sprintf("EVAL %d,", 7+probeRuns), "the same sent straight to the same server", "grader overhead", "the probe: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("floor output lacks %q:\n%s", want, out.String())
		}
	}
}
