package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redisgrade/redisgrade/service"
)

func TestLoadTest(t *testing.T) {
	ts := startService(t, service.Config{Engine: redistest.ProcessEngine(t), Jobs: 2, Token: token})
	res, err := LoadTest(context.Background(), LoadConfig{URL: ts.URL, Token: token, Concurrency: 4, Requests: 12, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 12 || res.Statuses[200] != 12 || res.Errors != 0 || res.Mismatched != 0 || res.Failed() != nil {
		t.Fatalf("result: %+v (%v)", res, res.Failed())
	}
	if res.All.N != 12 || res.Correct.N != 6 || res.Wrong.N != 6 {
		t.Errorf("counts: all %d correct %d wrong %d", res.All.N, res.Correct.N, res.Wrong.N)
	}
	for _, l := range []Latency{res.All, res.Correct, res.Wrong} {
		if l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max {
			t.Errorf("percentiles out of order: %+v", l)
		}
	}
	if res.Throughput <= 0 || res.Elapsed <= 0 {
		t.Errorf("throughput %g in %s", res.Throughput, res.Elapsed)
	}
	var out strings.Builder
	if err := res.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12 requests, 4 concurrent", "gradings/s", "200 OK: 12", "latency all:", "p99", "correct (4/4):", "wrong (3/4):"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	// Without the token every request is refused, and the run says so.
	res, err = LoadTest(context.Background(), LoadConfig{URL: ts.URL, Concurrency: 2, Requests: 4})
	if err != nil || res.Statuses[401] != 4 || res.Failed() == nil || !strings.Contains(res.Failed().Error(), "4 answers were 401") {
		t.Errorf("without token: %+v %v", res, err)
	}
}

// More requests than the server admits: the extra ones get 429, which the
// load test counts and does not call a failure.
func TestLoadTestOverload(t *testing.T) {
	ts := startService(t, service.Config{Engine: slowEngine{redistest.ProcessEngine(t), 50 * time.Millisecond}, Jobs: 1, MaxWaiting: 1})
	res, err := LoadTest(context.Background(), LoadConfig{URL: ts.URL, Concurrency: 6, Requests: 12})
	if err != nil {
		t.Fatal(err)
	}
	if res.Statuses[429] == 0 || res.Statuses[200] == 0 || res.Statuses[200]+res.Statuses[429] != 12 || res.Failed() != nil {
		t.Errorf("overload: %+v %v", res.Statuses, res.Failed())
	}
}

// The load test stops at its time bound, whatever is left.
func TestLoadTestDuration(t *testing.T) {
	ts := startService(t, service.Config{Engine: slowEngine{redistest.ProcessEngine(t), 20 * time.Millisecond}, Jobs: 1})
	// One grading first, so the bound cuts gradings of a warm session: on a
	// loaded machine, starting the server alone can take the whole second.
	if res, err := LoadTest(context.Background(), LoadConfig{URL: ts.URL, Concurrency: 1, Requests: 1}); err != nil || res.Statuses[200] != 1 {
		t.Fatalf("warm-up: %+v, %v", res, err)
	}
	began := time.Now()
	res, err := LoadTest(context.Background(), LoadConfig{URL: ts.URL, Concurrency: 2, Requests: 1000, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("took %s with a 1s bound", took)
	}
	if res.Sent >= 1000 || res.Statuses[200] == 0 || res.Errors != 0 {
		t.Errorf("result: sent %d, statuses %v, errors %d", res.Sent, res.Statuses, res.Errors)
	}
}

// A server that gives wrong scores is caught.
func TestLoadTestWrongScores(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"score": 4, "max_score": 4}`))
	}))
	defer fake.Close()
	res, err := LoadTest(context.Background(), LoadConfig{URL: fake.URL, Concurrency: 2, Requests: 6})
	if err != nil {
		t.Fatal(err)
	}
	// Every wrong submission "passed": 3 of 6.
	if res.Mismatched != 3 || res.Failed() == nil || !strings.Contains(res.Failed().Error(), "3 answers had a wrong score") {
		t.Errorf("mismatched %d: %v", res.Mismatched, res.Failed())
	}
}

func TestLoadTestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://example.com:8080", "http://10.0.0.1:8080", "http://0.0.0.0:8080", "ftp://127.0.0.1/", "127.0.0.1:8080", "http://127.0.0.1.nip.io/"} {
		if err := CheckLoopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
		if _, err := LoadTest(context.Background(), LoadConfig{URL: u}); err == nil {
			t.Errorf("LoadTest ran against %s", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080", "https://127.0.0.2/"} {
		if err := CheckLoopback(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if _, err := LoadTest(context.Background(), LoadConfig{URL: "http://127.0.0.1:1", Requests: maxLoadRequests + 1}); err == nil {
		t.Error("no bound on requests")
	}
}
