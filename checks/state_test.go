package checks

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

func decodeState(t *testing.T, text string) (State, error) {
	t.Helper()
	doc, err := yamlstrict.Parse("spec.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	d := &yamlstrict.Decoder{File: "spec.yaml"}
	var s State
	d.Decode(doc, &s)
	return s, d.Err()
}

const richState = `
stock: 100
user:1: {hash: {name: Ada, city: London}}
log: {list: [login, logout]}
tags: {set: [redis, lua]}
board: {zset: {ann: 30, bob: 20}}
hits: {string: "3", ttl: 20s}
visitors: {hll: [u1, u2, u3]}
active: {bits: [1, 5]}
stations: {geo: {central: [2.35, 48.85]}}
orders:
  stream: {1-1: {item: book, qty: "2"}, 1-2: {item: pen}, 1-3: {item: ink}}
  groups:
    billing:
      pending: {1-1: worker-1, 1-2: {consumer: worker-2, idle: 90s, deliveries: 3}}
      consumers: [worker-3]
    shipping: {last: "$"}
    audit:
empty-stream: {stream: {}, groups: {g: }}
`

func TestStateDecodes(t *testing.T) {
	s, err := decodeState(t, richState)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Keys(), " "); got != "stock user:1 log tags board hits visitors active stations orders empty-stream" {
		t.Errorf("keys in order = %s", got)
	}
	if v, ok := s.Get("stock"); !ok || v != "100" {
		t.Errorf("Get(stock) = %q, %v; a number is the string as written", v, ok)
	}
	if _, ok := s.Get("user:1"); ok {
		t.Error("Get of a hash must say it is not a string")
	}
	if got := s.String(); !strings.Contains(got, "stock=100 user:1=hash(2)") || !strings.Contains(got, "hits=3(ttl 20s)") {
		t.Errorf("String() = %s", got)
	}
}

func TestStateRefusesWhatRedisCannotHold(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`k: {list: [a], set: [b]}`, "exactly one of string, hash"},
		{`k: {ttl: 1s}`, "exactly one of"},
		{`k: {list: []}`, "an empty list does not exist in Redis"},
		{`k: {hash: {a: 1}, groups: {g: }}`, "groups belong to a stream"},
		{`k: {stream: {}}`, "an empty stream exists only with a consumer group"},
		{`k: {stream: {1-2: {a: b}, 1-1: {a: b}}}`, "must come after 1-2"},
		{`k: {stream: {"*": {a: b}}}`, "not an explicit stream id"},
		{`k: {stream: {1-1: {}}}`, "needs at least one field"},
		{`k: {stream: {1-1: {a: b}}, groups: {g: {pending: {1-2: w}}}}`, "pending entry 1-2 is not an entry"},
		{`k: {stream: {1-1: {a: b}, 1-2: {a: b}}, groups: {g: {last: 1-1, pending: {1-2: w}}}}`, "comes before its pending entry"},
		{`k: {stream: {1-1: {a: b}}, groups: {g: {pending: {1-1: {idle: 1s}}}}}`, "needs its consumer"},
		{`k: {bits: [-1]}`, "bit offset -1"},
		{`k: {geo: {x: [200, 0]}}`, "longitude must be within"},
		{`k: {geo: {x: [1]}}`, "needs [longitude, latitude]"},
		{`k: {string: a, ttl: -1s}`, "positive duration"},
		{`k: {strin: a}`, `unknown field "strin"`},
		{`k: [a, b]`, "expected a string"},
	} {
		_, err := decodeState(t, tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "spec.yaml:1:") {
			t.Errorf("%s: error %q is not positioned on line 1", tc.yaml, err)
		}
	}
	var big strings.Builder
	big.WriteString("k: {set: [")
	for i := range maxGivenElements + 1 {
		if i > 0 {
			big.WriteString(", ")
		}
		big.WriteString("m")
		big.WriteString(strings.Repeat("x", i%7))
		big.WriteString(time.Duration(i).String())
	}
	big.WriteString("]}")
	if _, err := decodeState(t, big.String()); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a state of %d elements: %v, want it refused", maxGivenElements+1, err)
	}
}

