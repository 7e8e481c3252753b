package batch

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/tiers"
)

var update = flag.Bool("update", false, "write the report's screenshot to docs/batch-report.png")

const screenshotPath = "../docs/batch-report.png"

// chromium finds the browser; on a machine without it the test is skipped
// (failed under REDISGRADE_TEST_ALL=1), saying how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	return tiers.Needs(t, "chromium", "apt-get install -y chromium (the class report is checked in a real browser)")
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportInChromium renders a real class report in headless Chromium and
// checks what is on the page, then takes the README's screenshot.
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	ex := loadExercise(t)
	_, _, out := gradeClass(t, 2*len(loadExamples(t)), Options{}, map[string][]byte{
		"broken.zip":  []byte("not a zip"),
		"nadia.tgz":   []byte("not gzip either"),
		"readme.docx": []byte("?"),
	})
	page := filepath.Join(out, ReportFile)
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing to fetch, nothing to run.
	for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "url(", "<img"} {
		if bytes.Contains(bytes.ToLower(html), []byte(bad)) {
			t.Errorf("report.html contains %q: it must be self-contained", bad)
		}
	}

	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	log, err := ReadResults(filepath.Join(out, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	st := Stats(ex, log.Results, RunInfo{})
	// One histogram bar per score, each with its count, as the browser sees it.
	bins := regexp.MustCompile(`<g class="bin" data-score="([^"]+)" data-count="(\d+)">`).FindAllStringSubmatch(dom, -1)
	if len(bins) != len(st.Histogram) {
		t.Fatalf("%d histogram bars on the page, want %d:\n%s", len(bins), len(st.Histogram), dom)
	}
	for i, b := range st.Histogram {
		if bins[i][1] != b.Label || bins[i][2] != fmt.Sprint(b.Count) {
			t.Errorf("bar %d shows score %s count %s, want %s and %d", i, bins[i][1], bins[i][2], b.Label, b.Count)
		}
	}
	if !regexp.MustCompile(`<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[1-9][\d.]*"`).MatchString(dom) {
		t.Error("no histogram bar has a height")
	}
	// Every step, with its pass rate.
	for _, s := range st.Steps {
		row := fmt.Sprintf(`<tr class="step" data-step="%s" data-rate="%.0f%%">`, s.ID, 100*s.Rate)
		if !strings.Contains(dom, row) || !strings.Contains(dom, s.Title) {
			t.Errorf("step %s: no row %s with its title on the page", s.ID, row)
		}
	}
	// The most common failing check, with an example message; the errors;
	// the engine.
	top := st.Failing[0]
	for _, want := range []string{
		"Most common failures", templateEscape(top.Check), templateEscape(top.Example),
		"Could not be graded", "broken", "nadia", "readme.docx",
		"Engine and timing", "process Redis 7.", "passed every step",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,1600", "file://"+page)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if cfg.Width != 1200 || cfg.Height != 1600 {
		t.Errorf("screenshot is %dx%d, want 1200x1600", cfg.Width, cfg.Height)
	}
	if len(data) >= 300<<10 {
		t.Errorf("screenshot is %d KB, want < 300 KB for the README", len(data)>>10)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(screenshotPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d KB)", screenshotPath, len(data)>>10)
	}
	// The README's screenshot is one the test could take today.
	old, err := os.ReadFile(screenshotPath)
	if err != nil {
		t.Fatalf("%s: %v (go test ./batch -run TestReportInChromium -update writes it)", screenshotPath, err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(old)); err != nil || len(old) >= 300<<10 {
		t.Errorf("%s: %d bytes, %v: want a PNG under 300 KB", screenshotPath, len(old), err)
	}
}

// templateEscape is how html/template and the DOM dump write text.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Two ways of failing one check by as many students (two signatures of one check) come in the same order in
// every report made of the same results, whatever order the map gives them in.
func TestMostCommonFailuresBreakTiesTheSameWay(t *testing.T) {
	fs := failures{}
	for _, way := range []string{"signature b", "signature a", "signature c"} {
		fs[failureKey{"run", way}] = &FailingCheck{Step: "run", Check: "reply", Students: 2, Example: "got " + way}
	}
	want := []string{"got signature a", "got signature b", "got signature c"}
	for range 20 {
		var got []string
		for _, f := range fs.mostCommon(map[string]int{"run": 0}, 10) {
			got = append(got, f.Example)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("most common failures came as %q, want %q", got, want)
		}
	}
}
