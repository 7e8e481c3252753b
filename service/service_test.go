package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redisgrade/redisgrade/internal/admission"
	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/queue"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/report/reporttest"
)

const token = "s3cret-token"

// TestGrade grades the correct and a wrong submission in every accepted
// shape of request, and checks the report is the JSON writer's output.
func TestGrade(t *testing.T) {
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 2, Token: token})
	correct, wrong := exampleFiles(t, "correct"), exampleFiles(t, "two-commands")

	tests := []struct {
		name string
		send func() response
		want float64
		sub  string // the report's "submission"
	}{
		{"json correct", func() response {
			return gradeJSON(t, ts, token, map[string]any{"exercise": "lua-atomicity", "files": correct})
		}, 4, "submission"},
		{"json wrong, named", func() response {
			return gradeJSON(t, ts, token, map[string]any{"exercise": "lua-atomicity", "name": "alice", "files": wrong})
		}, 3, "alice"},
		{"multipart fields named by file", func() response {
			return gradeMultipart(t, ts, token, "", append([]part{{field: "exercise", data: []byte("lua-atomicity")}}, filesParts(wrong)...)...)
		}, 3, "submission"},
		{"multipart files field", func() response {
			parts := []part{{field: "exercise", data: []byte("lua-atomicity")}}
			for _, p := range filesParts(correct) {
				parts = append(parts, part{field: "files", filename: p.filename, data: p.data})
			}
			return gradeMultipart(t, ts, token, "", parts...)
		}, 4, "submission"},
		{"zip", func() response {
			return gradeMultipart(t, ts, token, "", part{field: "exercise", data: []byte("lua-atomicity")},
				part{field: "submission", filename: "bob.zip", data: makeZip(t, correct)})
		}, 4, "bob"},
		{"zip of a folder, unnamed", func() response {
			inFolder := map[string]string{}
			for n, c := range wrong {
				inFolder["work/"+n] = c
			}
			return gradeMultipart(t, ts, token, "", part{field: "exercise", data: []byte("lua-atomicity")},
				part{field: "submission", data: makeZip(t, inFolder)})
		}, 3, "submission"},
		{"tar.gz", func() response {
			return gradeMultipart(t, ts, token, "", part{field: "exercise", data: []byte("lua-atomicity")},
				part{field: "submission", filename: "carol.tar.gz", data: makeTarGz(t, wrong)})
		}, 3, "carol"},
		{"zip with entries climbing out", func() response {
			// Unsafe entries are ignored by submissions.Open, and nothing is
			// ever extracted: the archive is read in memory.
			evil := map[string]string{"../../evil.redis": "FLUSHALL", "/abs.lua": "return 1"}
			for n, c := range correct {
				evil[n] = c
			}
			return gradeMultipart(t, ts, token, "", part{field: "exercise", data: []byte("lua-atomicity")},
				part{field: "submission", filename: "evil.zip", data: makeZip(t, evil)})
		}, 4, "evil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			got, max := score(t, r)
			if got != tt.want || max != 4 {
				t.Errorf("score %g/%g, want %g/4\n%s", got, max, tt.want, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			// The body is exactly what `grade --format json` prints.
			var rep report.Report
			if err := json.Unmarshal(r.body, &rep); err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			write, _ := report.Lookup("json")
			if err := write(&again, &rep, report.Options{}); err != nil {
				t.Fatal(err)
			}
			if again.String() != string(r.body) {
				t.Errorf("the body is not the json writer's output:\n%s\nvs\n%s", r.body, again.String())
			}
			if rep.Submission != tt.sub || rep.Exercise != "lua-atomicity" || len(rep.Steps) != 4 || rep.Engine.Kind != "process" {
				t.Errorf("report: submission %q exercise %q steps %d engine %q", rep.Submission, rep.Exercise, len(rep.Steps), rep.Engine.Kind)
			}
		})
	}

	t.Run("format text", func(t *testing.T) {
		r := do(t, http.MethodPost, ts.URL+"/v1/grade?format=text", token, "application/json",
			jsonBody(t, map[string]any{"exercise": "lua-atomicity", "files": wrong}))
		if r.status != 200 || !strings.Contains(string(r.body), "Score: 3/4") || strings.Contains(string(r.body), "\x1b[") {
			t.Errorf("text report: %s", r)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q", ct)
		}
	})

	t.Run("format text, hostile student", func(t *testing.T) {
		files := map[string]string{}
		for n, c := range wrong {
			files[n] = c
		}
		// An error reply with a screen clear, a clipboard write, a C1 CSI and
		// a byte that is not UTF-8.
		files["step2.lua"] = `return redis.error_reply("\27[2J\27]52;c;cHduZWQ=\7 \194\155 \255")` + "\n"
		r := do(t, http.MethodPost, ts.URL+"/v1/grade?format=text", token, "application/json",
			jsonBody(t, map[string]any{"exercise": "lua-atomicity", "name": "mallory", "files": files}))
		if r.status != 200 {
			t.Fatalf("text report: %s", r)
		}
		if err := reporttest.CheckInert(r.body, false); err != nil {
			t.Errorf("%v\n%s", err, r.body)
		}
		if !strings.Contains(string(r.body), `\x1b[2J\x1b]52;c;cHduZWQ=\x07 \u009b \xff`) {
			t.Errorf("the student's error is not shown escaped:\n%s", r.body)
		}
	})

	// Two gradings at most, each on a session reused from then on.
	st := ts.Pool().Stats()
	if st.Started < 1 || st.Started > 2 || st.Replaced != 0 || st.Busy != 0 {
		t.Errorf("pool: %+v, want 1 or 2 sessions started and reused", st)
	}
}

