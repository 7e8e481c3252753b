package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/interleave"
	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/submissions"
)

// runner runs the clients' units in the orders a serializable check chooses.
type runner struct {
	env     *Env
	start   State    // the case's starting state, written again before each run
	clients [][]unit // each client's units
	// observer is, per client, whether all its replies count (the other
	// client the spec plays), or only those that decide (decides).
	observer []bool
	// serial are the outcomes of the serial orders, by which units were
	// left out (the transactions WATCH refused): "" for the files as they are.
	serial map[string][]outcome
}

// outcome is what one order left and returned.
type outcome struct {
	order   interleave.Schedule
	state   map[string]*keyState
	replies [][][]Value // by client, unit, command
	ran     []ranUnit   // the units in the order they ran
}

type ranUnit struct {
	client  int
	cmds    []submissions.Command
	replies []Value
}

// run runs one order of clients' units from the case's starting state, each
// client on a connection of its own.
func (r *runner) run(ctx context.Context, order interleave.Schedule, clients [][]unit) (outcome, error) {
	o := outcome{order: order, replies: make([][][]Value, len(clients))}
	if err := restoreKeys(ctx, r.env.Admin, r.start); err != nil {
		return o, fmt.Errorf("restore the starting state: %w", err)
	}
	conns := make([]*redis.Client, len(clients))
	for i := range conns {
		conn, release := r.env.Connect()
		defer release()
		conns[i] = conn
	}
	next := make([]int, len(clients))
	for _, c := range order {
		u := clients[c][next[c]]
		next[c]++
		ran := ranUnit{client: c, cmds: u.cmds}
		for _, cmd := range u.cmds {
			v, ok := FromReply(conns[c].Do(ctx, cmd.Any()...).Result())
			if !ok {
				return o, fmt.Errorf("%s got no reply", cmd.Name())
			}
			ran.replies = append(ran.replies, v)
		}
		o.replies[c] = append(o.replies[c], ran.replies)
		o.ran = append(o.ran, ran)
	}
	state, err := (&CompareCheck{}).readState(ctx, r.env.Admin)
	if err != nil {
		return o, fmt.Errorf("read what the clients left: %w", err)
	}
	o.state = state
	return o, nil
}

