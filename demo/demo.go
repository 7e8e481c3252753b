// Package demo is redisgrade demo: the lua-atomicity race shown live, three
// ways to sell a unit from many clients at once, with the atomicity
// package's race the grader's probe also runs. It needs no workspace: the
// command and the play page's demo run it anywhere.
package demo

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/atomicity"
	"github.com/redisgrade/redisgrade/engine"
)

// textWidth is where the demo's sentences wrap, as the workspace's screens
// do.
const textWidth = 76

// demos names the exercises that have a demo.
var demos = map[string]bool{"lua-atomicity": true}

// Has reports whether `redisgrade demo EXERCISE` exists.
func Has(exercise string) bool { return demos[exercise] }

// Exercises lists the exercises with a demo.
func Exercises() []string { return []string{"lua-atomicity"} }

// Way is one way to sell a unit.
type Way struct {
	Name   string
	Update atomicity.Update
}

// Ways are the three ways the lua-atomicity demo races, from the
// atomicity package the grader's probe uses: the demo shows what the probe
// checks.
func Ways() []Way {
	return []Way{
		{"GET then SET (client)", atomicity.ReadModifyWrite("stock", "sales")},
		{"DECR, INCR (2 commands)", atomicity.TwoCommands("stock", "sales")},
		{"Lua script (EVAL)", atomicity.LuaScript("stock", "sales")},
	}
}

// Connections are the demo's connections to srv: an administrator's, to
// set the keys up, and the students' for the racing clients, one connection
// each and never retried (a retried update would sell twice).
func Connections(srv engine.Server) (admin *redis.Client, connect atomicity.Connect) {
	opts := srv.StudentOptions()
	opts.PoolSize = 1
	opts.MaxRetries = -1
	return redis.NewClient(srv.Options()), atomicity.Dial(opts)
}

// Demo races the ways from many clients at once and tells what each did.
type Demo struct {
	Clients int   // connections selling at once
	Runs    int   // sales in all, shared by the clients
	Stock   int64 // stock before each way
	Out     io.Writer
	Live    bool // redraw each way's line as it runs (a terminal)
	Width   int  // the terminal's columns, for Live (0: 80)
	Color   bool
}

// Result is what one way did.
type Result struct {
	Way Way
	Obs atomicity.Observation
}

// Want is what the runs should leave: stock and sales.
func (d Demo) Want() (stock, sales int64) { return d.Stock - int64(d.Runs), int64(d.Runs) }

