package service

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	queued.ServeHTTP(rec, httptest.NewRequest("POST", "/play/api/exercises/lua-atomicity/grade", strings.NewReader(string(files))))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "does not grade itself") {
		t.Errorf("a queue server's page grading: %d %s", rec.Code, rec.Body)
	}
}