// TestBadRequests sends each kind of bad request: each gets a clear 4xx,
// and the server grades a good request right after.
func TestBadRequests(t *testing.T) {
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1, Token: token, MaxBody: 1 << 20, MaxFiles: 8})
	correct := exampleFiles(t, "correct")
	good := map[string]any{"exercise": "lua-atomicity", "files": correct}
	ex := part{field: "exercise", data: []byte("lua-atomicity")}
	random := make([]byte, 4096)
	_, _ = rand.Read(random)
	copy(random, "Rar!\x1a\x07") // neither zip nor gzip magic
	zipped := makeZip(t, correct)
	tooMany := map[string]string{}
	for i := range 1001 {
		tooMany[fmt.Sprintf("f%04d.txt", i)] = "x"
	}
	nineFiles := map[string]string{}
	for i := range 9 {
		nineFiles[fmt.Sprintf("f%d.redis", i)] = "PING"
	}
	huge := bytes.Repeat([]byte("a"), 2<<20)

	post := func(ct string, body io.Reader) func(t *testing.T) response {
		return func(t *testing.T) response { return do(t, http.MethodPost, ts.URL+"/v1/grade", token, ct, body) }
	}
	mp := func(parts ...part) func(t *testing.T) response {
		return func(t *testing.T) response { return gradeMultipart(t, ts, token, "", parts...) }
	}
	js := func(v any) func(t *testing.T) response {
		return func(t *testing.T) response { return gradeJSON(t, ts, token, v) }
	}
	raw := func(s string) func(t *testing.T) response { return post("application/json", strings.NewReader(s)) }

	tests := []struct {
		name   string
		send   func(t *testing.T) response
		status int
		msg    string
	}{
		{"no token", func(t *testing.T) response {
			return gradeJSON(t, ts, "", good)
		}, 401, "bearer token"},
		{"wrong token", func(t *testing.T) response {
			return gradeJSON(t, ts, token+"x", good)
		}, 401, "bearer token"},
		{"token as basic auth", func(t *testing.T) response {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/exercises", nil)
			req.SetBasicAuth("x", token)
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return response{resp.StatusCode, resp.Header, body}
		}, 401, "bearer token"},
		{"exercises without token", func(t *testing.T) response {
			return do(t, http.MethodGet, ts.URL+"/v1/exercises", "", "", nil)
		}, 401, "bearer token"},
		{"huge body with length", post("application/json", bytes.NewReader(huge)), 413, "over the limit of 1 MiB"},
		{"huge body chunked", post("application/json", io.MultiReader(strings.NewReader(`{"exercise":"lua-atomicity","files":{"step1.redis":"`), bytes.NewReader(huge), strings.NewReader(`"}}`))), 413, "over the limit"},
		{"huge multipart chunked", func(t *testing.T) response {
			ct, body := multipartBody(t, ex, part{field: "step1.redis", filename: "step1.redis", data: huge})
			return do(t, http.MethodPost, ts.URL+"/v1/grade", token, ct, io.MultiReader(body)) // no length
		}, 413, "over the limit"},
		{"unknown exercise", js(map[string]any{"exercise": "nope", "files": correct}), 404, `no exercise named "nope"`},
		{"exercise as a path", js(map[string]any{"exercise": "../exercises/lua-atomicity.yaml", "files": correct}), 404, "no exercise named"},
		{"no exercise", js(map[string]any{"files": correct}), 400, "no exercise given"},
		{"malformed zip", mp(ex, part{field: "submission", filename: "work.zip", data: random}), 400, "malformed archive"},
		{"truncated zip", mp(ex, part{field: "submission", filename: "work.zip", data: zipped[:len(zipped)/2]}), 400, "malformed archive"},
		{"malformed tar.gz", mp(ex, part{field: "submission", filename: "work.tar.gz", data: append([]byte{0x1f, 0x8b}, random...)}), 400, "malformed archive"},
		{"archive of unknown kind", mp(ex, part{field: "submission", filename: "work.rar", data: random}), 400, "neither a .zip nor a .tar.gz"},
		{"archive with too many entries", mp(ex, part{field: "submission", filename: "big.zip", data: makeZip(t, tooMany)}), 422, "too many entries"},
		{"traversal in JSON", js(map[string]any{"exercise": "lua-atomicity", "files": map[string]string{"../step1.redis": "SET a b"}}), 400, `"../step1.redis" is not a plain file name`},
		{"absolute JSON name", js(map[string]any{"exercise": "lua-atomicity", "files": map[string]string{"/etc/passwd": "x"}}), 400, "not a plain file name"},
		{"backslash name", js(map[string]any{"exercise": "lua-atomicity", "files": map[string]string{`..\step1.redis`: "x"}}), 400, "not a plain file name"},
		{"dot-file", js(map[string]any{"exercise": "lua-atomicity", "files": map[string]string{".bashrc": "x"}}), 400, "not a plain file name"},
		{"traversal in a multipart file name", mp(ex, part{field: "files", filename: "../../etc/passwd", data: []byte("x")}), 400, `"../../etc/passwd" is not a plain file name`},
		{"traversal in a multipart field name", mp(ex, part{field: "../step1.redis", filename: "step1.redis", data: []byte("x")}), 400, "not a plain file name"},
		{"traversal in an archive name", mp(ex, part{field: "submission", filename: "../x.zip", data: zipped}), 400, "not a plain file name"},
		{"traversal in the submission name", js(map[string]any{"exercise": "lua-atomicity", "name": "../../tmp", "files": correct}), 400, "submission name"},
		{"too many files", js(map[string]any{"exercise": "lua-atomicity", "files": nineFiles}), 400, "too many files"},
		{"file given twice", mp(ex, part{field: "files", filename: "step1.redis", data: []byte("x")}, part{field: "files", filename: "step1.redis", data: []byte("y")}), 400, "given twice"},
		{"archive and files", mp(ex, part{field: "submission", filename: "w.zip", data: zipped}, part{field: "step1.redis", data: []byte("x")}), 400, "not both"},
		{"no files", mp(ex), 400, "no submission"},
		{"wrong content type", post("text/plain", strings.NewReader("exercise=lua-atomicity")), 415, "is not accepted"},
		{"no content type", post("", strings.NewReader(`{}`)), 415, "is not accepted"},
		{"form-urlencoded", post("application/x-www-form-urlencoded", strings.NewReader("exercise=lua-atomicity")), 415, "is not accepted"},
		{"malformed multipart", post("multipart/form-data; boundary=xyz", strings.NewReader("--nope\r\n")), 400, "malformed multipart"},
		{"multipart without boundary", post("multipart/form-data", strings.NewReader("x")), 400, "malformed multipart"},
		{"unknown JSON field", js(map[string]any{"exercise": "lua-atomicity", "files": correct, "colour": "red"}), 400, `unknown field "colour"`},
		{"malformed JSON", raw(`{"exercise": "lua-atomicity", "files": {`), 400, "malformed JSON"},
		{"JSON of the wrong type", raw(`{"exercise": 7, "files": {}}`), 400, "malformed JSON"},
		{"two JSON values", raw(`{"exercise": "lua-atomicity", "files": {"a.redis": "PING"}} {}`), 400, "more than one JSON value"},
		{"JSON without files", raw(`{"exercise": "lua-atomicity"}`), 400, `needs "files"`},
		{"JSON with empty files", raw(`{"exercise": "lua-atomicity", "files": {}}`), 400, "no files"},
		{"unknown format", func(t *testing.T) response {
			return do(t, http.MethodPost, ts.URL+"/v1/grade?format=xml", token, "application/json", jsonBody(t, good))
		}, 400, `unknown format "xml"`},
		{"unknown route", func(t *testing.T) response {
			return do(t, http.MethodGet, ts.URL+"/v1/nope", token, "", nil)
		}, 404, ""},
		{"GET on grade", func(t *testing.T) response {
			return do(t, http.MethodGet, ts.URL+"/v1/grade", token, "", nil)
		}, 405, ""},
		{"jobs without a queue", func(t *testing.T) response {
			return do(t, http.MethodGet, ts.URL+"/v1/jobs/"+queue.NewJobID(), token, "", nil)
		}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send(t)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.msg != "" {
				m := r.json(t)
				if msg, _ := m["error"].(string); !strings.Contains(msg, tt.msg) {
					t.Errorf("error %q should contain %q", msg, tt.msg)
				}
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") != `Bearer realm="redisgrade"` {
				t.Errorf("401 without WWW-Authenticate: %v", r.header)
			}
			// The server stays up and grades.
			if got, _ := score(t, gradeJSON(t, ts, token, good)); got != 4 {
				t.Errorf("a good request after it scored %g", got)
			}
		})
	}
	if st := ts.Pool().Stats(); st.Replaced != 0 {
		t.Errorf("a bad request cost a session: %+v", st)
	}
}

