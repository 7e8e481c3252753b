// Package service is the HTTP API (redisgrade serve); the Redis Streams queue
// and its workers are package queue.
//
// A Server either grades itself, on a pool of warm grader sessions with a
// bounded wait queue in front, or, given a Queue, validates each request and
// enqueues it for the workers. Every request body is untrusted: it is read
// with a size limit, file names must be plain names, and the submission is
// opened with the submissions package's own bounds before anything runs.
package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/admission"
	"github.com/redisgrade/redisgrade/internal/httpjson"
	"github.com/redisgrade/redisgrade/internal/origin"
	"github.com/redisgrade/redisgrade/play"
	"github.com/redisgrade/redisgrade/queue"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// Defaults for Config.
const (
	DefaultMaxBody        = admission.DefaultMaxBody // bytes in one request body
	DefaultMaxFiles       = queue.DefaultMaxFiles    // loose files in one request
	DefaultRequestTimeout = admission.DefaultRequestTimeout
	DefaultUploadTimeout  = admission.DefaultUploadTimeout
	// readHeaderTimeout bounds a request's headers; UploadTimeout then bounds its body.
	readHeaderTimeout = 10 * time.Second
)

// Config configures a Server. Engine is required unless Queue is set.
type Config struct {
	// Engine starts the servers gradings run on. Unused with Queue.
	Engine engine.Engine
	// Jobs is how many gradings run at once (default grader.DefaultJobs()).
	Jobs int
	// MaxWaiting bounds the requests waiting for a grader; beyond it a
	// request gets 429 (default 4×Jobs).
	MaxWaiting int
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route but /healthz.
	Token string
	// AllowHosts are names the server accepts in the Host header besides
	// IP addresses and localhost, when it has no token (with one, any name
	// is accepted): without a token, a page on another site that rebinds
	// its own name to this server could read its answers.
	AllowHosts []string
	// MaxBody bounds a request body in bytes (default 8 MiB).
	MaxBody int64
	// MaxFiles bounds the loose files in one request (default 64).
	MaxFiles int
	// RequestTimeout bounds one request once its body is in: waiting for a
	// grader and grading (default 2m). Grade.Deadline should be well under it.
	RequestTimeout time.Duration
	// UploadTimeout bounds the time a request's body may take to arrive,
	// however it trickles in (default 30s). A body being received holds no
	// grading slot.
	UploadTimeout time.Duration
	// MaxReceiving bounds the bytes of request bodies held at once, counted
	// as they arrive and until their request ends (default 2 × (Jobs +
	// MaxWaiting) × MaxBody): uploads hold no grading slot, so it is what
	// bounds their memory. A body that would go over it gets 503.
	MaxReceiving int64
	// Grade is passed to every grading.
	Grade grader.Options
	// Queue, when set, makes the server enqueue submissions for workers
	// (202 and a job id) instead of grading them.
	Queue *queue.Queue
	// Log gets one line per request and the errors of the grader; nil = none.
	Log *log.Logger
}

