package service

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redisgrade/redisgrade/queue"
)

// TestPlayPage: serve serves the play page at /, public as its assets are,
// and its API under the server's token; a queue server's page cannot grade.
func TestPlayPage(t *testing.T) {
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1, Token: token})
	do := func(method, path, auth, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	if status, body := do("GET", "/", "", ""); status != 200 || !strings.Contains(body, `<script defer src="play/assets/play.js">`) {
		t.Errorf("GET / without the token: %d %.80s", status, body)
	}
	if status, _ := do("GET", "/play/assets/play.js", "", ""); status != 200 {
		t.Errorf("GET the page's script: %d", status)
	}
	if status, _ := do("GET", "/play/api/exercises", "", ""); status != 401 {
		t.Errorf("the page's API without the token: %d, want 401", status)
	}
	if status, _ := do("GET", "/play/api/exercises", "wrong", ""); status != 401 {
		t.Errorf("the page's API with a wrong token: %d, want 401", status)
	}
	// A class server's page asks who is working: one browser may be a lab's.
	if status, body := do("GET", "/play/api/exercises", token, ""); status != 200 || !strings.Contains(body, `"shared": true`) {
		t.Errorf("the catalog of a class server: %d %.200s, want it shared", status, body)
	}
	files, _ := json.Marshal(map[string]any{"files": exampleFiles(t, "correct")})
	status, body := do("POST", "/play/api/exercises/lua-atomicity/grade", token, string(files))
	var res struct {
		Report struct{ Score, MaxScore float64 } `json:"report"`
	}
	_ = json.Unmarshal([]byte(body), &res)
	if status != 200 || res.Report.Score != 4 {
		t.Errorf("grade from the page: %d %.200s", status, body)
	}

	queued, err := New(Config{Queue: &queue.Queue{}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "http://127.0.0.1/play/api/exercises/lua-atomicity/grade", strings.NewReader(string(files)))
	req.Header.Set("Content-Type", "application/json")
	queued.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "does not grade itself") {
		t.Errorf("a queue server's page grading: %d %s", rec.Code, rec.Body)
	}
}

// playGrade posts the page's Check.
func playGrade(t *testing.T, ts *testServer, files map[string]string) response {
	t.Helper()
	return do(t, http.MethodPost, ts.URL+"/play/api/exercises/lua-atomicity/grade", "", "application/json",
		jsonBody(t, map[string]any{"files": files}))
}

// TestPlayGradeGoesThroughTheDoor: the page's Check is admitted as
// /v1/grade is, by the same door: its body limit (413), the waiting cap
// (429), the upload time limit (408), and /healthz counts it.
func TestPlayGradeGoesThroughTheDoor(t *testing.T) {
	srv, err := New(Config{Engine: redistest.ProcessEngine(t), Jobs: 1, MaxWaiting: 1, MaxBody: 8000, UploadTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g := newGate()
	defer g.release()
	srv.testHookGrading = g.hook
	ts := runServer(t, srv)
	correct := exampleFiles(t, "correct")

	big := maps.Clone(correct)
	big["step1.redis"] = strings.Repeat("# padding\n", 1000) + big["step1.redis"]
	if r := playGrade(t, ts, big); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "over the limit of 8,000 bytes") {
		t.Errorf("a Check over --max-body: %s, want 413", r)
	}

	results := make(chan response, 2)
	go func() { results <- gradeJSON(t, ts, "", map[string]any{"exercise": "lua-atomicity", "files": correct}) }()
	g.waitEntered(t) // the API's request is grading
	go func() { results <- playGrade(t, ts, correct) }()
	redistest.Eventually(t, 10*time.Second, "the page's Check waits in the door", func() bool { return srv.admitted() == 2 })
	h := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil).json(t)
	if h["grading"] != 1.0 || h["waiting"] != 1.0 {
		t.Errorf("healthz while the page's Check waits: %v", h)
	}
	if r := playGrade(t, ts, correct); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("a Check with every place taken: %s, want 429 with Retry-After", r)
	}
	g.release()
	for range 2 {
		r := <-results
		var res struct {
			Report struct{ Score float64 } `json:"report"`
			Score  float64                 `json:"score"`
		}
		if err := json.Unmarshal(r.body, &res); err != nil || r.status != 200 || res.Score+res.Report.Score != 4 {
			t.Errorf("graded: %s", r)
		}
	}

	slow := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1, UploadTimeout: time.Second})
	d := startDripTo(t, slow, "/play/api/exercises/lua-atomicity/grade", "", "application/json", `{"files": {"step1.redis": "`, 100*time.Millisecond)
	if r := d.response(t, 30*time.Second); r.status != http.StatusRequestTimeout {
		t.Errorf("a Check trickling in: %s, want 408", r)
	}
}
