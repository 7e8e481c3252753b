package httpjson

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWrite: every answer is indented JSON, never cached nor sniffed; a
// value that cannot be encoded is a 500 that is still JSON.
func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, http.StatusCreated, map[string]int{"a": 1})
	if rec.Code != http.StatusCreated || rec.Body.String() != "{\n  \"a\": 1\n}\n" {
		t.Errorf("Write: %d %q", rec.Code, rec.Body)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}

	rec = httptest.NewRecorder()
	Write(rec, http.StatusOK, map[string]float64{"score": math.Inf(1)})
	var body struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 500 || body.Status != 500 {
		t.Errorf("an answer that cannot be encoded: %d %q (%v)", rec.Code, rec.Body, err)
	}
}

// TestError: an error answers its status and message, and Retry-After
// when it has one.
func TestError(t *testing.T) {
	rec := httptest.NewRecorder()
	e := Errorf(http.StatusTooManyRequests, "busy: %d waiting", 3)
	e.RetryAfter = 7
	e.Write(rec)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 429 || body["error"] != "busy: 3 waiting" || body["status"] != float64(429) || rec.Header().Get("Retry-After") != "7" {
		t.Errorf("Error.Write: %d %v %v", rec.Code, body, rec.Header())
	}
	rec = httptest.NewRecorder()
	Errorf(http.StatusBadRequest, "no").Write(rec)
	if rec.Header().Get("Retry-After") != "" {
		t.Error("Retry-After without one")
	}
}
