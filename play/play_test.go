package play

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/admission"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/workspace"
)

const examples = "../submissions/examples/lua-atomicity"

func exampleFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, f := range []string{"step1.redis", "step2.lua", "step3.redis", "step4.lua"} {
		data, err := os.ReadFile(filepath.Join(examples, name, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(data)
	}
	return files
}

func filesBody(t *testing.T, files map[string]string) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"files": files})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func decode[T any](t *testing.T, res *http.Response, status int) T {
	t.Helper()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, status, body)
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return v
}

type apiError struct {
	Error string `json:"error"`
}

// TestTokenGuardsTheAPI: the page and its assets are public (they hold no
// one's work), every API route needs the token, and the page may load
// nothing from elsewhere.
func TestTokenGuardsTheAPI(t *testing.T) {
	ts := startPlay(t, nil, "")
	for _, path := range []string{"/", "/play/assets/play.js", "/play/assets/play.css"} {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s without the token: %d, want 200", path, res.StatusCode)
		}
		if path == "/" && !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("the page's CSP is %q: it must load nothing from elsewhere", res.Header.Get("Content-Security-Policy"))
		}
	}
	for _, tt := range []struct{ method, path string }{
		{"GET", "/play/api/exercises"},
		{"GET", "/play/api/exercises/lua-atomicity"},
		{"POST", "/play/api/exercises/lua-atomicity/grade"},
		{"PUT", "/play/api/exercises/lua-atomicity/files/step1.redis"},
	} {
		for _, auth := range []string{"", "Bearer wrong", "Basic " + testToken} {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader("{}"))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: %d, want 401", tt.method, tt.path, auth, res.StatusCode)
			}
		}
	}
	for _, path := range []string{"/play/assets/../api/exercises", "/play/assets/%2e%2e/api/exercises", "//play/api/exercises"} {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("GET %s without the token reached the API", path)
		}
	}
	if res := call(t, ts, "GET", "/play/assets/index.html", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /play/assets/index.html: %d, want 404 (only .js and .css are assets)", res.StatusCode)
	}
}

// TestCatalog lists every shipped exercise with its steps and time, and
// says where the page starts.
func TestCatalog(t *testing.T) {
	ts := startPlay(t, nil, "lua-atomicity")
	c := decode[Catalog](t, call(t, ts, "GET", "/play/api/exercises", ""), 200)
	if c.Start != "lua-atomicity" || c.Workspace != "" || !c.CanGrade {
		t.Errorf("start %q, workspace %q, can grade %v", c.Start, c.Workspace, c.CanGrade)
	}
	var ids []string
	for _, e := range c.Exercises {
		ids = append(ids, e.ID)
	}
	if shipped := exercises.Shipped(); strings.Join(ids, " ") != strings.Join(shipped, " ") {
		t.Errorf("the catalog lists %q, want the shipped %q", ids, shipped)
	}
	for _, e := range c.Exercises {
		if e.ID == "lua-atomicity" && (e.Steps != 4 || e.Minutes != 20 || e.Title != "Why Lua scripts enable atomicity in Redis") {
			t.Errorf("lua-atomicity: %+v", e)
		}
	}
	info := decode[ExerciseInfo](t, call(t, ts, "GET", "/play/api/exercises/lua-atomicity", ""), 200)
	if info.Storage != "browser" || info.Files != nil || !info.Demo || len(info.Steps) != 4 {
		t.Errorf("exercise: storage %q, files %v, demo %v, %d steps", info.Storage, info.Files, info.Demo, len(info.Steps))
	}
	if s := info.Steps[1]; s.File != "step2.lua" || !s.Lua || s.Hints != 2 || !strings.HasPrefix(s.Starter, "-- Step 2:") {
		t.Errorf("step 2: %+v", s)
	}
	e := decode[apiError](t, call(t, ts, "GET", "/play/api/exercises/nope", ""), 404)
	if !strings.Contains(e.Error, `no exercise "nope"`) {
		t.Errorf("unknown exercise: %q", e.Error)
	}
}