// serialOutcomes runs the clients one after the other in every order, once
// per set of units left out.
func (r *runner) serialOutcomes(ctx context.Context, key string, clients [][]unit) ([]outcome, error) {
	if out, ok := r.serial[key]; ok {
		return out, nil
	}
	var out []outcome
	for _, order := range interleave.Serial(counts(clients)) {
		o, err := r.run(ctx, order, clients)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	r.serial[key] = out
	return out, nil
}

func counts(clients [][]unit) []int {
	out := make([]int, len(clients))
	for i, c := range clients {
		out[i] = len(c)
	}
	return out
}

// serializable reports whether an interleaving's outcome is a serial order's:
// of the files as they are, or, where WATCH refused transactions (EXEC
// replied nil), of the files without them.
func (r *runner) serializable(ctx context.Context, o outcome) (bool, error) {
	serial, err := r.serialOutcomes(ctx, "", r.clients)
	if err != nil {
		return false, err
	}
	for _, s := range serial {
		if r.sameOutcome(o, s, r.clients) {
			return true, nil
		}
	}
	refused, key := r.refused(o)
	if key == "" {
		return false, nil
	}
	serial, err = r.serialOutcomes(ctx, key, refused)
	if err != nil {
		return false, err
	}
	kept := r.withoutRefused(o)
	for _, s := range serial {
		if r.sameOutcome(kept, s, refused) {
			return true, nil
		}
	}
	return false, nil
}

// dropped marks, per client and unit, what o leaves out: each transaction
// WATCH refused, and the reads since its WATCH, which decided only it (the
// client reads again on its retry).
func (r *runner) dropped(o outcome) [][]bool {
	out := make([][]bool, len(r.clients))
	for c, units := range r.clients {
		out[c] = make([]bool, len(units))
		watch := -1
		for i, u := range units {
			if u.cmds[0].Name() == "WATCH" {
				watch = i
			}
			if !isRefused(u, o.replies[c][i]) {
				continue
			}
			out[c][i] = true
			for j := watch + 1; j < i; j++ {
				if units[j].info.ReadOnly && units[j].cmds[0].Name() != "WATCH" {
					out[c][j] = true
				}
			}
		}
	}
	return out
}

// refused are the clients' units without those o leaves out (dropped),
// and a key naming which those are ("" if none).
func (r *runner) refused(o outcome) ([][]unit, string) {
	var key strings.Builder
	drop := r.dropped(o)
	out := make([][]unit, len(r.clients))
	for c, units := range r.clients {
		for i, u := range units {
			if drop[c][i] {
				fmt.Fprintf(&key, "%d.%d ", c, i)
				continue
			}
			out[c] = append(out[c], u)
		}
	}
	return out, key.String()
}

// isRefused reports whether a unit is a transaction whose EXEC replied nil.
func isRefused(u unit, replies []Value) bool {
	n := len(u.cmds)
	return n > 1 && u.cmds[0].Name() == "MULTI" && u.cmds[n-1].Name() == "EXEC" && len(replies) == n && replies[n-1].Type == Nil
}

// withoutRefused is o's replies without those of the units it leaves out.
func (r *runner) withoutRefused(o outcome) outcome {
	kept := o
	drop := r.dropped(o)
	kept.replies = make([][][]Value, len(o.replies))
	for c, units := range r.clients {
		for i := range units {
			if !drop[c][i] {
				kept.replies[c] = append(kept.replies[c], o.replies[c][i])
			}
		}
	}
	return kept
}

// sameOutcome reports whether two orders left the same keys and gave each
// client the same replies (in any order where Redis fixes none), but for
// the reads that decide nothing (decides).
func (r *runner) sameOutcome(a, b outcome, clients [][]unit) bool {
	if !sameState(a.state, b.state) {
		return false
	}
	for c := range clients {
		if len(a.replies[c]) != len(b.replies[c]) {
			return false
		}
		for i := range a.replies[c] {
			if !r.observer[c] && !decides(clients[c], i) {
				continue
			}
			for j := range a.replies[c][i] {
				name := clients[c][i].cmds[j].Name()
				if j >= len(b.replies[c][i]) || !sameReply(name, a.replies[c][i][j], b.replies[c][i][j]) {
					return false
				}
			}
		}
	}
	return true
}

// sameState reports whether two states hold the same keys and values, and
// the same keys expire (within a second: the orders ran a moment apart).
func sameState(a, b map[string]*keyState) bool {
	for _, k := range unionKeys(a, b) {
		x, y := a[k], b[k]
		switch {
		case x == nil || y == nil, x.typ != y.typ, x.hll != y.hll, len(diffValue(k, x, y)) > 0:
			return false
		case (x.ttl < 0) != (y.ttl < 0):
			return false
		case x.ttl >= 0 && (x.ttl-y.ttl > time.Second || y.ttl-x.ttl > time.Second):
			return false
		}
	}
	return true
}

// verdict runs the serial orders, then the interleavings until one gives an
// outcome no serial order gives.
func (r *runner) verdict(ctx context.Context, names []string) Result {
	infos := make([][]interleave.Unit, len(r.clients))
	for c, units := range r.clients {
		for _, u := range units {
			infos[c] = append(infos[c], u.info)
		}
	}
	if _, err := r.serialOutcomes(ctx, "", r.clients); err != nil {
		return fail("could not run the clients one after the other: %v", err)
	}
	var bad *outcome
	var runErr error
	tried, all := interleave.NewExplorer(infos).Each(maxInterleavings, func(s interleave.Schedule) bool {
		o, err := r.run(ctx, s, r.clients)
		if err == nil {
			var ok bool
			if ok, err = r.serializable(ctx, o); ok {
				return true
			}
		}
		if err != nil {
			runErr = err
			return false
		}
		bad = &o
		return false
	})
	switch {
	case runErr != nil:
		return fail("could not run an interleaving of the clients: %v", runErr)
	case bad != nil:
		return r.counterexample(*bad, names, tried)
	}
	serial := len(r.serial[""])
	switch {
	case tried == 0 && oneUnitEach(r.clients):
		return pass(sprintf("ran the %s one after the other, which are every order there is: each client's work is one unit (a script, a MULTI ... EXEC block and a single command each run whole)",
			words.Count(serial, "serial order")))
	case tried == 0:
		return pass(sprintf("ran the %s one after the other; no interleaving of %s could give another outcome (units that touch different keys, or only read, were run in one order)",
			words.Count(serial, "serial order"), describeUnits(r.clients)))
	case !all:
		return pass(sprintf("ran the %s one after the other and the first %s interleavings of %s (the most this check runs): each gave what the clients give one after the other",
			words.Count(serial, "serial order"), words.Thousands(int64(tried)), describeUnits(r.clients)))
	}
	return pass(sprintf("ran the %s one after the other and every interleaving of %s that could give another outcome (%s; units that commute were run in one order): each gave what the clients give one after the other",
		words.Count(serial, "serial order"), describeUnits(r.clients), words.Count(tried, "interleaving")))
}

func oneUnitEach(clients [][]unit) bool {
	for _, c := range clients {
		if len(c) > 1 {
			return false
		}
	}
	return true
}

// counterexample fails the check with the interleaving as a timeline, and the
// serial outcomes it was compared with.
func (r *runner) counterexample(o outcome, names []string, tried int) Result {
	var b strings.Builder
	for _, u := range o.ran {
		for i, cmd := range u.cmds {
			fmt.Fprintf(&b, "%s: %-22s -> %s\n", names[u.client], clip.Text(submissions.FormatCommand(cmd.Args), 60), u.replies[i])
		}
	}
	who := strings.Join(names, " and ")
	serial := r.serial[""]
	if r.sameStateAsSerial(o) {
		fmt.Fprintf(&b, "every order of %s one after the other leaves these keys, but none gives these replies: one client saw what another was half way through", who)
	} else {
		fmt.Fprintf(&b, "no order of %s one after the other leaves %s", who, describeState(o.state))
	}
	var expected []string
	for _, s := range serial {
		expected = append(expected, r.describeOutcome(s, names))
	}
	res := Result{
		Message:  b.String(),
		Expected: strings.Join(expected, "; or "),
		Actual:   r.describeOutcome(o, names),
		Shape:    r.shape(o),
	}
	return res
}

// sameStateAsSerial reports whether some serial order leaves the keys o left.
func (r *runner) sameStateAsSerial(o outcome) bool {
	for _, s := range r.serial[""] {
		if sameState(o.state, s.state) {
			return true
		}
	}
	return false
}

// describeOutcome says what an order left and each client got: `A then B:
// seats: a string "-1"; A got "1", 0; B got "0", -1`.
func (r *runner) describeOutcome(o outcome, names []string) string {
	var order []string
	seen := map[int]bool{}
	for _, c := range o.order {
		if !seen[c] {
			seen[c] = true
			order = append(order, names[c])
		}
	}
	parts := []string{describeState(o.state)}
	for c, units := range o.replies {
		var got []string
		for _, replies := range units {
			for _, v := range replies {
				got = append(got, v.String())
			}
		}
		parts = append(parts, names[c]+" got "+strings.Join(got, ", "))
	}
	prefix := ""
	if o.order.Switches() == len(names)-1 {
		prefix = strings.Join(order, " then ") + ": "
	}
	return prefix + strings.Join(parts, "; ")
}

// shape is the counterexample as behaviour: the order its units ran in, by
// client and place (A1 B1 B2 A2: the other client between your two
// commands), and whether no serial order leaves its keys (state) or only
// its replies differ from them all (replies). Not the commands' names: DECR
// and INCR sent apart are the same mistake as DECRBY and INCRBY.
func (r *runner) shape(o outcome) string {
	var steps []string
	next := make([]int, len(r.clients))
	for _, u := range o.ran {
		next[u.client]++
		steps = append(steps, string(rune('A'+u.client))+strconv.Itoa(next[u.client]))
	}
	what := "state"
	if r.sameStateAsSerial(o) {
		what = "replies"
	}
	return "not serializable (" + what + "): " + strings.Join(steps, " ")
}