// Lost counts the updates that vanished: the most either counter is off by.
func (d Demo) Lost(r Result) int64 {
	ws, wl := d.Want()
	if len(r.Obs.Final) < 2 {
		return 0
	}
	return max(abs(r.Obs.Final[0]-ws), abs(r.Obs.Final[1]-wl))
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Run races each way in turn, each from stock d.Stock and sales 0 (set with
// admin), on connections from connect, and writes a line per way as it goes.
func (d Demo) Run(ctx context.Context, admin *redis.Client, connect atomicity.Connect, ways []Way) ([]Result, error) {
	p := report.NewPalette(d.Color)
	intro := fmt.Sprintf("Selling %d units from %d clients at once, starting from stock %d and sales 0, three ways. "+
		"One more client samples stock and sales all along (MGET): every sample should add up to %d.",
		d.Runs, d.Clients, d.Stock, d.Stock)
	fmt.Fprintf(d.Out, "%s\n\n", strings.Join(words.Wrap(intro, textWidth), "\n"))
	var results []Result
	for i, way := range ways {
		if err := admin.MSet(ctx, "stock", d.Stock, "sales", 0).Err(); err != nil {
			return results, fmt.Errorf("set up stock and sales: %w", err)
		}
		race := atomicity.Race{Keys: []string{"stock", "sales"}, Clients: d.Clients, Runs: d.Runs}
		var mu sync.Mutex // Progress is never concurrent with itself; the lock orders it with the last line
		var last time.Time
		if d.Live {
			race.Progress = func(o atomicity.Observation) {
				mu.Lock()
				defer mu.Unlock()
				if time.Since(last) < 40*time.Millisecond {
					return
				}
				last = time.Now()
				fmt.Fprintf(d.Out, "\r\x1b[2K%s", d.liveLine(p, i, way, o))
			}
		}
		obs, err := race.Run(ctx, connect, way.Update)
		if err != nil {
			return results, fmt.Errorf("%s: %w", way.Name, err)
		}
		mu.Lock()
		if d.Live {
			fmt.Fprintf(d.Out, "\r\x1b[2K%s\n", d.liveLine(p, i, way, obs))
		} else {
			fmt.Fprintf(d.Out, "%d. %s: %d runs, %s samples, %s inconsistent, final %s\n", i+1, way.Name,
				obs.Runs, words.Thousands(obs.Samples), words.Thousands(obs.Inconsistent), race.State(obs.Final))
		}
		mu.Unlock()
		results = append(results, Result{Way: way, Obs: obs})
	}
	return results, nil
}

func (d Demo) liveLine(p report.Palette, i int, way Way, o atomicity.Observation) string {
	const barWidth = 10
	filled := 0
	if d.Runs > 0 {
		filled = min(barWidth, int(o.Runs*barWidth/int64(d.Runs)))
	}
	head := fmt.Sprintf("%d. %-23s ", i+1, way.Name)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled)
	runs := fmt.Sprintf(" %*d/%d", len(strconv.Itoa(d.Runs)), o.Runs, d.Runs)
	reads := fmt.Sprintf(" · %s of %s reads inconsistent", words.Thousands(o.Inconsistent), words.Thousands(o.Samples))
	width := d.Width
	if width <= 0 {
		width = 80
	}
	// A line longer than the terminal wraps, and \r then redraws only its
	// last part: cut it to fit instead.
	if plain := []rune(head + bar + runs + reads); len(plain) >= width {
		return string(plain[:width-1])
	}
	style := p.Pass
	if o.Inconsistent > 0 {
		style = p.Fail
	}
	return head + p.Pass.Sprint(bar[:len("█")*filled]) + p.Dim.Sprint(bar[len("█")*filled:]) + runs + style.Sprint(reads)
}

// Summary writes the table of results and two sentences on why.
func (d Demo) Summary(results []Result) error {
	p := report.NewPalette(d.Color)
	ws, wl := d.Want()
	headers := [][]string{
		{"", "runs", "samples", "inconsistent", "lost", "final", "final"},
		{"", "", "", "reads", "updates", "stock", "sales"},
	}
	rows := append([][]string{}, headers...)
	for _, r := range results {
		stock, sales := "?", "?"
		if len(r.Obs.Final) == 2 {
			stock, sales = strconv.FormatInt(r.Obs.Final[0], 10), strconv.FormatInt(r.Obs.Final[1], 10)
		}
		rows = append(rows, []string{r.Way.Name, strconv.FormatInt(r.Obs.Runs, 10), words.Thousands(r.Obs.Samples),
			words.Thousands(r.Obs.Inconsistent), words.Thousands(d.Lost(r)), stock, sales})
	}
	widths := make([]int, len(headers[0]))
	for _, row := range rows {
		for c, cell := range row {
			widths[c] = max(widths[c], len([]rune(cell)))
		}
	}
	var b strings.Builder
	b.WriteString("\n")
	for n, row := range rows {
		for c, cell := range row {
			pad := strings.Repeat(" ", widths[c]-len([]rune(cell)))
			if c == 0 {
				cell += pad // names left, numbers right
			} else {
				cell = pad + cell
			}
			switch {
			case n < len(headers):
				cell = p.Bold.Sprint(cell)
			case c == 3 || c == 4:
				if strings.TrimSpace(cell) == "0" {
					cell = p.Pass.Sprint(cell)
				} else {
					cell = p.Fail.Sprint(cell)
				}
			case c == 5 && len(results[n-len(headers)].Obs.Final) == 2 && results[n-len(headers)].Obs.Final[0] != ws,
				c == 6 && len(results[n-len(headers)].Obs.Final) == 2 && results[n-len(headers)].Obs.Final[1] != wl:
				cell = p.Fail.Sprint(cell)
			}
			if c > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%s\n", p.Dim.Sprint(strings.Join(words.Wrap(d.Expectation(), textWidth), "\n")))
	fmt.Fprintf(&b, "\n%s\n", strings.Join(words.Wrap(Why, textWidth), "\n"))
	_, err := io.WriteString(d.Out, b.String())
	return err
}

// Expectation says what the runs should leave, and every read see.
func (d Demo) Expectation() string {
	ws, wl := d.Want()
	return fmt.Sprintf("%d runs from stock %d and sales 0 should leave stock %d and sales %d, and every read should see stock + sales = %d.",
		d.Runs, d.Stock, ws, wl, d.Stock)
}

// Why is the two sentences of why that end the demo.
const Why = "Why: without Lua, other clients run between your commands: with GET then SET two clients read the " +
	"same stock and both write the same new value, so sales are lost, and with DECR then INCR a reader " +
	"catches a unit that has left stock but not yet reached sales. A Lua script runs on the server as one " +
	"step that no other command can interrupt, so no update is lost and no reader ever sees half of one."
