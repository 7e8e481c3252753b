package service

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/redistest"
)

// dripper is a client that starts a POST /v1/grade and then sends its body
// one byte at a time, never finishing it.
type dripper struct {
	conn net.Conn
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// startDrip sends the headers and the body's start at once, then a byte
// every interval until closed or the server stops reading.
func startDrip(t *testing.T, ts *testServer, token, contentType, start string, every time.Duration) *dripper {
	t.Helper()
	return startDripTo(t, ts, "/v1/grade", token, contentType, start, every)
}

// startDripTo is startDrip to another route.
func startDripTo(t *testing.T, ts *testServer, path, token, contentType, start string, every time.Duration) *dripper {
	t.Helper()
	addr := strings.TrimPrefix(ts.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	head := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: " + contentType + "\r\nContent-Length: 1000000\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"+start); err != nil {
		t.Fatal(err)
	}
	d := &dripper{conn: conn, stop: make(chan struct{})}
	d.done.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return // the server hung up
				}
			}
		}
	})
	t.Cleanup(d.close)
	return d
}

// response reads what the server answered; it fails the test after within.
func (d *dripper) response(t *testing.T, within time.Duration) response {
	t.Helper()
	if err := d.conn.SetReadDeadline(time.Now().Add(within)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(d.conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow upload within %s: %v", within, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

func (d *dripper) close() {
	d.once.Do(func() {
		close(d.stop)
		d.conn.Close()
		d.done.Wait()
	})
}

const jsonStart = `{"exercise": "lua-atomicity", "files": {"step1.redis": "`

// TestSlowUploadsHoldNoGrader: ten clients trickling their bodies in do not
// take the grader's places (one grading, one waiting): a normal request is
// graded meanwhile, not refused with 429.
func TestSlowUploadsHoldNoGrader(t *testing.T) {
	srv, err := New(Config{Engine: redistest.ProcessEngine(t), Jobs: 1, MaxWaiting: 1, Token: token, UploadTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := runServer(t, srv)
	const slow = 10
	for range slow {
		// Registered after the server: closed before it shuts down.
		startDrip(t, ts, token, "application/json", jsonStart, 200*time.Millisecond)
	}
	redistest.Eventually(t, 30*time.Second, "the slow uploads are being received", func() bool { return srv.door.Stats().Uploading == slow })

	h := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil).json(t)
	if h["uploading"] != float64(slow) || h["grading"] != 0.0 || h["waiting"] != 0.0 {
		t.Errorf("healthz during the slow uploads: %v", h)
	}
	r := gradeJSON(t, ts, token, map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")})
	if got, _ := score(t, r); got != 4 {
		t.Errorf("score %g", got)
	}
	if n := srv.admitted(); n != 0 {
		t.Errorf("%d admission tokens held with only slow uploads left", n)
	}
}

// TestSlowUploadCut: a body that keeps coming, a byte at a time, is cut at
// the upload limit with a 408 that says so, in JSON as every error. A limit
// on idle time would never fire here: a byte comes every 100ms.
func TestSlowUploadCut(t *testing.T) {
	const limit = time.Second
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1, Token: token, UploadTimeout: limit})
	for _, tt := range []struct{ name, contentType, start string }{
		{"json", "application/json", jsonStart},
		{"multipart", "multipart/form-data; boundary=xyz",
			"--xyz\r\nContent-Disposition: form-data; name=\"exercise\"\r\n\r\nlua-atomicity\r\n" +
				"--xyz\r\nContent-Disposition: form-data; name=\"step1.redis\"; filename=\"step1.redis\"\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			began := time.Now()
			d := startDrip(t, ts, token, tt.contentType, tt.start, 100*time.Millisecond)
			r := d.response(t, limit+30*time.Second)
			took := time.Since(began)
			if r.status != http.StatusRequestTimeout || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("after %v: %s (Content-Type %q), want 408 in JSON", took, r, r.header.Get("Content-Type"))
			}
			want := fmt.Sprintf("did not arrive within the upload limit of %s", limit)
			if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, want) {
				t.Errorf("error %q, want it to say %q", msg, want)
			}
			if took < limit {
				t.Errorf("cut after %v, before the %v limit", took, limit)
			}
		})
	}
	if got, _ := score(t, gradeJSON(t, ts, token, map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")})); got != 4 {
		t.Errorf("after the cut uploads: score %g", got)
	}
}

// TestUploadMemoryBounded: uploads hold no grading slot, so the bytes of the
// bodies held at once are bounded on their own: the body that would go over
// gets 503 with Retry-After, and the bytes come back when requests end.
func TestUploadMemoryBounded(t *testing.T) {
	const held = 900_000 // each slow upload sends this much, then trickles
	srv, err := New(Config{Engine: redistest.ProcessEngine(t), Jobs: 1, MaxWaiting: 1, MaxBody: 1 << 20, MaxReceiving: 3 * (held + 1000), UploadTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := runServer(t, srv)
	start := jsonStart + strings.Repeat("a", held-len(jsonStart))
	var slow []*dripper
	for range 3 {
		slow = append(slow, startDrip(t, ts, "", "application/json", start, 200*time.Millisecond))
	}
	redistest.Eventually(t, 30*time.Second, "three slow uploads hold their bytes", func() bool { return srv.door.Stats().Held >= 3*held })

	r := startDrip(t, ts, "", "application/json", start, 200*time.Millisecond).response(t, time.Minute)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("a fourth upload over the bound: %s, want 503 with Retry-After", r)
	}
	if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, "receiving too many uploads at once") {
		t.Errorf("503 message %q", msg)
	}
	for _, d := range slow {
		d.close()
	}
	redistest.Eventually(t, 30*time.Second, "the bytes of ended requests are given back", func() bool { return srv.door.Stats().Held == 0 })
	if got, _ := score(t, gradeJSON(t, ts, "", map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")})); got != 4 {
		t.Errorf("score %g", got)
	}
	if n := srv.door.Stats().Held; n != 0 {
		t.Errorf("%d bytes still counted after every request ended", n)
	}
}
