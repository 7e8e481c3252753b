// Package admission is the one door every grading request passes, whatever
// its route: serve's POST /v1/grade, the play page's Check (under serve and
// under play), and any route added later. A request is refused at once
// when every grading place is taken (429); its body is read within the
// body limit (413), the upload time limit (408) and the bound on request
// bytes held at once (503), and holds no grading place while it arrives;
// then it takes a place (429 if none is left), waits for one of the pool's
// graders within the request's time limit, and is graded. Requests are read
// into memory and never written to disk. Stats counts them all, for
// /healthz.
package admission

import (
	"context"
	"errors"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/internal/httpjson"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// Defaults for Config.
const (
	DefaultMaxBody        = 8 << 20 // bytes in one request body
	DefaultRequestTimeout = 2 * time.Minute
	DefaultUploadTimeout  = 30 * time.Second
	// waitFactor sizes the wait queue: 4 requests waiting per grader.
	waitFactor = 4
)

// Config configures a Door.
type Config struct {
	// Pool grades; nil when the server grades nothing itself (it enqueues
	// for workers): Receive still bounds bodies, Grade refuses.
	Pool *grader.Pool
	// Jobs is how many gradings run at once (default grader.DefaultJobs()).
	Jobs int
	// MaxWaiting bounds the requests waiting for a grader; beyond it a
	// request gets 429 (default 4×Jobs).
	MaxWaiting int
	// MaxBody bounds a request body in bytes (default 8 MiB).
	MaxBody int64
	// MaxReceiving bounds the bytes of request bodies held at once, counted
	// as they arrive and until their request ends (default 2 × (Jobs +
	// MaxWaiting) × MaxBody): uploads hold no grading place, so it is what
	// bounds their memory. A body that would go over it gets 503.
	MaxReceiving int64
	// UploadTimeout bounds the time a request's body may take to arrive,
	// counted from the end of its headers, however it trickles in
	// (default 30s).
	UploadTimeout time.Duration
	// RequestTimeout bounds one grading once its body is in: waiting for a
	// grader and grading (default 2m).
	RequestTimeout time.Duration
	// Grade is passed to every grading.
	Grade grader.Options
	// Log gets the grader's errors; nil = none.
	Log *log.Logger
	// OnGrading, when set, runs when a request has a grader, before it
	// grades (tests hold gradings there).
	OnGrading func(context.Context)
}

// Door admits grading requests. It is safe for concurrent use.
type Door struct {
	cfg   Config
	admit chan struct{} // a token per admitted grading: running or waiting
	// uploading counts the request bodies being received.
	uploading atomic.Int64
	// received counts the bytes of the bodies of the requests in flight.
	received atomic.Int64
	// avgNanos is a moving average of grading times, for Retry-After.
	avgNanos atomic.Int64
}

// New returns a Door for cfg, its zero fields set to their defaults.
func New(cfg Config) *Door {
	if cfg.Jobs <= 0 {
		cfg.Jobs = grader.DefaultJobs()
	}
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = waitFactor * cfg.Jobs
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxReceiving <= 0 {
		cfg.MaxReceiving = 2 * int64(cfg.Jobs+cfg.MaxWaiting) * cfg.MaxBody
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = DefaultUploadTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	d := &Door{cfg: cfg, admit: make(chan struct{}, cfg.Jobs+cfg.MaxWaiting)}
	d.avgNanos.Store(int64(time.Second))
	return d
}

// Config is the door's configuration, defaults filled in.
func (d *Door) Config() Config { return d.cfg }

// CanGrade reports whether the door has graders behind it.
func (d *Door) CanGrade() bool { return d.cfg.Pool != nil }

// Stats is what /healthz tells of the requests in the door.
type Stats struct {
	Grading   int   // gradings running
	Waiting   int   // admitted requests waiting for a grader
	Uploading int64 // request bodies being received
	Held      int64 // bytes of request bodies held
}

// Stats counts the requests in the door now.
func (d *Door) Stats() Stats {
	st := Stats{Uploading: d.uploading.Load(), Held: d.received.Load()}
	if d.cfg.Pool != nil {
		st.Grading = d.cfg.Pool.Stats().Busy
		st.Waiting = max(0, len(d.admit)-st.Grading)
	}
	return st
}

// ReadBody reads a request's body given as body, which the door bounds;
// its error is the client's answer.
type ReadBody func(body io.Reader) *httpjson.Error

// ReceiveGrading is Receive for a request that asks for a grading: when
// every grading place is taken it is refused at once, before a byte of its
// body is read, since a full grader costs nothing to refuse.
func (d *Door) ReceiveGrading(w http.ResponseWriter, r *http.Request, read ReadBody) (release func(), herr *httpjson.Error) {
	if d.cfg.Pool != nil && len(d.admit) == cap(d.admit) {
		return func() {}, d.busy()
	}
	return d.Receive(w, r, read)
}

// Receive reads a request's body with read, within the body limit (413,
// from Content-Length before anything is read, or as soon as the body goes
// over), the upload time limit (408) and the bound on request bytes held
// at once (503). The bytes received count against that bound until the
// caller calls release, when the request ends; release is never nil.
func (d *Door) Receive(w http.ResponseWriter, r *http.Request, read ReadBody) (release func(), herr *httpjson.Error) {
	if r.ContentLength > d.cfg.MaxBody {
		return func() {}, d.tooLarge()
	}
	body := &uploadBody{ReadCloser: r.Body, received: &d.received, max: d.cfg.MaxReceiving}
	release = func() { d.received.Add(-body.n) }
	// No body: net/http is already reading ahead for the next request, and a
	// deadline would end that read and cancel this request.
	if r.Body != http.NoBody && r.Body != nil {
		// (A writer that cannot set one, a test's recorder, reads no network.)
		err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(d.cfg.UploadTimeout))
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			return release, httpjson.Errorf(http.StatusInternalServerError, "bound the upload time: %v", err)
		}
		d.uploading.Add(1)
		defer d.uploading.Add(-1)
	}
	limited := &limitNote{r: http.MaxBytesReader(w, body, d.cfg.MaxBody)}
	herr = read(limited)
	switch {
	case body.timedOut:
		return release, httpjson.Errorf(http.StatusRequestTimeout, "the request body did not arrive within the upload limit of %s (%d bytes came); send it in one go", d.cfg.UploadTimeout, body.n)
	case body.over:
		e := httpjson.Errorf(http.StatusServiceUnavailable, "the server is receiving too many uploads at once (at most %s held); try again later", words.Bytes(d.cfg.MaxReceiving))
		e.RetryAfter = 5
		return release, e
	case limited.tooLarge:
		return release, d.tooLarge()
	}
	return release, herr
}

