package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/bench"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/queue"
	"github.com/redisgrade/redisgrade/service"
)

// tokenEnv is the environment variable that holds the API token: better
// than --token, which other users of the machine can see in ps.
const tokenEnv = "REDISGRADE_TOKEN"

// gradingFlags are the engine and time-limit flags of serve, worker and
// loadtest: the shared engine flags, plus the grader's limits.
type gradingFlags struct {
	engineFlags
	limitFlags
	verbose bool
}

func (f *gradingFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.engineFlags.register(fl)
	f.limitFlags.register(fl, "time limit for grading one submission")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say which engine was chosen and why")
}

type serveFlags struct {
	gradingFlags
	addr           string
	token          string
	allowHosts     []string
	jobs           int
	maxWaiting     int
	maxBody        int64
	requestTimeout time.Duration
	uploadTimeout  time.Duration
	queue          string
	stream         string
	resultTTL      time.Duration
	maxBacklog     int64
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--token T] [-j N] [--queue redis://...]",
		Short: "Grade submissions over HTTP (POST /v1/grade)",
		Long: "serve grades submissions sent over HTTP: POST /v1/grade with JSON {\"exercise\": ..., \"files\": {...}}\n" +
			"or a multipart form, GET /v1/exercises, GET /healthz, GET /openapi.json (the API, OpenAPI 3.1), and at /\n" +
			"the page where students work an exercise in the browser (redisgrade play's; its API needs the token). With\n" +
			"--queue it enqueues each submission on a Redis Stream for `redisgrade worker` instead of grading it,\n" +
			"and answers 202 with a job id (GET /v1/jobs/{id}). Set the token in " + tokenEnv + " rather than with --token.",
		Example: "  " + tokenEnv + "=s3cret redisgrade serve --addr 127.0.0.1:8080 -j 4\n" +
			"  curl -H 'Authorization: Bearer s3cret' -F exercise=lua-atomicity -F submission=@work.zip http://127.0.0.1:8080/v1/grade",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	f.gradingFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.token, "token", "", "require Authorization: Bearer TOKEN (default: $"+tokenEnv+")")
	fl.StringSliceVar(&f.allowHosts, "allow-host", nil, "without a token: a name clients may reach the server by, besides IP addresses and localhost (repeatable)")
	fl.IntVarP(&f.jobs, "jobs", "j", grader.DefaultJobs(), "gradings at once, each on its own warm Redis")
	fl.IntVar(&f.maxWaiting, "max-waiting", 0, "requests that may wait for a grader before 429 (default 4×jobs)")
	fl.Int64Var(&f.maxBody, "max-body", service.DefaultMaxBody, "largest request body, in bytes")
	fl.DurationVar(&f.requestTimeout, "request-timeout", service.DefaultRequestTimeout, "time limit for one request once its body is in, waiting included")
	fl.DurationVar(&f.uploadTimeout, "upload-timeout", service.DefaultUploadTimeout, "time limit for a request's body to arrive")
	fl.StringVar(&f.queue, "queue", "", "enqueue for workers on this Redis (redis://host:port/db) instead of grading (default: $"+queueEnv+")")
	fl.StringVar(&f.stream, "stream", queue.DefaultStream, "with --queue: the jobs stream")
	fl.DurationVar(&f.resultTTL, "result-ttl", queue.DefaultResultTTL, "with --queue: how long a job is kept")
	fl.Int64Var(&f.maxBacklog, "max-backlog", queue.DefaultMaxBacklog, "with --queue: jobs waiting before 429")
	cmd.AddCommand(newLoadtestCmd())
	return cmd
}

// queueEnv is the environment variable that holds the queue's URL: better
// than --queue when the URL holds a password.
const queueEnv = "REDISGRADE_QUEUE"

// tokenFrom returns the token of --token or, better, of $REDISGRADE_TOKEN:
// a process's arguments are shown to every user of the machine (ps), so a
// token given as a flag is warned about.
func tokenFrom(flag string, stderr io.Writer) string {
	if flag != "" {
		fmt.Fprintf(stderr, "redisgrade: warning: --token shows the token to every user of this machine (ps): set %s instead\n", tokenEnv)
		return flag
	}
	return os.Getenv(tokenEnv)
}

