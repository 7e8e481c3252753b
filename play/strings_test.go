package play

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// httptestRecorder runs one request with the token through h.
func httptestRecorder(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
