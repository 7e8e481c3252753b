package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// StudentUser is the ACL user a student's commands and scripts run as.
const StudentUser = "student"

// studentRules are the student's ACL rules on a real Redis: every key and
// channel and every command except @admin and @dangerous ones, with back
// the read-only ones exercises use (KEYS, SORT, INFO), and without SCRIPT
// DEBUG, which would hand a script's execution to the client.
var studentRules = []any{
	"reset", "on", "~*", "&*",
	"+@all", "-@admin", "-@dangerous",
	"+keys", "+sort", "+sort_ro", "+info",
	"-script|debug",
}

// serverSetting is one redis-server configuration parameter and its value,
// as given on the command line.
type serverSetting struct{ name, value string }

// serverSettings is the configuration every real engine (process, docker)
// uses for untrusted code: no persistence, bounded data, scripts that answer
// BUSY after 100 ms (so SCRIPT KILL can reach them), a client whose replies
// pile up past 16 MiB (a huge reply) is disconnected rather than filling the
// grader's memory, and no DEBUG, MODULE or protected CONFIG for anyone.
// TestServerSettings reads each back with CONFIG GET on every real engine.
func serverSettings(maxMemory string) []serverSetting {
	return []serverSetting{
		{"save", ""},
		{"appendonly", "no"},
		{"maxmemory", maxMemory},
		{"maxmemory-policy", "noeviction"},
		{"busy-reply-threshold", "100"},
		{"client-output-buffer-limit", "normal 16mb 16mb 0"},
		{"enable-debug-command", "no"},
		{"enable-protected-configs", "no"},
		{"enable-module-command", "no"},
	}
}

// hardening is serverSettings as redis-server arguments.
func hardening(maxMemory string) []string {
	var args []string
	for _, s := range serverSettings(maxMemory) {
		args = append(args, "--"+s.name, s.value)
	}
	return args
}

// realResetSteps return a real Redis to what a student could see of it
// when it started. Lua's math.random state is global C state that SCRIPT
// FLUSH keeps, so it is reseeded with the seed Redis starts with
// (redisLrand48's initial state is the one seed 0x1234ABCD gives), before the
// script cache is flushed of the reseeding script itself. Statistics go last:
// the other steps would show in them.
var realResetSteps = [][]any{
	{"flushall", "sync"},
	{"eval", "math.randomseed(305441741) return 1", "0"},
	{"script", "flush", "sync"},
	{"function", "flush", "sync"},
	{"config", "resetstat"},
}

// realServer is what the process and docker servers share: a real Redis
// locked down by lockDown, and the grader's own connection to reset it.
type realServer struct {
	admin *redis.Client // the grader's own connection, for Reset
	info  Info

	adminOpts, studentOpts *redis.Options // set by lockDown
}

func (s *realServer) Info() Info { return s.info }

func (s *realServer) Options() *redis.Options { return cloneOptions(s.adminOpts) }

func (s *realServer) StudentOptions() *redis.Options { return cloneOptions(s.studentOpts) }

// Reset empties the server as resetRedis does.
func (s *realServer) Reset(ctx context.Context, setup ...[]any) error {
	return resetRedis(ctx, s.admin, setup)
}

func (s *realServer) adminOptions() *redis.Options {
	o := s.Options()
	o.PoolSize = 1
	o.MaxRetries = -1 // a reset that failed half-way must be reported, not replayed
	return o
}

// closeAdmin closes the grader's connection, if it was opened.
func (s *realServer) closeAdmin() {
	if s.admin != nil {
		s.admin.Close()
	}
}

// resetRedis returns a real Redis to a freshly started state as a student
// can observe it and sets the given keys, in one round trip: the steps are
// pipelined. A script
// still running answers BUSY; then the steps go one at a time, killing it.
func resetRedis(ctx context.Context, admin *redis.Client, setup [][]any) error {
	steps := resetSteps(realResetSteps, setup)
	ctx, cancel := withResetDeadline(ctx)
	defer cancel()
	pipe := admin.Pipeline()
	for _, args := range steps {
		pipe.Do(ctx, args...)
	}
	cmds, err := pipe.Exec(ctx)
	if err == nil {
		return nil
	}
	busy := false
	for _, c := range cmds {
		if e := c.Err(); redis.HasErrorPrefix(e, "BUSY") {
			busy = true
		}
	}
	if !busy {
		return fmt.Errorf("reset: %w", err)
	}
	for _, args := range steps {
		if err := doUnbusy(ctx, admin, args); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	return nil
}

// lockDown turns a freshly started real Redis into a sandbox: it creates the
// student user and gives the default user a random password, so that
// `AUTH default anything` cannot make a student an administrator. base
// connects to the server unauthenticated; the returned options connect as
// the grader (admin) and as the student.
func lockDown(ctx context.Context, base *redis.Options) (admin, student *redis.Options, err error) {
	adminPass, err := randomPassword()
	if err != nil {
		return nil, nil, err
	}
	studentPass, err := randomPassword()
	if err != nil {
		return nil, nil, err
	}
	c := redis.NewClient(withSingleConn(base))
	defer c.Close()
	setStudent := append([]any{"ACL", "SETUSER", StudentUser}, studentRules...)
	setStudent = append(setStudent, ">"+studentPass)
	if err := c.Do(ctx, setStudent...).Err(); err != nil {
		return nil, nil, fmt.Errorf("create the student user: %w", err)
	}
	if err := c.Do(ctx, "ACL", "SETUSER", "default", "resetpass", ">"+adminPass).Err(); err != nil {
		return nil, nil, fmt.Errorf("set the admin password: %w", err)
	}
	admin, student = cloneOptions(base), cloneOptions(base)
	admin.Username, admin.Password = "default", adminPass
	student.Username, student.Password = StudentUser, studentPass
	return admin, student, nil
}

func withSingleConn(o *redis.Options) *redis.Options {
	c := cloneOptions(o)
	c.PoolSize = 1
	c.MaxRetries = -1
	return c
}

func cloneOptions(o *redis.Options) *redis.Options {
	c := *o
	return &c
}

func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
