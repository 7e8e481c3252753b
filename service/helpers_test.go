package service

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	// go-redis logs failed dials by itself; TestQueueDown makes some.
	redis.SetLogger(quietLogger{})
	os.Exit(m.Run())
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

const examples = "../submissions/examples/lua-atomicity/"

// exampleFiles reads an example submission's step files.
func exampleFiles(t testing.TB, name string) map[string]string {
	t.Helper()
	dir := filepath.Join(examples, name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "step") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	if len(files) == 0 {
		t.Fatalf("no step files in %s", dir)
	}
	return files
}

// testServer runs a Server on a real listener on 127.0.0.1.
type testServer struct {
	*Server
	URL    string
	cancel context.CancelFunc
	done   chan error
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return runServer(t, srv)
}

func runServer(t *testing.T, srv *Server) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: srv, URL: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop shuts the server down and waits for it; once only.
func (ts *testServer) stop(t *testing.T) error {
	t.Helper()
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Error("the server did not stop within 30s")
		return errors.New("timeout")
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// testClient checks every request and answer against openapi.json.
var testClient = &http.Client{Timeout: time.Minute, Transport: checkedTransport{}}

func do(t *testing.T, method, url, token, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func jsonBody(t testing.TB, v any) io.Reader {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(data)
}

func gradeJSON(t *testing.T, ts *testServer, token string, v any) response {
	t.Helper()
	return do(t, http.MethodPost, ts.URL+"/v1/grade", token, "application/json", jsonBody(t, v))
}

// part is one multipart part: a field name, an optional file name (raw,
// as a client may send it) and content.
type part struct {
	field, filename string
	data            []byte
}

func multipartBody(t testing.TB, parts ...part) (string, io.Reader) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			// Written by hand: multipart.Writer.CreateFormFile would escape
			// nothing, but we want the exact bytes a hostile client sends.
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.filename))
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

func gradeMultipart(t *testing.T, ts *testServer, token, query string, parts ...part) response {
	t.Helper()
	ct, body := multipartBody(t, parts...)
	return do(t, http.MethodPost, ts.URL+"/v1/grade"+query, token, ct, body)
}

func filesParts(files map[string]string) []part {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []part
	for _, n := range names {
		parts = append(parts, part{field: n, filename: n, data: []byte(files[n])})
	}
	return parts
}

func makeZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTarGz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for n, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// score reads score and max_score from a JSON report.
func score(t *testing.T, r response) (float64, float64) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("want 200 and a report, got %s", r)
	}
	m := r.json(t)
	s, ok1 := m["score"].(float64)
	max, ok2 := m["max_score"].(float64)
	if !ok1 || !ok2 {
		t.Fatalf("no score in %s", r.body)
	}
	return s, max
}

// admitted counts the grading requests in the door: grading or waiting.
func (s *Server) admitted() int {
	st := s.door.Stats()
	return st.Grading + st.Waiting
}
