package grader

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/redistest/versions"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/report/reporttest"
	"github.com/redisgrade/redisgrade/submissions"
)

var update = flag.Bool("update", false, "rewrite the feedback transcripts in testdata/transcripts/")

// admittingServer is a session on the first server of the version matrix
// that an exercise the machine's redis-server is too old for admits
// (skipped, or failed under REDISGRADE_TEST_ALL=1, without the matrix).
func admittingServer(t *testing.T, ex *exercises.Exercise, sessions map[string]*Session) *Session {
	t.Helper()
	for _, s := range versions.Servers(t) {
		sess, ok := sessions[s.Name]
		if !ok {
			eng, _, err := engine.New(t.Context(), engine.KindProcess, engine.Options{RedisServer: s.Path})
			if err != nil {
				t.Fatal(err)
			}
			if sess, err = NewSession(context.Background(), eng); err != nil {
				t.Fatal(err)
			}
			sessions[s.Name] = sess
		}
		if info := sess.Info(); ex.Requires.Admits(info.Server, info.Version, info.Compatible) {
			return sess
		}
	}
	t.Fatalf("no server of the version matrix admits %s (requires %+v)", ex.ID, ex.Requires)
	return nil
}

// TestFeedbackTranscripts pins the feedback students read: for every example
// submission, what `redisgrade grade --color never` prints for it on the
// process engine is kept in testdata/transcripts/EXERCISE/EXAMPLE.txt, with
// what varies from run to run (time, the server's version, race counts) as
// placeholders. A change to a message, a hint, a mistake's explanation or
// the layout shows here as a diff per example; once read and meant,
// `go test ./grader -run TestFeedbackTranscripts -update` rewrites them.
func TestFeedbackTranscripts(t *testing.T) {
	root := filepath.Join("..", "submissions", "examples")
	dirs, err := filepath.Glob(filepath.Join(root, "*", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples under %s: %v", root, err)
	}
	sess, err := NewSession(context.Background(), testEngine(t, engine.KindProcess))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	write, err := report.Lookup("text")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}       // the transcripts there should be
	others := map[string]*Session{} // the version matrix's servers, for exercises the machine's refuses
	defer func() {
		for _, o := range others {
			o.Close()
		}
	}()
	for _, dir := range dirs {
		name := filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir))
		golden := filepath.Join("testdata", "transcripts", name+".txt")
		want[golden] = true
		t.Run(name, func(t *testing.T) {
			ex, err := exercises.Load(filepath.Base(filepath.Dir(dir)))
			if err != nil {
				t.Fatal(err)
			}
			sub, err := submissions.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			on := sess
			if info := sess.Info(); !ex.Requires.Admits(info.Server, info.Version, info.Compatible) {
				on = admittingServer(t, ex, others)
			}
			rep, err := on.Grade(ctx, ex, sub, Options{})
			if err != nil {
				t.Fatalf("grade: %v", err)
			}
			var out bytes.Buffer
			if err := write(&out, rep, report.Options{}); err != nil {
				t.Fatal(err)
			}
			got := scrubUnstable(name, reporttest.Scrub(out.String()))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			kept, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./grader -run TestFeedbackTranscripts -update writes it)", err)
			}
			if string(kept) != got {
				t.Errorf("the feedback for %s changed (- kept in %s, + printed now; -update rewrites it):\n%s", name, golden, lineDiff(string(kept), got))
			}
		})
	}
	// A transcript whose example is gone (renamed, removed) goes too.
	kept, _ := filepath.Glob(filepath.Join("testdata", "transcripts", "*", "*.txt"))
	for _, file := range kept {
		if !want[file] {
			if *update {
				os.Remove(file)
				continue
			}
			t.Errorf("%s has no example under %s any more (-update removes it)", file, root)
		}
	}
}

// unstable are the parts of some examples' feedback that a real Redis makes
// differ from run to run, beyond what reporttest.Scrub replaces; each is
// compared as a placeholder, or in an order of its own. example "" is every
// example.
var unstable = []struct {
	example string
	re      *regexp.Regexp
	with    func(match string) string
}{
	// A set and the key space have no order: SMEMBERS, SUNION, KEYS answer in the order of the server's hash seed,
	// drawn at each start. Their members are compared sorted.
	{"", regexp.MustCompile(`\b(KEYS|SMEMBERS|SUNION|SINTER|SDIFF) → \[[^\]]*\]`), sortMembers},
	// PTTL right after SET ... PX: a millisecond may have passed, or not.
	{"session-expiry/milliseconds", regexp.MustCompile(`PTTL → \d+|(PTTL \([^)]*\) returned )\d+`), placeholder},
	// Which keys the first SCAN page holds depends on the hash seed: so does how many the walk that stops there
	// counts or deletes, and which it leaves.
	{"scan-pagination/first-page-only", regexp.MustCompile(`the reply was \d+|unexpected keys .*|actual: +\[.*`), placeholder},
	// And so does whether step 3 is named as the known mistake: the mutant's first page and the student's may
	// leave different numbers of carts, so their signatures differ in some runs (the name comes and goes).
	{"scan-pagination/first-page-only", regexp.MustCompile(`(?m)^    This looks like a known mistake: only the first page deleted\..*\n`), drop},
	// A stream id XADD * made is the clock's milliseconds.
	{"", regexp.MustCompile(`\b\d{13}-\d+\b`), func(string) string { return "<clock>-N" }},
}

func scrubUnstable(example, text string) string {
	for _, u := range unstable {
		if u.example == "" || u.example == filepath.ToSlash(example) {
			text = u.re.ReplaceAllStringFunc(text, u.with)
		}
	}
	return text
}

// sortMembers sorts the list in `SMEMBERS → ["b", "a"]`.
func sortMembers(s string) string {
	head, list, _ := strings.Cut(s, "[")
	members := strings.Split(strings.TrimSuffix(list, "]"), ", ")
	slices.Sort(members)
	return head + "[" + strings.Join(members, ", ") + "]"
}

func drop(string) string { return "" }

// placeholder keeps a match's words and puts N for the number it ends in and … for its lists.
func placeholder(s string) string {
	s = regexp.MustCompile(`\[.*`).ReplaceAllString(s, "[…]")
	s = regexp.MustCompile(`"[^"]*"(, "[^"]*")*`).ReplaceAllString(s, "…")
	return regexp.MustCompile(`\d+$`).ReplaceAllString(s, "N")
}

// lineDiff shows how b differs from a, line by line: common lines indented,
// lines only in a with "-", lines only in b with "+" (a longest common
// subsequence; transcripts are short).
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			fmt.Fprintf(&out, "  %s\n", x[i])
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(&out, "- %s\n", x[i])
			i++
		default:
			fmt.Fprintf(&out, "+ %s\n", y[j])
			j++
		}
	}
	return out.String()
}
