package atomicity

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

// The three ways to sell show what the demo promises: lost updates and
// inconsistent reads from the client-side update, inconsistent reads from
// two commands, and nothing wrong from the script, on every engine.
func TestThreeWays(t *testing.T) {
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			ctx, admin, connect := startServer(t, kind)

			race := Race{Keys: []string{"stock", "sales"}, Clients: 8, Runs: 400}
			run := func(u Update) Observation {
				t.Helper()
				if err := admin.MSet(ctx, "stock", 1000, "sales", 0).Err(); err != nil {
					t.Fatal(err)
				}
				var progressed int
				race.Progress = func(Observation) { progressed++ }
				obs, err := race.Run(ctx, connect, u)
				if err != nil {
					t.Fatal(err)
				}
				if obs.Runs != 400 || obs.Samples == 0 || progressed == 0 || obs.Sum() != 1000 {
					t.Errorf("observation %+v, progress calls %d", obs, progressed)
				}
				return obs
			}

			rmw := run(ReadModifyWrite("stock", "sales"))
			if rmw.Final[0] == 600 && rmw.Final[1] == 400 {
				t.Errorf("read-modify-write from 8 clients lost no update: %+v", rmw)
			}
			if rmw.Inconsistent == 0 {
				t.Errorf("read-modify-write showed no inconsistent read: %+v", rmw)
			}

			two := run(TwoCommands("stock", "sales"))
			if two.Final[0] != 600 || two.Final[1] != 400 {
				t.Errorf("DECR and INCR lose no update, yet final is %v", two.Final)
			}
			if two.Inconsistent == 0 {
				t.Errorf("two commands showed no inconsistent read: %+v", two)
			}

			lua := run(LuaScript("stock", "sales"))
			if lua.Final[0] != 600 || lua.Final[1] != 400 || lua.Inconsistent != 0 {
				t.Errorf("the script should be atomic: %+v", lua)
			}
		})
	}
}

// Runs of a one-command update go a few to a round trip, each followed by a
// sample: every run is counted once, every sample is real (an update that
// breaks the sum shows in them), and a script stays consistent.
func TestQueuedRuns(t *testing.T) {
	ctx, admin, connect := startServer(t, engine.KindProcess)

	race := func(cmd ...any) Observation {
		t.Helper()
		if err := admin.MSet(ctx, "stock", 1000, "sales", 0).Err(); err != nil {
			t.Fatal(err)
		}
		r := Race{Keys: []string{"stock", "sales"}, Clients: 8, Runs: 50, Start: []int64{1000, 0},
			Queue: func(ctx context.Context, pipe redis.Pipeliner) { pipe.Do(ctx, cmd...) }}
		obs, err := r.Run(ctx, connect, nil)
		if err != nil {
			t.Fatal(err)
		}
		if obs.Runs != 50 || obs.Samples < 50 {
			t.Errorf("%v: %d runs and %d samples; want 50 runs and a sample after each at least", cmd, obs.Runs, obs.Samples)
		}
		return obs
	}
	lua := race("EVAL", "redis.call('DECR', 'stock') redis.call('INCR', 'sales')", "0")
	if lua.Inconsistent != 0 || lua.Final[0] != 950 || lua.Final[1] != 50 {
		t.Errorf("the script: %+v; want no inconsistent sample and 950/50", lua)
	}
	half := race("DECR", "stock")
	if half.Inconsistent < 50 || half.Final[0] != 950 {
		t.Errorf("DECR alone: %+v; want every sample after a run inconsistent, and stock 950", half)
	}
}

// startServer starts a server of kind for the test, with an admin client and
// student connections; ctx bounds the test to a minute.
func startServer(t *testing.T, kind string) (context.Context, *redis.Client, Connect) {
	t.Helper()
	eng, _, err := engine.New(t.Context(), kind, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	srv, err := eng.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(srv.Options())
	t.Cleanup(func() { admin.Close(); srv.Close() })
	return ctx, admin, Dial(srv.StudentOptions())
}