// queueFrom returns the queue URL of --queue or of $REDISGRADE_QUEUE; a
// flag whose URL holds a password is warned about, as --token is.
func queueFrom(flag string, stderr io.Writer) string {
	if flag == "" {
		return os.Getenv(queueEnv)
	}
	if queue.Redact(flag) != flag {
		fmt.Fprintf(stderr, "redisgrade: warning: the --queue URL shows its password to every user of this machine (ps): set %s instead\n", queueEnv)
	}
	return flag
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	stderr := cmd.ErrOrStderr()
	opts, err := f.options()
	if err != nil {
		return err
	}
	switch {
	case f.jobs <= 0:
		return usageError(errors.New("-j must be at least 1"))
	case f.maxWaiting < 0:
		return usageError(errors.New("--max-waiting must not be negative"))
	case f.maxBody <= 0:
		return usageError(errors.New("--max-body must be positive"))
	case f.requestTimeout <= 0:
		return usageError(errors.New("--request-timeout must be positive"))
	case f.uploadTimeout <= 0:
		return usageError(errors.New("--upload-timeout must be positive"))
	}
	logger := log.New(stderr, "redisgrade: ", log.LstdFlags)
	cfg := service.Config{
		Jobs: f.jobs, MaxWaiting: f.maxWaiting, Token: tokenFrom(f.token, stderr), AllowHosts: f.allowHosts, MaxBody: f.maxBody,
		RequestTimeout: f.requestTimeout, UploadTimeout: f.uploadTimeout, Grade: opts, Log: logger,
	}
	what := ""
	if queueURL := queueFrom(f.queue, stderr); queueURL != "" {
		q, err := openQueue(cmd.Context(), queueURL, queue.Config{Stream: f.stream, ResultTTL: f.resultTTL, MaxBacklog: f.maxBacklog})
		if err != nil {
			return err
		}
		defer q.Close()
		cfg.Queue = q
		what = "enqueueing on " + q.Stream() + " for workers"
	} else {
		eng, cleanup, err := f.open(cmd.Context(), f.verbose, stderr)
		if err != nil {
			return err
		}
		defer cleanup()
		cfg.Engine = eng
		what = fmt.Sprintf("%s engine, %d gradings at once", eng.Kind(), f.jobs)
	}
	srv, err := service.New(cfg)
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usageError(fmt.Errorf("--addr: %w", err))
	}
	if cfg.Token == "" && !isLoopback(ln.Addr()) {
		fmt.Fprintf(stderr, "redisgrade: warning: listening on %s with no token: anyone who can reach it can grade (set %s)\n", ln.Addr(), tokenEnv)
	}
	fmt.Fprintf(stderr, "redisgrade: serving on http://%s (%s)\n", ln.Addr(), what)
	ctx := cmd.Context()
	go announceShutdown(ctx, stderr)
	if err := srv.Serve(ctx, ln); err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	fmt.Fprintln(stderr, "redisgrade: stopped")
	return nil
}

// announceShutdown says what happens on the first Ctrl-C/SIGTERM, and
// lets a second one kill the process the ordinary way.
func announceShutdown(ctx context.Context, stderr io.Writer) {
	<-ctx.Done()
	fmt.Fprintln(stderr, "redisgrade: shutting down: finishing the work in hand (Ctrl-C again to stop at once)")
	signal.Reset(os.Interrupt, syscall.SIGTERM)
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// openQueue connects to the queue's Redis and checks that it answers.
func openQueue(ctx context.Context, url string, cfg queue.Config) (*queue.Queue, error) {
	q, err := queue.Open(url, cfg)
	if err != nil {
		return nil, usageError(fmt.Errorf("--queue: %w", err))
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := q.Ping(pctx); err != nil {
		q.Close()
		return nil, &exitError{code: exitInfra, err: fmt.Errorf("--queue %s: %w", queue.Redact(url), err)}
	}
	return q, nil
}

type loadtestFlags struct {
	gradingFlags
	url         string
	token       string
	concurrency int
	requests    int
	duration    time.Duration
	jobs        int
}

func newLoadtestCmd() *cobra.Command {
	var f loadtestFlags
	cmd := &cobra.Command{
		Use:   "loadtest [--url http://127.0.0.1:8080] [-c 8] [-n 200]",
		Short: "Drive a grading server on this machine with concurrent requests; report throughput and latency",
		Long: "loadtest sends -n requests, -c at a time, alternating the correct lua-atomicity submission (4/4)\n" +
			"and a wrong one (DECR and INCR as two commands, 3/4), and reports throughput and p50/p90/p99 latency.\n" +
			"Without --url it starts its own server on 127.0.0.1 with -j graders. It only drives loopback\n" +
			"addresses, and stops after -n requests or --duration, whichever comes first.",
		Example: "  redisgrade serve loadtest -j 2 -c 8 -n 200\n" +
			"  redisgrade serve loadtest --url http://127.0.0.1:8080 -c 16 -n 1000",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLoadtest(cmd, f) },
	}
	f.gradingFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "a running server on a loopback address (default: start one)")
	fl.StringVar(&f.token, "token", "", "bearer token for --url (default: $"+tokenEnv+")")
	fl.IntVarP(&f.concurrency, "concurrency", "c", 8, "requests in flight at once")
	fl.IntVarP(&f.requests, "requests", "n", 200, "requests in all")
	fl.DurationVar(&f.duration, "duration", time.Minute, "stop after this long, whatever is left")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "without --url: gradings at once in the server started")
	return cmd
}

func runLoadtest(cmd *cobra.Command, f loadtestFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.concurrency <= 0 || f.requests <= 0 || f.duration <= 0 || f.jobs <= 0 {
		return usageError(errors.New("-c, -n, --duration and -j must be positive"))
	}
	ctx := cmd.Context()
	cfg := bench.LoadConfig{URL: f.url, Token: tokenFrom(f.token, stderr), Concurrency: f.concurrency, Requests: f.requests, Duration: f.duration}
	if f.url != "" {
		if err := bench.CheckLoopback(f.url); err != nil {
			return usageError(err)
		}
	} else {
		opts, err := f.options()
		if err != nil {
			return err
		}
		eng, cleanup, err := f.open(cmd.Context(), f.verbose, stderr)
		if err != nil {
			return err
		}
		defer cleanup()
		srv, err := service.New(service.Config{Engine: eng, Jobs: f.jobs, Grade: opts})
		if err != nil {
			return usageError(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return &exitError{code: exitInfra, err: err}
		}
		sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan error, 1)
		go func() { done <- srv.Serve(sctx, ln) }()
		defer func() {
			stop()
			<-done
		}()
		cfg.URL = "http://" + ln.Addr().String()
		fmt.Fprintf(stderr, "redisgrade: load test on a server at %s (%s engine, -j %d)\n", cfg.URL, eng.Kind(), f.jobs)
	}
	res, err := bench.LoadTest(ctx, cfg)
	if res != nil {
		if werr := res.Write(stdout); werr != nil {
			return &exitError{code: exitInfra, err: werr}
		}
	}
	if err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	if err := res.Failed(); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	return nil
}
