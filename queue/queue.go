// Package queue is the job queue shared by serve and the workers: a Job (one
// submission as it arrived, validated the same way wherever it comes from),
// a Queue on a Redis Stream with a consumer group, and the Worker that grades
// its jobs and records each result once.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/report"
)

// Defaults for Config.
const (
	DefaultStream     = "redisgrade:jobs"
	DefaultGroup      = "graders"
	DefaultResultTTL  = 24 * time.Hour
	DefaultMaxBacklog = 1000
	// resultsStreamLen bounds the results stream (approximately).
	resultsStreamLen = 10000
)

// ErrBacklogFull is returned by Enqueue when too many jobs wait.
var ErrBacklogFull = errors.New("the job queue is full")

// Config names the keys of a queue. The zero value is usable.
type Config struct {
	// Stream is the jobs stream (default "redisgrade:jobs"). The other keys
	// share its prefix, the stream's name without ":jobs".
	Stream string
	// Group is the consumer group of the workers (default "graders").
	Group string
	// ResultTTL is how long results are kept (default 24h).
	ResultTTL time.Duration
	// MaxBacklog bounds the jobs in the stream (waiting or being graded);
	// Enqueue fails with ErrBacklogFull beyond it (default 1000).
	MaxBacklog int64
}

// Queue is a job queue on a Redis Stream with a consumer group. Keys, for
// the prefix P (the stream's name without ":jobs"):
//
//	P:jobs          stream   one entry per job: id <job id>, job <Job as JSON>; an entry is acked and
//	                         deleted when its result is recorded
//	P:job:<id>      string   "queued", with the result's TTL, while the job has no result
//	P:result:<id>   string   the Result as JSON, with a TTL; written once (SET NX)
//	P:results       stream   one entry per recorded result: job, status, worker (capped at ~10,000)
type Queue struct {
	rdb *redis.Client
	cfg Config
	pre string
}

// Open connects to the queue's Redis at url (redis://host:port/db,
// rediss://..., or unix:///path?db=N). It does not dial yet.
func Open(url string, cfg Config) (*Queue, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// The parser may quote the URL: its password is not said.
		return nil, fmt.Errorf("queue URL %s: %s", Redact(url), strings.ReplaceAll(err.Error(), url, Redact(url)))
	}
	opts.ContextTimeoutEnabled = true
	return New(redis.NewClient(opts), cfg), nil
}

// Redact returns a queue URL fit to print: a password in it (user:pass@,
// or ?password=) is replaced by xxxxx.
func Redact(rawURL string) string {
	u, err := neturl.Parse(rawURL)
	if err != nil {
		if at := strings.LastIndex(rawURL, "@"); at >= 0 {
			// Unparsable, so no telling where the password ends: hide
			// everything before the host.
			scheme, _, _ := strings.Cut(rawURL, "://")
			return scheme + "://xxxxx" + rawURL[at:]
		}
		return rawURL
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// New returns a queue on an existing client; Close closes it.
func New(rdb *redis.Client, cfg Config) *Queue {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Group == "" {
		cfg.Group = DefaultGroup
	}
	if cfg.ResultTTL <= 0 {
		cfg.ResultTTL = DefaultResultTTL
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = DefaultMaxBacklog
	}
	return &Queue{rdb: rdb, cfg: cfg, pre: strings.TrimSuffix(cfg.Stream, ":jobs")}
}

// Stream is the name of the jobs stream.
func (q *Queue) Stream() string { return q.cfg.Stream }

// Group is the name of the workers' consumer group.
func (q *Queue) Group() string { return q.cfg.Group }

// ResultsStream is the name of the stream that announces results.
func (q *Queue) ResultsStream() string { return q.pre + ":results" }

// ResultKey is the key of a job's result.
func (q *Queue) ResultKey(id string) string { return q.pre + ":result:" + id }

func (q *Queue) jobKey(id string) string { return q.pre + ":job:" + id }

// Client is the queue's Redis client.
func (q *Queue) Client() *redis.Client { return q.rdb }

// Ping checks that the queue's Redis answers.
func (q *Queue) Ping(ctx context.Context) error { return q.rdb.Ping(ctx).Err() }

// Close closes the connection.
func (q *Queue) Close() error { return q.rdb.Close() }

// EnsureGroup creates the stream and the consumer group if missing. The
// group starts at the stream's beginning, so jobs enqueued before any
// worker ran are graded too.
func (q *Queue) EnsureGroup(ctx context.Context) error {
	err := q.rdb.XGroupCreateMkStream(ctx, q.cfg.Stream, q.cfg.Group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", q.cfg.Group, q.cfg.Stream, err)
	}
	return nil
}

// Enqueue adds a job (with its ID set) to the stream.
func (q *Queue) Enqueue(ctx context.Context, job *Job) error {
	if !ValidJobID(job.ID) {
		return fmt.Errorf("bad job id %q", job.ID)
	}
	n, err := q.rdb.XLen(ctx, q.cfg.Stream).Result()
	if err != nil {
		return err
	}
	if n >= q.cfg.MaxBacklog {
		return fmt.Errorf("%w: %d jobs wait", ErrBacklogFull, n)
	}
	payload, err := json.Marshal(job)
	if err != nil {
		return err
	}
	_, err = q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, q.jobKey(job.ID), "queued", q.cfg.ResultTTL)
		p.XAdd(ctx, &redis.XAddArgs{Stream: q.cfg.Stream, Values: []any{"id", job.ID, "job", payload}})
		return nil
	})
	return err
}

