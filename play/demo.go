package play

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/redisgrade/redisgrade/atomicity"
	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/internal/httpjson"
)

// The demo's size: the same as `redisgrade demo`'s defaults.
const (
	demoClients = 8
	demoRuns    = 1000
	demoStock   = 1000
	// demoTimeout bounds a whole demo: its three races take a second or two.
	demoTimeout = time.Minute
	// progressEvery spaces the live updates: enough for a smooth chart.
	progressEvery = 50 * time.Millisecond
)

// DemoEvent is one line of POST .../demo's answer (NDJSON, one event a
// line, flushed as they happen): "start", "progress" and "done" for each
// way, then "summary", or "error".
type DemoEvent struct {
	Type         string   `json:"type"`
	Ways         []string `json:"ways,omitempty"` // start
	Clients      int      `json:"clients,omitempty"`
	Runs         int      `json:"runs,omitempty"`
	Stock        int64    `json:"stock,omitempty"`
	Way          int      `json:"way"` // progress, done: the index in Ways
	Done         int64    `json:"done"`
	Samples      int64    `json:"samples"`
	Inconsistent int64    `json:"inconsistent"`
	Lost         int64    `json:"lost"`
	Final        []int64  `json:"final,omitempty"`
	Expect       string   `json:"expect,omitempty"` // summary
	Why          string   `json:"why,omitempty"`
	Error        string   `json:"error,omitempty"`
	Engine       string   `json:"engine,omitempty"`
}

func (h *Handler) handleDemo(w http.ResponseWriter, r *http.Request) {
	ex, ok := h.exercise(w, r)
	if !ok {
		return
	}
	if !demo.Has(ex.ID) || h.cfg.Engine == nil {
		httpjson.WriteError(w, http.StatusNotFound, fmt.Sprintf("no demo for %s here", ex.ID))
		return
	}
	select {
	case h.demoSlot <- struct{}{}:
	default:
		httpjson.WriteError(w, http.StatusTooManyRequests, "a demo is already running on this server: try again in a few seconds")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), demoTimeout)
	defer cancel()
	srv, err := h.cfg.Engine.Start(ctx)
	if err != nil {
		<-h.demoSlot
		httpjson.WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("could not start Redis for the demo: %v", err))
		return
	}
	admin, connect := demo.Connections(srv)
	// The answer ends as soon as the summary is sent; the server is
	// stopped after it, and only then may the next demo start.
	defer func() {
		go func() {
			admin.Close()
			srv.Close()
			<-h.demoSlot
		}()
	}()

	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var mu sync.Mutex // progress comes from the race's sampling goroutine
	send := func(e DemoEvent) {
		mu.Lock()
		defer mu.Unlock()
		data, _ := json.Marshal(e)
		_, _ = w.Write(append(data, '\n'))
		_ = rc.Flush()
	}
	d := demo.Demo{Clients: demoClients, Runs: demoRuns, Stock: demoStock}
	ways := demo.Ways()
	start := DemoEvent{Type: "start", Clients: demoClients, Runs: demoRuns, Stock: demoStock, Engine: srv.Info().Kind}
	for _, way := range ways {
		start.Ways = append(start.Ways, way.Name)
	}
	send(start)
	for i, way := range ways {
		if err := admin.MSet(ctx, "stock", demoStock, "sales", 0).Err(); err != nil {
			send(DemoEvent{Type: "error", Error: fmt.Sprintf("set up stock and sales: %v", err)})
			return
		}
		var last time.Time
		race := atomicity.Race{Keys: []string{"stock", "sales"}, Clients: demoClients, Runs: demoRuns,
			Progress: func(o atomicity.Observation) {
				if time.Since(last) < progressEvery {
					return
				}
				last = time.Now()
				send(DemoEvent{Type: "progress", Way: i, Done: o.Runs, Samples: o.Samples, Inconsistent: o.Inconsistent})
			}}
		obs, err := race.Run(ctx, connect, way.Update)
		if err != nil {
			send(DemoEvent{Type: "error", Error: fmt.Sprintf("%s: %v", way.Name, err)})
			return
		}
		send(DemoEvent{Type: "done", Way: i, Done: obs.Runs, Samples: obs.Samples, Inconsistent: obs.Inconsistent,
			Lost: d.Lost(demo.Result{Way: way, Obs: obs}), Final: obs.Final})
	}
	send(DemoEvent{Type: "summary", Expect: d.Expectation(), Why: demo.Why})
}