func (d *Door) tooLarge() *httpjson.Error {
	return httpjson.Errorf(http.StatusRequestEntityTooLarge, "the request body is over the limit of %s", words.Bytes(d.cfg.MaxBody))
}

// limitNote notes a read that went over the body limit, however the JSON
// or multipart reader above it words the error.
type limitNote struct {
	r        io.Reader
	tooLarge bool
}

func (l *limitNote) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		l.tooLarge = true
	}
	return n, err
}

// errReceivingFull ends a body's read when the server holds MaxReceiving.
var errReceivingFull = errors.New("the server holds too many request bodies")

// uploadBody counts a body's bytes against the door's total, and notes a
// read that hit the deadline or the total.
type uploadBody struct {
	io.ReadCloser
	received *atomic.Int64
	max      int64
	n        int64
	timedOut bool
	over     bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.received.Add(int64(n)) > b.max {
		b.over = true
		return n, errReceivingFull
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.timedOut = true
	}
	return n, err
}

// Grade takes a grading place (429 when none is left), waits for one of
// the pool's graders, and grades, all within the request time limit,
// counted from now. ctx is the request's: when it ends, so does the
// grading. No error it returns is the student's fault.
func (d *Door) Grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission) (*report.Report, *httpjson.Error) {
	if d.cfg.Pool == nil {
		return nil, httpjson.Errorf(http.StatusServiceUnavailable, "this server does not grade itself (it queues work for workers)")
	}
	select {
	case d.admit <- struct{}{}:
		defer func() { <-d.admit }()
	default:
		return nil, d.busy()
	}
	gctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	began := time.Now()
	rep, err := d.grade(gctx, ex, sub)
	if err != nil {
		return nil, d.gradeError(ctx, gctx, err)
	}
	d.observe(time.Since(began))
	return rep, nil
}

func (d *Door) grade(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission) (*report.Report, error) {
	lease, err := d.cfg.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	if d.cfg.OnGrading != nil {
		d.cfg.OnGrading(ctx)
	}
	return lease.Grade(ctx, ex, sub, d.cfg.Grade)
}

// gradeError turns a grading's error into the client's answer: none of
// them is the student's fault.
func (d *Door) gradeError(request, grading context.Context, err error) *httpjson.Error {
	var refused *grader.RefusedError
	switch {
	case errors.As(err, &refused):
		// This server cannot grade the exercise, now or later: no retry.
		return httpjson.Errorf(http.StatusUnprocessableEntity, "this server cannot grade it (not the student's fault): %v", refused)
	case request.Err() != nil:
		// The client went away: nobody reads this.
		return httpjson.Errorf(http.StatusServiceUnavailable, "the request was cancelled")
	case grading.Err() != nil:
		e := httpjson.Errorf(http.StatusServiceUnavailable, "not graded within the request's %s; try again later", d.cfg.RequestTimeout)
		e.RetryAfter = d.retryAfter()
		return e
	case grader.IsInfra(err) || errors.Is(err, grader.ErrPoolClosed):
		d.cfg.Log.Printf("grader: %v", err)
		e := httpjson.Errorf(http.StatusServiceUnavailable, "the grader could not grade this submission (not the student's fault): %v", err)
		e.RetryAfter = 5
		return e
	default:
		d.cfg.Log.Printf("grader: %v", err)
		return httpjson.Errorf(http.StatusInternalServerError, "could not grade (not the student's fault): %v", err)
	}
}

func (d *Door) busy() *httpjson.Error {
	e := httpjson.Errorf(http.StatusTooManyRequests, "the grader is busy: %d gradings running and %d waiting; try again later", d.cfg.Jobs, d.cfg.MaxWaiting)
	e.RetryAfter = d.retryAfter()
	return e
}

// observe folds one grading's time into the moving average.
func (d *Door) observe(took time.Duration) {
	for {
		old := d.avgNanos.Load()
		next := old + (int64(took)-old)/8
		if d.avgNanos.CompareAndSwap(old, next) {
			return
		}
	}
}

// retryAfter estimates in seconds when a grader will be free: the queue
// ahead divided among the graders, at the average grading time.
func (d *Door) retryAfter() int {
	ahead := float64(len(d.admit)) / float64(d.cfg.Jobs)
	secs := math.Ceil(ahead * time.Duration(d.avgNanos.Load()).Seconds())
	return int(min(max(secs, 1), 300))
}