// Statuses of a Result.
const (
	StatusGraded   = "graded"   // graded: Report holds the verdict
	StatusRejected = "rejected" // the job itself was unusable (Kind says how)
	StatusFailed   = "failed"   // the grader could not grade it, after MaxDeliveries attempts
)

// Result is what a worker records for a job.
type Result struct {
	Job      string         `json:"job"`
	Status   string         `json:"status"`
	Kind     ErrorKind      `json:"kind,omitempty"` // rejected: what is wrong with the job
	Error    string         `json:"error,omitempty"`
	Worker   string         `json:"worker"`
	Attempt  int64          `json:"attempt"`
	Finished time.Time      `json:"finished"`
	Format   string         `json:"format,omitempty"`
	Report   *report.Report `json:"report,omitempty"`
}

// Result returns a job's result, or nil and whether the job is still queued.
func (q *Queue) Result(ctx context.Context, id string) (res *Result, queued bool, err error) {
	data, err := q.rdb.Get(ctx, q.ResultKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		n, err := q.rdb.Exists(ctx, q.jobKey(id)).Result()
		return nil, n == 1, err
	}
	if err != nil {
		return nil, false, err
	}
	res = new(Result)
	if err := json.Unmarshal(data, res); err != nil {
		return nil, false, fmt.Errorf("result of job %s: %w", id, err)
	}
	return res, false, nil
}

// recordScript stores a result once and acknowledges the job, atomically:
// a job graded twice (its first worker was slow, not dead, when another
// took it over) is recorded, and announced, exactly once.
//
// KEYS: result key, results stream, jobs stream, job key.
// ARGV: result JSON, TTL in seconds, group, entry id, job id, worker, status, results stream cap.
var recordScript = redis.NewScript(`
local stored = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
if stored then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'job', ARGV[5], 'status', ARGV[7], 'worker', ARGV[6])
  redis.call('DEL', KEYS[4])
end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[4])
redis.call('XDEL', KEYS[3], ARGV[4])
if stored then return 1 end
return 0
`)

// record stores res for the job of stream entry entryID and acks the entry.
// stored is false when the job already had a result.
func (q *Queue) record(ctx context.Context, entryID string, res *Result) (stored bool, err error) {
	data, err := json.Marshal(res)
	if err != nil {
		return false, err
	}
	ttl := max(int64(q.cfg.ResultTTL/time.Second), 1)
	n, err := recordScript.Run(ctx, q.rdb,
		[]string{q.ResultKey(res.Job), q.ResultsStream(), q.cfg.Stream, q.jobKey(res.Job)},
		data, ttl, q.cfg.Group, entryID, res.Job, res.Worker, res.Status, resultsStreamLen).Int()
	if err != nil {
		return false, fmt.Errorf("record the result of job %s: %w", res.Job, err)
	}
	return n == 1, nil
}

// drop acks and deletes an entry that is not a job at all.
func (q *Queue) drop(ctx context.Context, entryID string) error {
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, q.cfg.Stream, q.cfg.Group, entryID)
		p.XDel(ctx, q.cfg.Stream, entryID)
		return nil
	})
	return err
}
