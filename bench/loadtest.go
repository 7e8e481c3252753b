package bench

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redisgrade/redisgrade/service"
)

// loadData holds the two lua-atomicity submissions the load test sends: the
// correct answer (4/4) and the classic wrong one, DECR and INCR as two
// commands (3/4; its atomicity probe runs and fails, the costliest path).
//
//go:embed loaddata
var loadData embed.FS

// Bounds of a load test.
const (
	maxLoadRequests    = 100000
	maxLoadConcurrency = 256
	maxLoadDuration    = 10 * time.Minute
)

// LoadConfig configures LoadTest.
type LoadConfig struct {
	// URL is the server, e.g. http://127.0.0.1:8080; it must be a loopback
	// address.
	URL   string
	Token string
	// Concurrency is how many requests are in flight at once (default 8).
	Concurrency int
	// Requests is how many requests are sent in all (default 200), half
	// with the correct submission and half with the wrong one.
	Requests int
	// Duration stops the test early, whatever is left (default 60s).
	Duration time.Duration
}

// Latency summarizes the times of the requests answered 200.
type Latency struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

// LoadResult is what a load test measured.
type LoadResult struct {
	Concurrency int
	Sent        int         // requests sent (fewer than asked if Duration ran out)
	Statuses    map[int]int // answers by HTTP status
	Errors      int         // requests with no answer (transport errors)
	Mismatched  int         // 200 answers whose score was not the expected 4/4 or 3/4
	Elapsed     time.Duration
	Throughput  float64 // answers 200 per second
	All         Latency
	Correct     Latency // the correct submission
	Wrong       Latency // the wrong submission
}

type loadCase struct {
	name  string
	body  []byte
	score float64
}

func loadCases() ([]loadCase, error) {
	var cases []loadCase
	for _, c := range []struct {
		dir   string
		score float64
	}{{"correct", 4}, {"wrong", 3}} {
		files := map[string]string{}
		err := fs.WalkDir(loadData, "loaddata/"+c.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := loadData.ReadFile(p)
			files[path.Base(p)] = string(data)
			return err
		})
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(service.GradeRequest{Exercise: "lua-atomicity", Name: c.dir, Files: files})
		if err != nil {
			return nil, err
		}
		cases = append(cases, loadCase{name: c.dir, body: body, score: c.score})
	}
	return cases, nil
}

// CheckLoopback refuses a URL whose host is not a loopback address: the
// load test never leaves the machine.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("--url %q: want http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--url %q: the load test only drives a server on a loopback address (127.0.0.1, ::1, localhost)", raw)
}

// LoadTest sends concurrent grading requests to a server on this machine,
// alternating the correct and the wrong lua-atomicity submission, and
// measures throughput and latency. It is bounded in requests and time. A
// client that gets 429 waits as Retry-After says (at most 1s) before its
// next request; the 429 counts as a request sent.
func LoadTest(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	if err := cfg.bound(); err != nil {
		return nil, err
	}
	cases, err := loadCases()
	if err != nil {
		return nil, err
	}
	target := strings.TrimSuffix(cfg.URL, "/") + "/v1/grade"
	client := &http.Client{
		Timeout:   cfg.Duration,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, Proxy: nil},
		// Never follow a redirect off the machine.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	t := &loadTally{res: &LoadResult{Concurrency: cfg.Concurrency, Statuses: map[int]int{}}, times: map[string][]time.Duration{}}
	var next atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for range cfg.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Requests || ctx.Err() != nil {
					return
				}
				c := cases[i%len(cases)]
				status, took, ok, retryAfter, err := sendOne(ctx, client, target, cfg.Token, c)
				t.record(ctx, c.name, status, took, ok, err)
				if status == http.StatusTooManyRequests {
					// As a polite client would, up to a second.
					wait(ctx, min(retryAfter, time.Second))
				}
			}
		})
	}
	wg.Wait()
	return t.result(time.Since(began))
}

// bound fills in the defaults, and refuses a load test beyond the bounds
// or off the machine.
func (cfg *LoadConfig) bound() error {
	if err := CheckLoopback(cfg.URL); err != nil {
		return err
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 200
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Minute
	}
	if cfg.Concurrency > maxLoadConcurrency || cfg.Requests > maxLoadRequests || cfg.Duration > maxLoadDuration {
		return fmt.Errorf("load test bounds: at most %d concurrent, %d requests, %s", maxLoadConcurrency, maxLoadRequests, maxLoadDuration)
	}
	return nil
}