// Server is the HTTP API. It is an http.Handler; Serve runs it on a
// listener with a graceful shutdown.
type Server struct {
	cfg  Config
	pool *grader.Pool
	// door admits every grading request, of /v1/grade and of the page.
	door    *admission.Door
	mux     *http.ServeMux
	token   [sha256.Size]byte
	guard   *origin.Guard
	shipped []string
	// page is the play page at / (redisgrade play's), under the same token.
	page http.Handler

	// testHookGrading runs when a request got a grader, before it grades.
	testHookGrading func(context.Context)
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Queue == nil && cfg.Engine == nil {
		return nil, errors.New("service: an engine or a queue is needed")
	}
	if cfg.MaxFiles <= 0 {
		cfg.MaxFiles = DefaultMaxFiles
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	s := &Server{
		cfg:     cfg,
		mux:     http.NewServeMux(),
		token:   sha256.Sum256([]byte(cfg.Token)),
		guard:   origin.New(cfg.Token != "", cfg.AllowHosts...),
		shipped: exercises.Shipped(),
	}
	jobs := cfg.Jobs
	if jobs <= 0 {
		jobs = grader.DefaultJobs()
	}
	if cfg.Queue == nil {
		s.pool = grader.NewPool(grader.PoolConfig{Engine: cfg.Engine, Jobs: jobs})
	}
	s.door = admission.New(admission.Config{
		Pool: s.pool, Jobs: jobs, MaxWaiting: cfg.MaxWaiting, MaxBody: cfg.MaxBody, MaxReceiving: cfg.MaxReceiving,
		UploadTimeout: cfg.UploadTimeout, RequestTimeout: cfg.RequestTimeout, Grade: cfg.Grade, Log: cfg.Log,
		OnGrading: func(ctx context.Context) {
			if s.testHookGrading != nil {
				s.testHookGrading(ctx)
			}
		},
	})
	// The door's defaults are the server's.
	dc := s.door.Config()
	s.cfg.Jobs, s.cfg.MaxWaiting, s.cfg.MaxBody, s.cfg.MaxReceiving = dc.Jobs, dc.MaxWaiting, dc.MaxBody, dc.MaxReceiving
	s.cfg.UploadTimeout, s.cfg.RequestTimeout = dc.UploadTimeout, dc.RequestTimeout
	page, err := play.New(play.Config{Door: s.door, Engine: cfg.Engine, Log: cfg.Log, Shared: true})
	if err != nil {
		return nil, err
	}
	s.page = page
	for pattern, handler := range s.routes() {
		s.mux.HandleFunc(pattern, handler)
	}
	return s, nil
}

// routes are the server's routes by pattern; openapi.json describes each.
func (s *Server) routes() map[string]http.HandlerFunc {
	routes := map[string]http.HandlerFunc{
		"GET /healthz":      s.handleHealth,
		"GET /openapi.json": handleOpenAPI,
		"GET /v1/exercises": s.handleExercises,
		"POST /v1/grade":    s.handleGrade,
	}
	if s.cfg.Queue != nil {
		routes["GET /v1/jobs/{id}"] = s.handleJob
	}
	return routes
}

// Pool is the server's session pool (nil in queue mode).
func (s *Server) Pool() *grader.Pool { return s.pool }

// Close closes the pool's sessions, waiting for the gradings in flight
// (Serve calls it once no request is).
func (s *Server) Close() {
	if s.pool != nil {
		s.pool.Close()
	}
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully: it
// stops accepting, lets the requests in flight finish (for at most the
// upload and request timeouts and a margin), and closes the sessions. It
// returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		// A backstop: POST /v1/grade sets its body's own deadline.
		ReadTimeout: readHeaderTimeout + s.cfg.UploadTimeout,
		// The write deadline counts from the headers: upload, wait and grading.
		WriteTimeout:   s.cfg.UploadTimeout + s.cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       s.cfg.Log,
		// Request contexts do not end with ctx: a shutdown lets the
		// gradings in flight finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		s.Close()
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), s.cfg.UploadTimeout+s.cfg.RequestTimeout+10*time.Second)
	defer cancel()
	err := hs.Shutdown(grace)
	if err != nil {
		hs.Close()
	}
	<-done // http.ErrServerClosed
	s.Close()
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// public are the routes that never need the token.
var public = map[string]bool{"/healthz": true, "/openapi.json": true}

// ServeHTTP checks the token, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if herr := s.guard.Check(r); herr != nil {
		herr.Write(rec)
	} else if !public[r.URL.Path] && !play.Public(r.URL.Path) && !s.authorized(r) {
		rec.Header().Set("WWW-Authenticate", `Bearer realm="redisgrade"`)
		httpjson.WriteError(rec, http.StatusUnauthorized, "a valid bearer token is needed: Authorization: Bearer <token>")
	} else if play.Serves(r.URL.Path) {
		s.page.ServeHTTP(rec, r)
	} else if h, pattern := s.mux.Handler(r); pattern == "" {
		routeError(rec, r, h)
	} else {
		s.mux.ServeHTTP(rec, r)
	}
	s.cfg.Log.Printf("%s %s %d %s", r.Method, r.URL.Path, rec.status, time.Since(began).Round(time.Millisecond))
}