// TestGradeInTheBrowser grades posted files with the same report as
// `--format json`: DECR and INCR as two commands fail step 3 with the
// atomicity explanation; the correct answer is 4/4.
func TestGradeInTheBrowser(t *testing.T) {
	ts := startPlay(t, nil, "")
	type result struct {
		Report    report.Report `json:"report"`
		Untouched []string      `json:"untouched"`
	}
	res := decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade", filesBody(t, exampleFiles(t, "two-commands"))), 200)
	if res.Report.Score != 3 || res.Report.MaxScore != 4 {
		t.Fatalf("two-commands: %v/%v, want 3/4", res.Report.Score, res.Report.MaxScore)
	}
	s3 := res.Report.Steps[2]
	var text strings.Builder
	for _, c := range s3.Checks {
		text.WriteString(c.Name + "\n" + c.Message + "\n" + c.Why + "\n")
	}
	for _, want := range []string{"sends EVAL 0 times, expected once", "the dashboard: MGET stock sales", "none gives these replies", "inside one EVAL nothing runs in between"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("step 3's feedback lacks %q:\n%s", want, text.String())
		}
	}
	if s3.Passed || s3.Keyspace == "" {
		t.Errorf("step 3: passed %v, keyspace %q", s3.Passed, s3.Keyspace)
	}

	res = decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade", filesBody(t, exampleFiles(t, "correct"))), 200)
	if res.Report.Score != 4 || len(res.Untouched) != 0 {
		t.Errorf("correct: %v/4, untouched %q", res.Report.Score, res.Untouched)
	}

	// A starter comment only, as init writes it, is untouched; a file not
	// posted is missing.
	info := decode[ExerciseInfo](t, call(t, ts, "GET", "/play/api/exercises/lua-atomicity", ""), 200)
	res = decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade",
		filesBody(t, map[string]string{"step1.redis": info.Steps[0].Starter})), 200)
	if strings.Join(res.Untouched, " ") != "step1.redis" || res.Report.Score != 0 {
		t.Errorf("starter only: untouched %q, score %v", res.Untouched, res.Report.Score)
	}

	// Outside a workspace the files posted are graded in memory: nothing is
	// written to disk, so a temporary folder that cannot be written to
	// changes nothing.
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "not-there"))
	res = decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade", filesBody(t, exampleFiles(t, "correct"))), 200)
	if res.Report.Score != 4 {
		t.Errorf("graded with no temporary folder: %v/4", res.Report.Score)
	}

	// A student's value that would reorder or colour the text is shown
	// escaped, as check shows it.
	res = decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade",
		filesBody(t, map[string]string{"step1.redis": "SET stock \"\\xe2\\x80\\xae100\\x1b[31m\"\nSET sales 0\n"})), 200)
	var shown strings.Builder
	for _, c := range res.Report.Steps[0].Checks {
		shown.WriteString(c.Message + c.Actual + "\n")
	}
	shown.WriteString(res.Report.Steps[0].Keyspace)
	if strings.ContainsAny(shown.String(), "\u202e\x1b") || !strings.Contains(shown.String(), "stock") {
		t.Errorf("a control in a student's value reached the page raw:\n%q", shown.String())
	}

	for _, tt := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{"files": {"../step1.redis": "SET a 1"}}`, 400, `"../step1.redis" is not a step file of lua-atomicity`},
		{`{"files": {"README.md": "x"}}`, 400, `"README.md" is not a step file`},
		{`{"files": `, 400, `the body is not {"files": {name: text}}`},
		{filesBody(t, map[string]string{"step1.redis": strings.Repeat("x", 1<<20+1)}), 413, "over 1048576 bytes"},
	} {
		e := decode[apiError](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade", tt.body), tt.status)
		if !strings.Contains(e.Error, tt.msg) {
			t.Errorf("%.40s: %q, want %q", tt.body, e.Error, tt.msg)
		}
	}
}

// TestWorkspaceFiles: with a workspace, the page reads its step files and
// writes them (only them, within the size limit, atomically), and grading
// grades the folder, as check does, recording the step reached.
func TestWorkspaceFiles(t *testing.T) {
	ws := newWorkspace(t)
	ts := startPlay(t, ws, "")
	c := decode[Catalog](t, call(t, ts, "GET", "/play/api/exercises", ""), 200)
	if c.Workspace != "lua-atomicity" {
		t.Errorf("catalog workspace %q", c.Workspace)
	}
	info := decode[ExerciseInfo](t, call(t, ts, "GET", "/play/api/exercises/lua-atomicity", ""), 200)
	starter, _ := os.ReadFile(filepath.Join(ws.Dir, "step1.redis"))
	if info.Storage != "workspace" || info.Folder != ws.Dir || info.Files["step1.redis"] != string(starter) {
		t.Fatalf("storage %q, folder %q, step1 %q", info.Storage, info.Folder, info.Files["step1.redis"])
	}

	put := func(name, base, body string) *http.Response {
		req, _ := http.NewRequest("PUT", ts.URL+"/play/api/exercises/lua-atomicity/files/"+name, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		if base != "" {
			req.Header.Set("If-Match", `"`+base+`"`)
		}
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	saved := decode[map[string]string](t, put("step1.redis", info.Versions["step1.redis"], "SET stock 100\nSET sales 0\n"), 200)
	if data, _ := os.ReadFile(filepath.Join(ws.Dir, "step1.redis")); string(data) != "SET stock 100\nSET sales 0\n" {
		t.Errorf("step1.redis holds %q", data)
	}
	// An edit made outside the page is not overwritten by a page that has
	// not seen it: the page's write names the version it replaces.
	if err := os.WriteFile(filepath.Join(ws.Dir, "step1.redis"), []byte("SET stock 100 # from my editor\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := decode[apiError](t, put("step1.redis", saved["version"], "SET stock 1\n"), 409)
	if !strings.Contains(e.Error, "step1.redis was changed outside this page") {
		t.Errorf("conflict: %q", e.Error)
	}
	if data, _ := os.ReadFile(filepath.Join(ws.Dir, "step1.redis")); string(data) != "SET stock 100 # from my editor\n" {
		t.Errorf("the edit made outside the page was overwritten: %q", data)
	}
	e = decode[apiError](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade",
		`{"files": {"step1.redis": "SET stock 2"}, "versions": {"step1.redis": "`+saved["version"]+`"}}`), 409)
	if !strings.Contains(e.Error, "nothing was graded") {
		t.Errorf("grade over a conflict: %q", e.Error)
	}
	// Keep mine: a write that names no version replaces the file.
	decode[map[string]string](t, put("step1.redis", "", "SET stock 100\nSET sales 0\n"), 200)
	var res *http.Response
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"README.md", "x", 404},
		{".redisgrade.json", "{}", 404},
		{"..%2fescape.redis", "x", 404},
		{"step2.lua", strings.Repeat("-", 1<<20+1), 413},
	} {
		res := call(t, ts, "PUT", "/play/api/exercises/lua-atomicity/files/"+tt.name, tt.body)
		res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("PUT %s: %d, want %d", tt.name, res.StatusCode, tt.status)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(ws.Dir, "step2.lua")); !strings.HasPrefix(string(data), "-- Step 2:") {
		t.Errorf("a refused PUT changed step2.lua: %.40q", data)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(ws.Dir), "escape.redis")); err == nil {
		t.Errorf("a PUT wrote outside the workspace")
	}
	entries, _ := os.ReadDir(ws.Dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
	// Another exercise's work is not the workspace's.
	res = call(t, ts, "PUT", "/play/api/exercises/hash-profile/files/step1.redis", "HSET a b c")
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Errorf("PUT into another exercise: %d, want 409", res.StatusCode)
	}

	// Check posts the files: they are saved, then the folder is graded.
	files := exampleFiles(t, "two-commands")
	type result struct {
		Report   report.Report     `json:"report"`
		Versions map[string]string `json:"versions"`
	}
	graded := decode[result](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/grade", filesBody(t, files)), 200)
	if rep := graded.Report; rep.Score != 3 {
		t.Errorf("score %v, want 3", rep.Score)
	}
	if graded.Versions["step3.redis"] != version(files["step3.redis"]) || len(graded.Versions) != 4 {
		t.Errorf("versions after grading: %v", graded.Versions)
	}
	if data, _ := os.ReadFile(filepath.Join(ws.Dir, "step3.redis")); string(data) != files["step3.redis"] {
		t.Errorf("step3.redis in the folder: %q", data)
	}
	reopened, err := workspace.Open(ws.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if reopened.State.LastStep != "run-atomically" {
		t.Errorf("last step recorded %q, want run-atomically (for hint)", reopened.State.LastStep)
	}
}

// TestHints climbs the same ladder as redisgrade hint: one more each time,
// then all again; with a workspace the count is kept in its state file.
func TestHints(t *testing.T) {
	ts := startPlay(t, nil, "")
	for _, tt := range []struct {
		seen, hints int
		fresh       bool
	}{{0, 1, true}, {1, 2, true}, {2, 2, false}, {7, 2, false}} {
		h := decode[HintResult](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/hint", `{"step": "setup", "seen": `+itoa(tt.seen)+`}`), 200)
		if len(h.Hints) != tt.hints || h.Fresh != tt.fresh || h.Total != 2 {
			t.Errorf("seen %d: %d hints, fresh %v, total %d; want %d, %v, 2", tt.seen, len(h.Hints), h.Fresh, h.Total, tt.hints, tt.fresh)
		}
	}
	h := decode[HintResult](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/hint", `{"step": "2"}`), 200)
	if h.Step != "script" || !strings.Contains(h.Hints[0], "redis.call") {
		t.Errorf("step by number: %+v", h)
	}
	e := decode[apiError](t, call(t, ts, "POST", "/play/api/exercises/lua-atomicity/hint", `{"step": "nine"}`), 404)
	if !strings.Contains(e.Error, `no step "nine"`) {
		t.Errorf("unknown step: %q", e.Error)
	}

	ws := newWorkspace(t)
	wts := startPlay(t, ws, "")
	for want := 1; want <= 3; want++ {
		h := decode[HintResult](t, call(t, wts, "POST", "/play/api/exercises/lua-atomicity/hint", `{"step": "setup", "seen": 0}`), 200)
		if len(h.Hints) != min(want, 2) {
			t.Errorf("ask %d in a workspace: %d hints", want, len(h.Hints))
		}
	}
	reopened, _ := workspace.Open(ws.Dir)
	if reopened.State.HintsSeen["setup"] != 2 {
		t.Errorf("the state file records %v", reopened.State.HintsSeen)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestZip answers the posted files as a .zip that grade reads.
func TestZip(t *testing.T) {
	ts := startPlay(t, nil, "")
	res := call(t, ts, "POST", "/play/api/exercises/lua-atomicity/zip", filesBody(t, exampleFiles(t, "correct")))
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `filename="lua-atomicity.zip"`) {
		t.Fatalf("zip: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := exampleFiles(t, "correct")
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, _ := f.Open()
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != want[f.Name] {
			t.Errorf("%s in the zip: %q", f.Name, got)
		}
	}
	if strings.Join(names, " ") != "step1.redis step2.lua step3.redis step4.lua" {
		t.Errorf("zip holds %q", names)
	}
}

// TestDemo streams the race live: a start, progress, each way done, then
// the summary; without Lua reads are caught half-updated, with it none.
func TestDemo(t *testing.T) {
	ts := startPlay(t, nil, "")
	res := call(t, ts, "POST", "/play/api/exercises/lua-atomicity/demo", "{}")
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("demo: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var events []DemoEvent
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e DemoEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", sc.Bytes(), err)
		}
		events = append(events, e)
	}
	if len(events) < 5 || events[0].Type != "start" || len(events[0].Ways) != 3 || events[len(events)-1].Type != "summary" {
		t.Fatalf("events: %+v", events)
	}
	var done []DemoEvent
	for _, e := range events {
		if e.Type == "error" {
			t.Fatalf("demo error: %s", e.Error)
		}
		if e.Type == "done" {
			done = append(done, e)
		}
	}
	if len(done) != 3 {
		t.Fatalf("%d ways done", len(done))
	}
	if lua := done[2]; lua.Inconsistent != 0 || lua.Lost != 0 || lua.Done != demoRuns || lua.Final[0] != 0 || lua.Final[1] != demoRuns {
		t.Errorf("Lua: %+v", lua)
	}
	if two := done[1]; two.Inconsistent == 0 {
		t.Errorf("two commands: no inconsistent read in %d samples", two.Samples)
	}
	if sum := events[len(events)-1]; sum.Why != demo.Why || !strings.Contains(sum.Expect, "stock + sales = 1000") {
		t.Errorf("summary: %+v", sum)
	}
	e := decode[apiError](t, call(t, ts, "POST", "/play/api/exercises/hash-profile/demo", "{}"), 404)
	if !strings.Contains(e.Error, "no demo for hash-profile") {
		t.Errorf("%q", e.Error)
	}
}

// TestNoGrader: a server that cannot grade (serve enqueueing for workers)
// says so, and shows no demo.
func TestNoGrader(t *testing.T) {
	h, err := New(Config{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptestRecorder(h, "POST", "/play/api/exercises/lua-atomicity/grade", `{"files": {}}`)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "does not grade itself") {
		t.Errorf("grade: %d %s", rec.Code, rec.Body)
	}
	rec = httptestRecorder(h, "GET", "/play/api/exercises/lua-atomicity", "")
	var info ExerciseInfo
	_ = json.Unmarshal(rec.Body.Bytes(), &info)
	if info.CanGrade || info.Demo {
		t.Errorf("can grade %v, demo %v", info.CanGrade, info.Demo)
	}
}

// brokenEngine never starts a server.
type brokenEngine struct{}

func (brokenEngine) Kind() string { return "broken" }
func (brokenEngine) Start(context.Context) (engine.Server, error) {
	return nil, errors.New("redis-server: no such file or directory")
}

// TestGraderFailureIsNotTheStudents: a Redis that will not start is the
// grader's failure, said so (503), never a failed step; and no demo runs.
func TestGraderFailureIsNotTheStudents(t *testing.T) {
	pool := grader.NewPool(grader.PoolConfig{Engine: brokenEngine{}, Jobs: 1})
	defer pool.Close()
	h, err := New(Config{Door: admission.New(admission.Config{Pool: pool, Jobs: 1}), Engine: brokenEngine{}, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptestRecorder(h, "POST", "/play/api/exercises/lua-atomicity/grade", filesBody(t, exampleFiles(t, "correct")))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "the grader could not grade this submission (not the student's fault)") ||
		!strings.Contains(rec.Body.String(), "redis-server: no such file or directory") {
		t.Errorf("grade: %d %s", rec.Code, rec.Body)
	}
	rec = httptestRecorder(h, "POST", "/play/api/exercises/lua-atomicity/demo", "{}")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "could not start Redis for the demo") {
		t.Errorf("demo: %d %s", rec.Code, rec.Body)
	}
	// The slot is given back: the next demo is refused for the same reason, not as busy.
	rec = httptestRecorder(h, "POST", "/play/api/exercises/lua-atomicity/demo", "{}")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("second demo: %d %s", rec.Code, rec.Body)
	}
	h.demoSlot <- struct{}{} // a demo running
	rec = httptestRecorder(h, "POST", "/play/api/exercises/lua-atomicity/demo", "{}")
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "a demo is already running") {
		t.Errorf("a demo while one runs: %d %s", rec.Code, rec.Body)
	}
}

// TestOtherSitesRefused: the page's server answers only to this machine's
// names (a page that rebinds its own name to 127.0.0.1 reads nothing), a
// change posted from another site's page is refused even with the token,
// and JSON routes take JSON only (a form or text/plain needs no preflight).
func TestOtherSitesRefused(t *testing.T) {
	ts := startPlay(t, nil, "")
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	send := func(method, path, host, contentType string, header map[string]string, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+testToken)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	grade := "/play/api/exercises/lua-atomicity/grade"
	files := filesBody(t, exampleFiles(t, "correct"))
	for _, tt := range []struct {
		name, method, path, host, contentType string
		header                                map[string]string
		body                                  string
		status                                int
		msg                                   string
	}{
		{"the page by a rebound name", "GET", "/", "evil.example" + port, "", nil, "", 403, `evil.example` + port + `\" is not a name of this server`},
		{"the API by a rebound name", "GET", "/play/api/exercises", "attacker.test", "", nil, "", 403, "is not a name of this server"},
		{"a Check by a rebound name", "POST", grade, "rebind.example" + port, "application/json", nil, files, 403, "is not a name of this server"},
		{"a Check from another site's page", "POST", grade, "127.0.0.1" + port, "application/json",
			map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, files, 403, "from another web site is refused"},
		{"a Check from another origin, older browser", "POST", grade, "127.0.0.1" + port, "application/json",
			map[string]string{"Origin": "http://evil.example"}, files, 403, "from another web site is refused"},
		{"a save from another site's page", "PUT", "/play/api/exercises/lua-atomicity/files/step1.redis", "127.0.0.1" + port, "text/plain",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "SET a 1", 403, "from another web site is refused"},
		{"a Check as text/plain", "POST", grade, "127.0.0.1" + port, "text/plain", nil, files, 415, "send application/json"},
		{"a Check as a form", "POST", grade, "127.0.0.1" + port, "application/x-www-form-urlencoded", nil, files, 415, "send application/json"},
		{"a hint as text/plain", "POST", "/play/api/exercises/lua-atomicity/hint", "127.0.0.1" + port, "text/plain", nil, `{"step": "1"}`, 415, "send application/json"},
		{"the demo as text/plain", "POST", "/play/api/exercises/lua-atomicity/demo", "127.0.0.1" + port, "text/plain", nil, `{}`, 415, "send application/json"},
		{"a zip as text/plain", "POST", "/play/api/exercises/lua-atomicity/zip", "127.0.0.1" + port, "text/plain", nil, files, 415, "send application/json"},
		{"a Check by localhost", "POST", grade, "localhost" + port, "application/json", map[string]string{"Origin": "http://localhost" + port, "Sec-Fetch-Site": "same-origin"}, files, 200, `"score": 4`},
		{"a Check by [::1]", "POST", grade, "[::1]" + port, "application/json", nil, files, 200, `"score": 4`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := send(tt.method, tt.path, tt.host, tt.contentType, tt.header, tt.body)
			if status != tt.status || !strings.Contains(body, tt.msg) {
				t.Errorf("%d %.300s; want %d saying %q", status, body, tt.status, tt.msg)
			}
		})
	}
}
