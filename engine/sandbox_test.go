package engine

import (
	"context"
	"crypto/sha1"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/cmdstats"
)

func studentClient(t *testing.T, srv Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(srv.StudentOptions())
	t.Cleanup(func() { c.Close() })
	return c
}

func adminClient(t *testing.T, srv Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(srv.Options())
	t.Cleanup(func() { c.Close() })
	return c
}

// The student can do what exercises need and nothing that could stop,
// reconfigure or take over the server, on every engine alike.
func TestStudentSandbox(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) { checkStudentSandbox(t, start(t, kind, Options{})) })
	}
}

// checkStudentSandbox checks what a student may and may not do on one server.
func checkStudentSandbox(t *testing.T, srv Server) {
	kind := srv.Info().Kind
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := studentClient(t, srv)

	allowed := [][]any{
		{"SET", "stock", "100"}, {"GET", "stock"}, {"KEYS", "*"}, {"RPUSH", "l", "2", "1"}, {"SORT", "l"},
		{"INFO", "keyspace"}, {"EVAL", "return redis.call('INCR', 'stock')", "0"}, {"SELECT", "1"},
	}
	for _, cmd := range allowed {
		err := st.Do(ctx, cmd...).Err()
		// miniredis has neither SORT nor INFO keyspace: what matters
		// there is that the sandbox does not refuse them.
		if err != nil && (kind != KindEmbedded || strings.HasPrefix(err.Error(), "NOPERM")) {
			t.Errorf("%v: %v, want it allowed", cmd, err)
		}
	}
	denied := [][]any{
		{"FLUSHALL"}, {"FLUSHDB"}, {"CONFIG", "SET", "maxmemory", "1"}, {"CONFIG", "RESETSTAT"},
		{"SHUTDOWN", "NOSAVE"}, {"DEBUG", "SLEEP", "1"}, {"SCRIPT", "DEBUG", "YES"}, {"SWAPDB", "0", "1"},
	}
	for _, cmd := range denied {
		err := st.Do(ctx, cmd...).Err()
		if err == nil || !(strings.HasPrefix(err.Error(), "NOPERM") || strings.Contains(err.Error(), "DEBUG command not allowed")) {
			t.Errorf("%v: %v, want NOPERM", cmd, err)
		}
	}
	// From inside Lua too.
	if err := st.Do(ctx, "EVAL", "return redis.call('FLUSHALL')", "0").Err(); err == nil {
		t.Error("FLUSHALL from Lua succeeded")
	}
	// Guessing the admin's password fails, and leaves the student a student.
	if err := st.Do(ctx, "AUTH", "default", "anything").Err(); err == nil {
		t.Error("AUTH default anything succeeded")
	}
	if err := st.Do(ctx, "FLUSHALL").Err(); err == nil {
		t.Error("FLUSHALL succeeded after a failed AUTH")
	}
	// A connection without credentials can do nothing.
	anon := srv.StudentOptions()
	anon.Username, anon.Password = "", ""
	nobody := redis.NewClient(anon)
	defer nobody.Close()
	if err := nobody.Get(ctx, "stock").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("anonymous GET: %v, want NOAUTH", err)
	}
	// The data survived all of it.
	if v, err := adminClient(t, srv).Get(ctx, "stock").Result(); err != nil || v != "101" {
		t.Errorf("stock = %q, %v; want 101", v, err)
	}
}

// The embedded engine refuses exactly what Redis's ACL refuses the student: every command and subcommand of
// the real server is tried with ACL DRYRUN as the student user, whom lockDown made from studentRules.
func TestEmbeddedDenylistMatchesRedis(t *testing.T) {
	requireRedisServer(t)
	srv := start(t, KindProcess, Options{})
	want, _ := deniedToStudent(t, srv)
	var missing, extra []string
	for name := range want {
		if !studentDenied[name] {
			missing = append(missing, name)
		}
	}
	for name := range studentDenied {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("studentDenied differs from what Redis refuses the student: missing %v, extra %v", missing, extra)
	}
}

// deniedToStudent tries every command and subcommand of a real server with ACL DRYRUN as the student:
// denied holds those refused, all every one the server has.
func deniedToStudent(t *testing.T, srv Server) (denied, all map[string]bool) {
	t.Helper()
	ctx := context.Background()
	admin := adminClient(t, srv)
	denied, all = map[string]bool{}, map[string]bool{}
	for _, cmd := range redisCommands(t, admin) {
		all[cmd.name] = true
		args := []any{"ACL", "DRYRUN", StudentUser}
		for _, part := range strings.Split(cmd.name, "|") {
			args = append(args, part)
		}
		for len(args)-3 < max(cmd.arity, -cmd.arity) {
			args = append(args, "x")
		}
		switch reply, err := admin.Do(ctx, args...).Text(); {
		case err != nil:
			t.Fatalf("%v: %v", args, err)
		case reply == "OK":
		case strings.Contains(reply, "has no permissions"): // "This user ..." (7.0), "User student ..." (7.2+)
			denied[cmd.name] = true
		default:
			t.Fatalf("%v: %q", args, reply)
		}
	}
	return denied, all
}

