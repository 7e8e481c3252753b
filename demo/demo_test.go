package demo

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/atomicity"
	"github.com/redisgrade/redisgrade/engine"
)

func TestMain(m *testing.M) {
	engine.ServeEmbeddedIfChild()
	os.Exit(m.Run())
}

var kinds = []string{engine.KindProcess, engine.KindEmbedded}

// The demo races the three ways on a real server and on the emulator: the
// client-side update loses updates, the script neither loses one nor lets a
// reader see half of one; the table and the live lines say so.
func TestDemo(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			eng, _, err := engine.New(t.Context(), kind, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			srv, err := eng.Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			admin := redis.NewClient(srv.Options())
			defer admin.Close()
			connect := atomicity.Dial(srv.StudentOptions())

			for _, live := range []bool{false, true} {
				var out bytes.Buffer
				d := Demo{Clients: 8, Runs: 800, Stock: 1000, Out: &out, Live: live}
				results, err := d.Run(ctx, admin, connect, Ways())
				if err != nil {
					t.Fatal(err)
				}
				if len(results) != 3 {
					t.Fatalf("%d results", len(results))
				}
				rmw, lua := results[0], results[2]
				if d.Lost(rmw) == 0 {
					t.Errorf("GET then SET lost no update: %+v", rmw.Obs)
				}
				if lua.Obs.Inconsistent != 0 || d.Lost(lua) != 0 || lua.Obs.Final[0] != 200 || lua.Obs.Final[1] != 800 {
					t.Errorf("the script was not atomic: %+v", lua.Obs)
				}
				if d.Lost(results[1]) != 0 {
					t.Errorf("DECR and INCR lost updates: %+v", results[1].Obs)
				}
				if got := strings.Count(out.String(), "\r\x1b[2K") > 3; got != live {
					t.Errorf("live=%v, but redraws in the output: %v\n%q", live, got, out.String())
				}
				out.Reset()
				if err := d.Summary(results); err != nil {
					t.Fatal(err)
				}
				table := out.String()
				flat := strings.Join(strings.Fields(table), " ")
				for _, want := range []string{"runs samples inconsistent lost final final reads updates stock sales",
					"should leave stock 200 and sales 800", "A Lua script runs on the server as one step"} {
					if !strings.Contains(flat, want) {
						t.Errorf("summary lacks %q:\n%s", want, table)
					}
				}
				luaRow := rowOf(table, "Lua script (EVAL)")
				if f := strings.Fields(luaRow); len(f) < 7 || f[len(f)-4] != "0" || f[len(f)-3] != "0" || f[len(f)-2] != "200" || f[len(f)-1] != "800" {
					t.Errorf("Lua row %q", luaRow)
				}
			}
		})
	}
}

func rowOf(table, name string) string {
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, name) {
			return line
		}
	}
	return ""
}