// loadTally counts the answers of the load test's clients.
type loadTally struct {
	mu        sync.Mutex
	res       *LoadResult
	times     map[string][]time.Duration // of the 200s, by case
	transport error                      // the last request that got no answer
}

// record counts one request's answer, or its failure: a request cut off
// by the time bound is not counted at all.
func (t *loadTally) record(ctx context.Context, name string, status int, took time.Duration, ok bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	res := t.res
	res.Sent++
	switch {
	case err != nil:
		if ctx.Err() == nil {
			res.Errors++
			t.transport = err
		} else {
			res.Sent-- // cut off by the time bound, not an answer
		}
	default:
		res.Statuses[status]++
		if status == http.StatusOK {
			t.times[name] = append(t.times[name], took)
			if !ok {
				res.Mismatched++
			}
		}
	}
}

// result summarises the latencies and throughput; an error when no
// request got an answer.
func (t *loadTally) result(elapsed time.Duration) (*LoadResult, error) {
	res := t.res
	res.Elapsed = elapsed
	all := append(slices.Clone(t.times["correct"]), t.times["wrong"]...)
	res.All, res.Correct, res.Wrong = summarize(all), summarize(t.times["correct"]), summarize(t.times["wrong"])
	res.Throughput = float64(res.All.N) / res.Elapsed.Seconds()
	if res.Sent > 0 && res.Errors == res.Sent {
		return res, fmt.Errorf("no request got an answer: %w", t.transport)
	}
	return res, nil
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// sendOne sends one request; ok says whether a 200's score is the expected
// one; retryAfter is a 429's Retry-After.
func sendOne(ctx context.Context, client *http.Client, target, token string, c loadCase) (status int, took time.Duration, ok bool, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(c.body))
	if err != nil {
		return 0, 0, false, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, false, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	took = time.Since(began)
	if err != nil {
		return 0, 0, false, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return resp.StatusCode, took, false, time.Duration(max(secs, 0)) * time.Second, nil
	}
	var rep struct {
		Score    float64 `json:"score"`
		MaxScore float64 `json:"max_score"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return resp.StatusCode, took, false, 0, nil
	}
	return resp.StatusCode, took, rep.Score == c.score && rep.MaxScore == 4, 0, nil
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(p float64) time.Duration {
		// Nearest rank: the smallest value with at least p of the values at or below it.
		i := int(float64(len(ds))*p+0.999999) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return Latency{N: len(ds), P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: ds[len(ds)-1]}
}

// Write prints the result for people.
func (r *LoadResult) Write(w io.Writer) error {
	ms := func(d time.Duration) string { return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds()) }
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests, %d concurrent, in %.1f s: %.1f gradings/s\n", r.Sent, r.Concurrency, r.Elapsed.Seconds(), r.Throughput)
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "  %d %s: %d\n", c, http.StatusText(c), r.Statuses[c])
	}
	if r.Errors > 0 {
		fmt.Fprintf(&b, "  no answer: %d\n", r.Errors)
	}
	if r.Mismatched > 0 {
		fmt.Fprintf(&b, "  WRONG SCORE: %d answers did not give 4/4 (correct) or 3/4 (wrong)\n", r.Mismatched)
	}
	for _, l := range []struct {
		name string
		l    Latency
	}{{"all", r.All}, {"correct (4/4)", r.Correct}, {"wrong (3/4)", r.Wrong}} {
		if l.l.N == 0 {
			continue
		}
		fmt.Fprintf(&b, "latency %-14s p50 %s  p90 %s  p99 %s  max %s  (%d answers)\n", l.name+":", ms(l.l.P50), ms(l.l.P90), ms(l.l.P99), ms(l.l.Max), l.l.N)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Failed reports whether the run saw something wrong: no answer, a wrong
// score, or a status other than 200 and 429.
func (r *LoadResult) Failed() error {
	var problems []string
	if r.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d requests got no answer", r.Errors))
	}
	if r.Mismatched > 0 {
		problems = append(problems, fmt.Sprintf("%d answers had a wrong score", r.Mismatched))
	}
	for c, n := range r.Statuses {
		if c != http.StatusOK && c != http.StatusTooManyRequests {
			problems = append(problems, fmt.Sprintf("%d answers were %d", n, c))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(strings.Join(problems, "; "))
}