// routeError answers a request no route takes in JSON, as every error: the
// mux's own answer (404, or 405 with Allow) is only asked for its status.
func routeError(w http.ResponseWriter, r *http.Request, muxAnswer http.Handler) {
	probe := &headerProbe{header: http.Header{}}
	muxAnswer.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		httpjson.WriteError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: this route takes %s", r.Method, r.URL.Path, allow))
		return
	}
	httpjson.WriteError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s (see GET /openapi.json)", r.Method, r.URL.Path))
}

// headerProbe records a handler's status and headers, and drops its body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }
func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}
func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// authorized compares the bearer token in constant time (both sides hashed,
// so that the comparison does not leak the token's length either).
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	auth := r.Header.Get("Authorization")
	scheme, given, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(given)))
	return subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// jobStatus is the HTTP status serve answers each kind of job error with.
var jobStatus = map[queue.ErrorKind]int{
	queue.BadJob:          http.StatusBadRequest,
	queue.UnknownExercise: http.StatusNotFound,
	queue.Unopenable:      http.StatusUnprocessableEntity,
	queue.GraderSide:      http.StatusInternalServerError,
	queue.Refused:         http.StatusUnprocessableEntity,
}

// fromJob is a job's refusal as the request's.
func fromJob(e *queue.JobError) *httpjson.Error {
	if e == nil {
		return nil
	}
	status, ok := jobStatus[e.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	return &httpjson.Error{Status: status, Msg: e.Msg}
}

func loadExercise(shipped []string, id string) (*exercises.Exercise, *httpjson.Error) {
	ex, err := queue.LoadExercise(shipped, id)
	return ex, fromJob(err)
}

func openJob(job *queue.Job, maxFiles int) (*submissions.Submission, *httpjson.Error) {
	sub, err := job.Open(maxFiles)
	return sub, fromJob(err)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"status": "ok"}
	status := http.StatusOK
	if s.pool != nil {
		st := s.door.Stats()
		body["engine"] = s.cfg.Engine.Kind()
		body["grading"] = st.Grading
		body["waiting"] = st.Waiting
		body["uploading"] = st.Uploading
		body["jobs"] = s.cfg.Jobs
		body["max_waiting"] = s.cfg.MaxWaiting
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Queue.Ping(ctx); err != nil {
			// The error names the queue's address: the log gets it, the
			// world (this route needs no token) does not.
			s.cfg.Log.Printf("healthz: the queue does not answer: %v", err)
			status = http.StatusServiceUnavailable
			body["status"] = "queue unreachable"
		}
	}
	httpjson.Write(w, status, body)
}

// ExerciseInfo describes a shipped exercise for GET /v1/exercises.
type ExerciseInfo struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Summary  string     `json:"summary,omitempty"`
	MaxScore float64    `json:"max_score"`
	Steps    []StepInfo `json:"steps"`
}

// StepInfo is one step of an ExerciseInfo.
type StepInfo struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	File   string  `json:"file"`
	Points float64 `json:"points"`
}

func (s *Server) handleExercises(w http.ResponseWriter, r *http.Request) {
	out := []ExerciseInfo{}
	for _, id := range s.shipped {
		ex, err := exercises.Load(id)
		if err != nil {
			httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		info := ExerciseInfo{ID: ex.ID, Title: ex.Title, Summary: ex.Summary, MaxScore: ex.MaxScore(), Steps: []StepInfo{}}
		for _, st := range ex.Steps {
			info.Steps = append(info.Steps, StepInfo{ID: st.ID, Title: st.Title, File: st.File, Points: st.Points})
		}
		out = append(out, info)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"exercises": out})
}

// lookupFormat returns the writer for ?format= (default json).
func lookupFormat(format string) (string, report.Writer, *httpjson.Error) {
	if format == "" {
		format = "json"
	}
	w, err := report.Lookup(format)
	if err != nil {
		return "", nil, httpjson.Errorf(http.StatusBadRequest, "format: %v", err)
	}
	return format, w, nil
}

// contentTypes gives the media type of the formats that are not JSON;
// anything else is sniffed.
var contentTypes = map[string]string{
	"text":  "text/plain; charset=utf-8",
	"tap":   "text/plain; charset=utf-8",
	"csv":   "text/csv; charset=utf-8",
	"junit": "application/xml",
	"html":  "text/html; charset=utf-8",
}

