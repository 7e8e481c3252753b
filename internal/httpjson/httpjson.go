// Package httpjson writes the JSON answers of serve's API and of the play
// page's API: one shape for every answer, and for every error
// ({"error": "...", "status": N}), with the same headers.
package httpjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// encodeFailed is the answer when a value cannot be encoded: a bug, but
// the client still gets JSON.
const encodeFailed = `{"error": "the answer could not be encoded", "status": 500}` + "\n"

// Write answers status and v as indented JSON (readable with curl). The
// answer is never cached (it is one request's) nor sniffed as another type;
// a value that cannot be encoded becomes a 500, still in JSON.
func Write(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(encodeFailed)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// WriteError answers an error: {"error": msg, "status": status}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	Write(w, status, map[string]any{"error": msg, "status": status})
}

// Error is a request's failure as its client is told: a status, a message
// and, for a client that should come back later, a Retry-After in seconds.
type Error struct {
	Status     int
	Msg        string
	RetryAfter int // seconds; 0 = no header
}

func (e *Error) Error() string { return e.Msg }

// Errorf makes an Error.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Write answers the error, with its Retry-After if any.
func (e *Error) Write(w http.ResponseWriter) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	WriteError(w, e.Status, e.Msg)
}