// TestStateIsWrittenAsGiven writes the rich state with the reset on each
// engine and reads it back as a student would see it.
func TestStateIsWrittenAsGiven(t *testing.T) {
	s, err := decodeState(t, richState)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{engine.KindProcess, engine.KindEmbedded} {
		t.Run(kind, func(t *testing.T) {
			eng, _, err := engine.New(t.Context(), kind, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			srv, err := eng.Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if err := srv.Reset(ctx, s.Commands()...); err != nil {
				t.Fatalf("reset with the state: %v", err)
			}
			c := redis.NewClient(srv.Options())
			defer c.Close()
			check := func(what string, got, want any) {
				t.Helper()
				if !equalish(got, want) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("GET stock", c.Get(ctx, "stock").Val(), "100")
			check("HGETALL user:1", c.HGetAll(ctx, "user:1").Val(), map[string]string{"name": "Ada", "city": "London"})
			check("LRANGE log", c.LRange(ctx, "log", 0, -1).Val(), []string{"login", "logout"})
			check("SMEMBERS tags", sorted(c.SMembers(ctx, "tags").Val()), []string{"lua", "redis"})
			check("ZRANGE board", c.ZRange(ctx, "board", 0, -1).Val(), []string{"bob", "ann"})
			ttl := c.PTTL(ctx, "hits").Val()
			check("hits has a TTL near 20s", ttl > 19*time.Second && ttl <= 20*time.Second, true)
			check("PFCOUNT visitors", c.PFCount(ctx, "visitors").Val(), int64(3))
			check("BITCOUNT active", c.BitCount(ctx, "active", nil).Val(), int64(2))
			check("GETBIT active 5", c.GetBit(ctx, "active", 5).Val(), int64(1))
			check("GEOPOS central is there", len(c.GeoPos(ctx, "stations", "central").Val()), 1)
			entries := c.XRange(ctx, "orders", "-", "+").Val()
			check("XRANGE orders ids", ids(entries), []string{"1-1", "1-2", "1-3"})
			groups := c.XInfoGroups(ctx, "orders").Val()
			last := map[string]string{}
			for _, g := range groups {
				last[g.Name] = g.LastDeliveredID
			}
			check("groups' last-delivered ids", last, map[string]string{"billing": "1-2", "shipping": "1-3", "audit": "0-0"})
			pending := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "orders", Group: "billing", Start: "-", End: "+", Count: 10}).Val()
			if len(pending) != 2 {
				t.Fatalf("pending of billing = %v, want 1-1 and 1-2", pending)
			}
			check("pending 1-1", [2]any{pending[0].ID, pending[0].Consumer}, [2]any{"1-1", "worker-1"})
			check("pending 1-2", [3]any{pending[1].ID, pending[1].Consumer, pending[1].RetryCount}, [3]any{"1-2", "worker-2", int64(3)})
			check("pending 1-2 has been idle 90s", pending[1].Idle >= 90*time.Second && pending[1].Idle < 100*time.Second, true)
			consumers := c.XInfoConsumers(ctx, "orders", "billing").Val()
			var names []string
			for _, cs := range consumers {
				names = append(names, cs.Name)
			}
			check("billing's consumers", sorted(names), []string{"worker-1", "worker-2", "worker-3"})
			check("empty-stream is a stream", c.Type(ctx, "empty-stream").Val(), "stream")
			check("empty-stream has its group", len(c.XInfoGroups(ctx, "empty-stream").Val()), 1)
			stats := c.Info(ctx, "commandstats").Val()
			check("the reset's writes are not in the statistics", strings.Contains(stats, "cmdstat_xadd") || strings.Contains(stats, "cmdstat_hset"), false)
		})
	}
}

func ids(ms []redis.XMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func sorted(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return out
}

func equalish(got, want any) bool {
	switch w := want.(type) {
	case []string:
		g, ok := got.([]string)
		return ok && slices.Equal(g, w)
	case map[string]string:
		g, ok := got.(map[string]string)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if g[k] != v {
				return false
			}
		}
		return true
	}
	return got == want
}