func writeReport(w http.ResponseWriter, format string, write report.Writer, rep *report.Report) {
	var buf bytes.Buffer
	if err := write(&buf, rep, report.Options{}); err != nil {
		httpjson.WriteError(w, http.StatusInternalServerError, "write report: "+err.Error())
		return
	}
	ct, ok := contentTypes[format]
	switch {
	case ok:
	case json.Valid(buf.Bytes()):
		ct = "application/json"
	default:
		ct = http.DetectContentType(buf.Bytes())
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) handleGrade(w http.ResponseWriter, r *http.Request) {
	format, write, herr := lookupFormat(r.URL.Query().Get("format"))
	if herr != nil {
		herr.Write(w)
		return
	}
	var job *queue.Job
	release, herr := s.door.ReceiveGrading(w, r, func(body io.Reader) *httpjson.Error {
		var herr *httpjson.Error
		job, herr = readRequest(r, body, s.cfg.MaxFiles)
		return herr
	})
	defer release() // the job's bytes are held until the request ends
	if herr != nil {
		herr.Write(w)
		return
	}
	job.Format = format
	ex, herr := loadExercise(s.shipped, job.Exercise)
	if herr != nil {
		herr.Write(w)
		return
	}
	sub, herr := openJob(job, s.cfg.MaxFiles)
	if herr != nil {
		herr.Write(w)
		return
	}
	if s.cfg.Queue != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		s.enqueue(ctx, w, job)
		return
	}
	rep, herr := s.door.Grade(r.Context(), ex, sub)
	if herr != nil {
		herr.Write(w)
		return
	}
	writeReport(w, format, write, rep)
}

func (s *Server) enqueue(ctx context.Context, w http.ResponseWriter, job *queue.Job) {
	job.ID = queue.NewJobID()
	job.Enqueued = time.Now().UTC()
	if err := s.cfg.Queue.Enqueue(ctx, job); err != nil {
		if errors.Is(err, queue.ErrBacklogFull) {
			e := httpjson.Errorf(http.StatusTooManyRequests, "%v; try again later", err)
			e.RetryAfter = 5
			e.Write(w)
			return
		}
		s.cfg.Log.Printf("enqueue: %v", err)
		e := httpjson.Errorf(http.StatusServiceUnavailable, "could not queue the submission: %v", err)
		e.RetryAfter = 5
		e.Write(w)
		return
	}
	loc := "/v1/jobs/" + job.ID
	w.Header().Set("Location", loc)
	httpjson.Write(w, http.StatusAccepted, map[string]any{"job": job.ID, "status": "queued", "url": loc})
}

func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !queue.ValidJobID(id) {
		httpjson.WriteError(w, http.StatusNotFound, "no job "+strconv.Quote(id))
		return
	}
	res, queued, err := s.cfg.Queue.Result(r.Context(), id)
	if err != nil {
		s.cfg.Log.Printf("job %s: %v", id, err)
		e := httpjson.Errorf(http.StatusServiceUnavailable, "could not read the job: %v", err)
		e.RetryAfter = 5
		e.Write(w)
		return
	}
	switch {
	case res == nil && queued:
		w.Header().Set("Retry-After", "1")
		httpjson.Write(w, http.StatusAccepted, map[string]any{"job": id, "status": "queued"})
		return
	case res == nil:
		httpjson.WriteError(w, http.StatusNotFound, "no job "+strconv.Quote(id)+" (results are kept for a limited time)")
		return
	}
	w.Header().Set("X-Redisgrade-Worker", res.Worker)
	switch res.Status {
	case queue.StatusGraded:
		fmtName := r.URL.Query().Get("format")
		if fmtName == "" {
			fmtName = res.Format
		}
		format, write, herr := lookupFormat(fmtName)
		if herr != nil {
			herr.Write(w)
			return
		}
		writeReport(w, format, write, res.Report)
	case queue.StatusRejected:
		// 422 whatever the cause: a 404 would read as "no such job".
		httpjson.Write(w, http.StatusUnprocessableEntity, map[string]any{"job": id, "status": res.Status, "error": res.Error})
	default:
		httpjson.Write(w, http.StatusInternalServerError, map[string]any{"job": id, "status": res.Status, "error": res.Error})
	}
}