// A server without a token serves anyone; /healthz never needs one.
func TestHealthAndExercises(t *testing.T) {
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 3, Token: token})
	r := do(t, http.MethodGet, ts.URL+"/healthz", "", "", nil)
	if r.status != 200 {
		t.Fatalf("healthz: %s", r)
	}
	h := r.json(t)
	if h["status"] != "ok" || h["jobs"] != 3.0 || h["max_waiting"] != 12.0 || h["engine"] != "process" {
		t.Errorf("healthz: %s", r.body)
	}

	r = do(t, http.MethodGet, ts.URL+"/v1/exercises", token, "", nil)
	if r.status != 200 {
		t.Fatalf("exercises: %s", r)
	}
	var list struct {
		Exercises []ExerciseInfo `json:"exercises"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var la ExerciseInfo
	for _, e := range list.Exercises {
		ids = append(ids, e.ID)
		if e.ID == "lua-atomicity" {
			la = e
		}
	}
	if strings.Join(ids, " ") != strings.Join(exercises.Shipped(), " ") {
		t.Errorf("exercises %v, want the shipped ones %v", ids, exercises.Shipped())
	}
	for _, e := range list.Exercises {
		var sum float64
		for _, s := range e.Steps {
			sum += s.Points
		}
		if e.Title == "" || len(e.Steps) == 0 || sum != e.MaxScore {
			t.Errorf("%s: %+v", e.ID, e)
		}
	}
	var files []string
	var sum float64
	for _, s := range la.Steps {
		files = append(files, s.File)
		sum += s.Points
	}
	if la.Title == "" || la.MaxScore != 4 || sum != 4 || strings.Join(files, " ") != "step1.redis step2.lua step3.redis step4.lua" || la.Steps[0].ID != "setup" {
		t.Errorf("lua-atomicity: %+v", la)
	}

	open := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1})
	if r := do(t, http.MethodGet, open.URL+"/v1/exercises", "", "", nil); r.status != 200 {
		t.Errorf("no token configured: %s", r)
	}
}

// gate blocks gradings in the test hook until opened.
type gate struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 100), open: make(chan struct{})} }

func (g *gate) hook(context.Context) {
	g.entered <- struct{}{}
	<-g.open
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("no grading started")
	}
}

// TestBusy: with one grader and one place in the queue, a third request is
// refused at once with 429 and a Retry-After; the first two are graded.
func TestBusy(t *testing.T) {
	srv, err := New(Config{Engine: redistest.ProcessEngine(t), Jobs: 1, MaxWaiting: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := newGate()
	defer g.release()
	srv.testHookGrading = g.hook
	ts := runServer(t, srv)
	good := map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")}

	results := make(chan response, 2)
	go func() { results <- gradeJSON(t, ts, "", good) }()
	g.waitEntered(t) // grading
	go func() { results <- gradeJSON(t, ts, "", good) }()
	redistest.Eventually(t, 10*time.Second, "the second request waits", func() bool { return srv.admitted() == 2 })

	r := gradeJSON(t, ts, "", good)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("third request: %s", r)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if msg := r.json(t)["error"].(string); !strings.Contains(msg, "busy") {
		t.Errorf("429 message: %s", msg)
	}
	g.release()
	for range 2 {
		if got, _ := score(t, <-results); got != 4 {
			t.Errorf("score %g", got)
		}
	}
	if n := srv.admitted(); n != 0 {
		t.Errorf("%d admission tokens still held", n)
	}
}

// TestRequestDeadline: a request that cannot be graded in its time gets 503,
// and the server grades the next request. The grading is held until its
// context ends, so the deadline is what ends it, however loaded the machine.
func TestRequestDeadline(t *testing.T) {
	const limit = 300 * time.Millisecond
	srv, err := New(Config{Engine: redistest.ProcessEngine(t), Jobs: 1, RequestTimeout: limit})
	if err != nil {
		t.Fatal(err)
	}
	srv.testHookGrading = func(ctx context.Context) { <-ctx.Done() }
	ts := runServer(t, srv)
	good := map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")}
	began := time.Now()
	r := gradeJSON(t, ts, "", good)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.json(t)["error"].(string), "not graded within the request's 300ms") {
		t.Fatalf("%s", r)
	}
	if d := time.Since(began); d < limit {
		t.Errorf("answered after %v, before the %v limit", d, limit)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The next request, with time enough for a fresh session under any load,
	// is graded: the cut one broke nothing.
	srv.testHookGrading = nil
	dc := srv.door.Config()
	dc.RequestTimeout = DefaultRequestTimeout
	srv.door = admission.New(dc) // the same pool, with more time
	if got, _ := score(t, gradeJSON(t, ts, "", good)); got != 4 {
		t.Errorf("after a timeout: score %g", got)
	}
}

// TestGracefulShutdown: on shutdown the server stops accepting, finishes
// the grading in flight, and closes its sessions.
func TestGracefulShutdown(t *testing.T) {
	srv, err := New(Config{Engine: redistest.ProcessEngine(t), Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	g := newGate()
	defer g.release()
	srv.testHookGrading = g.hook
	ts := runServer(t, srv)
	addr := strings.TrimPrefix(ts.URL, "http://")
	good := map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "two-commands")}

	inFlight := make(chan response, 1)
	go func() { inFlight <- gradeJSON(t, ts, "", good) }()
	g.waitEntered(t)

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop(t) }()
	redistest.Eventually(t, 10*time.Second, "the listener closes", func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) with a grading in flight", err)
	default:
	}
	g.release()
	if got, _ := score(t, <-inFlight); got != 3 {
		t.Errorf("in-flight grading scored %g", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	st := srv.Pool().Stats()
	if st.Idle != 0 || st.Busy != 0 || st.Started != 1 {
		t.Errorf("after shutdown: %+v", st)
	}
	if _, err := srv.Pool().Grade(context.Background(), nil, nil, srv.cfg.Grade); err != grader.ErrPoolClosed {
		t.Errorf("Grade after Close: %v", err)
	}
}

// flakyEngine wraps an engine: the test can kill the server it started last
// and make further starts fail.
type flakyEngine struct {
	engine.Engine
	fail  atomic.Bool
	mu    sync.Mutex
	last  engine.Server
	count atomic.Int32
}

func (f *flakyEngine) Start(ctx context.Context) (engine.Server, error) {
	if f.fail.Load() {
		return nil, fmt.Errorf("flaky engine: no server today")
	}
	srv, err := f.Engine.Start(ctx)
	if err == nil {
		f.count.Add(1)
		f.mu.Lock()
		f.last = srv
		f.mu.Unlock()
	}
	return srv, err
}

func (f *flakyEngine) killLast() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last.Close()
}

// TestInfraErrorReplacesSession: a server that dies and cannot be replaced
// is the grader's failure: 503, never a grade; the broken session is
// closed and the next request gets a fresh one.
func TestInfraErrorReplacesSession(t *testing.T) {
	eng := &flakyEngine{Engine: redistest.ProcessEngine(t)}
	ts := startServer(t, Config{Engine: eng, Jobs: 1})
	good := map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")}
	if got, _ := score(t, gradeJSON(t, ts, "", good)); got != 4 {
		t.Fatalf("score %g", got)
	}
	eng.killLast()
	eng.fail.Store(true)
	r := gradeJSON(t, ts, "", good)
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("with no server: %s", r)
	}
	if msg := r.json(t)["error"].(string); !strings.Contains(msg, "not the student's fault") || !strings.Contains(msg, "flaky engine") {
		t.Errorf("503 message: %s", msg)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// Still no engine: a new session cannot start either.
	if r := gradeJSON(t, ts, "", good); r.status != http.StatusServiceUnavailable {
		t.Fatalf("still no server: %s", r)
	}
	eng.fail.Store(false)
	if got, _ := score(t, gradeJSON(t, ts, "", good)); got != 4 {
		t.Errorf("after recovery: score %g", got)
	}
	st := ts.Pool().Stats()
	if st.Replaced != 1 || st.Idle != 1 || st.Busy != 0 {
		t.Errorf("pool: %+v", st)
	}
	if n := eng.count.Load(); n != 2 {
		t.Errorf("%d servers started, want 2 (the first, and one after recovery)", n)
	}
}

// TestOtherSitesRefused: without a token, serve answers only to this
// machine's names (and those of --allow-host), so a page that rebinds its
// own name to the server reads nothing; with a token any name is fine (the
// page lacks the token). A grading or the demo posted from another site's
// page is refused, token or not; programs, which send no Origin, are not.
func TestOtherSitesRefused(t *testing.T) {
	eng := redistest.ProcessEngine(t)
	open := startServer(t, Config{Engine: eng, Jobs: 1, AllowHosts: []string{"grader.lab"}})
	guarded := startServer(t, Config{Engine: eng, Jobs: 1, Token: token})
	good := jsonBody(t, map[string]any{"exercise": "lua-atomicity", "files": exampleFiles(t, "correct")})
	goodBytes, _ := io.ReadAll(good)
	send := func(ts *testServer, method, path, host, auth string, header map[string]string) response {
		t.Helper()
		var body io.Reader
		if method == http.MethodPost {
			body = bytes.NewReader(goodBytes)
		}
		req, err := http.NewRequest(method, ts.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return roundTrip(t, req)
	}
	crossSite := map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, tt := range []struct {
		name               string
		ts                 *testServer
		method, path, host string
		auth               string
		header             map[string]string
		status             int
	}{
		{"no token: a rebound name reads nothing", open, "GET", "/v1/exercises", "evil.example:8080", "", nil, 403},
		{"no token: a rebound name grades nothing", open, "POST", "/v1/grade", "evil.example", "", nil, 403},
		{"no token: nor the page's API", open, "GET", "/play/api/exercises", "evil.example", "", nil, 403},
		{"no token: localhost", open, "GET", "/v1/exercises", "localhost:8080", "", nil, 200},
		{"no token: an address", open, "GET", "/v1/exercises", "10.1.2.3:8080", "", nil, 200},
		{"no token: an --allow-host name", open, "GET", "/v1/exercises", "Grader.Lab:8080", "", nil, 200},
		{"no token: a grading from another site's page", open, "POST", "/v1/grade", "127.0.0.1", "", crossSite, 403},
		{"no token: the demo from another site's page", open, "POST", "/play/api/exercises/lua-atomicity/demo", "127.0.0.1", "", crossSite, 403},
		{"no token: a Check from another site's page", open, "POST", "/play/api/exercises/lua-atomicity/grade", "127.0.0.1", "", crossSite, 403},
		{"no token: a program's grading", open, "POST", "/v1/grade", "127.0.0.1", "", nil, 200},
		{"token: any name", guarded, "GET", "/v1/exercises", "grader.example.edu", token, nil, 200},
		{"token: a grading from another site's page", guarded, "POST", "/v1/grade", "grader.example.edu", token, crossSite, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := send(tt.ts, tt.method, tt.path, tt.host, tt.auth, tt.header)
			if r.status != tt.status {
				t.Errorf("%s", r)
			}
		})
	}
}

// roundTrip sends req, checking the answer against openapi.json as do()
// does, and reads it.
func roundTrip(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// An exercise whose requires leave out this server's Redis (hash-field
// expiry needs 7.4; the test's redis-server is 7.0) is refused with 422 and
// the reason, not retried as a grader failure and never the student's.
func TestRefusedExercise(t *testing.T) {
	eng := redistest.ProcessEngine(t)
	srv, err := eng.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	info := srv.Info()
	srv.Close()
	if info.Server != "redis" || !strings.HasPrefix(info.Version, "7.0.") {
		t.Skipf("the machine's redis-server is %s %s, which hash-field-expiry admits", info.Server, info.Version)
	}
	ts := startServer(t, Config{Engine: eng, Jobs: 1, Token: token})
	files := map[string]string{"step1.redis": "HSET s token t\n"}
	r := gradeJSON(t, ts, token, map[string]any{"exercise": "hash-field-expiry", "files": files})
	body := r.json(t)
	msg, _ := body["error"].(string)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(msg, "needs Redis >=7.4") || !strings.Contains(msg, "not the student's fault") ||
		r.header.Get("Retry-After") != "" {
		t.Fatalf("status %d, Retry-After %q, body %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}