// redisCommand is a command or subcommand ("config|get") of a real server, with its arity as COMMAND gives it
// (negative: at least that many arguments, the command's name included).
type redisCommand struct {
	name  string
	arity int
	flags []string
}

// redisCommands lists every command and subcommand the server runs, from COMMAND (Redis 7: an entry's tenth
// element holds its subcommands).
func redisCommands(t testing.TB, c *redis.Client) []redisCommand {
	t.Helper()
	all, err := c.Do(context.Background(), "COMMAND").Slice()
	if err != nil {
		t.Fatalf("COMMAND: %v", err)
	}
	var out []redisCommand
	var add func(entries []any)
	add = func(entries []any) {
		for _, e := range entries {
			info := e.([]any)
			if subs, ok := info[9].([]any); ok && len(subs) > 0 { // a container: only its subcommands run
				add(subs)
				continue
			}
			var flags []string
			for _, f := range info[2].([]any) {
				flags = append(flags, f.(string))
			}
			out = append(out, redisCommand{name: info[0].(string), arity: int(info[1].(int64)), flags: flags})
		}
	}
	add(all)
	return out
}

// observe records what a student can see of a server: keys in every
// database, scripts, command statistics and Lua's random numbers.
func observe(t *testing.T, srv Server, sha string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b strings.Builder
	for db := 0; db < 16; db++ {
		opts := srv.StudentOptions()
		opts.DB = db
		c := redis.NewClient(opts)
		n, err := c.DBSize(ctx).Result()
		c.Close()
		fmt.Fprintf(&b, "db%d=%d,%v ", db, n, err)
	}
	st := studentClient(t, srv)
	exists, err := st.ScriptExists(ctx, sha).Result()
	fmt.Fprintf(&b, "script=%v,%v ", exists, err)
	if srv.Info().Kind != KindEmbedded {
		fns, err := st.Do(ctx, "FUNCTION", "LIST").Result()
		fmt.Fprintf(&b, "functions=%v,%v ", fns, err)
	}
	// Redis's Lua random numbers are the same sequence on every fresh server;
	// miniredis draws them from Go's randomly seeded source, fresh or not.
	if srv.Info().Kind != KindEmbedded {
		rnd, err := st.Do(ctx, "EVAL", "return {math.random(1000000), math.random(1000000)}", "0").Result()
		fmt.Fprintf(&b, "random=%v,%v ", rnd, err)
	}
	info, err := st.Info(ctx, "commandstats").Result()
	stats := cmdstats.Parse(info)
	for _, noise := range []string{"hello", "auth", "info", "select", "dbsize", "script|exists", "function|list", "eval"} {
		delete(stats, noise)
	}
	fmt.Fprintf(&b, "stats=%v,%v", stats, err)
	return b.String()
}

// A reset server is indistinguishable from a fresh one for what a student
// can observe, whatever the student did before.
func TestResetLooksFresh(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			const script = "return 'hello'"
			sha := fmt.Sprintf("%x", sha1.Sum([]byte(script)))

			fresh := start(t, kind, Options{})
			want := observe(t, fresh, sha)

			used := start(t, kind, Options{})
			st := studentClient(t, used)
			for db := 0; db < 16; db += 5 {
				opts := used.StudentOptions()
				opts.DB = db
				c := redis.NewClient(opts)
				c.Set(ctx, "k", "v", 0)
				c.Close()
			}
			st.ScriptLoad(ctx, script)
			st.Do(ctx, "EVAL", "return math.random(1000000)", "0")
			st.Do(ctx, "CLIENT", "SETNAME", "mallory")
			st.Incr(ctx, "counter")
			if kind != KindEmbedded {
				if err := st.Do(ctx, "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)").Err(); err != nil {
					t.Fatalf("function load: %v", err)
				}
			}
			if err := used.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if got := observe(t, used, sha); got != want {
				t.Errorf("after reset:\n%s\nfresh:\n%s", got, want)
			}
		})
	}
}

// A pipeline runs on the connection the client's other commands ran on (go-redis
// would otherwise give pipelines connections of their own): the student's
// SELECT holds for a pipeline that follows it.
func TestPipelineSharesTheConnection(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := start(t, kind, Options{})
			for name, opts := range map[string]*redis.Options{"admin": srv.Options(), "student": srv.StudentOptions()} {
				opts.PoolSize = 1
				c := redis.NewClient(opts)
				ctx := bg(t)
				must(t, c.Do(ctx, "SELECT", "2").Err())
				must(t, c.Set(ctx, "k", "v", 0).Err())
				pipe := c.Pipeline()
				get := pipe.Get(ctx, "k")
				_, err := pipe.Exec(ctx)
				if err != nil || get.Val() != "v" {
					t.Errorf("%s: GET k in a pipeline after SELECT 2 and SET k v = %q, %v; want v from database 2", name, get.Val(), err)
				}
				c.Close()
			}
		})
	}
}
