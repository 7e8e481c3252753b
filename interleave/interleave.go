// Package interleave chooses the orders in which a serializability check
// runs several clients' commands: the serial orders (each client's whole file
// after another's), then every interleaving, fewest switches between clients
// first, and only one of each class of equivalent interleavings: two
// interleavings that differ only in the order of units that commute (they
// touch no key in common, or both only read) leave the same state and give
// the same replies, so running one of them is running both. It knows nothing
// of Redis beyond which keys a unit touches.
package interleave

import (
	"slices"
	"strings"
)

// Unit is one atomic step of a client: a command, or a MULTI ... EXEC
// block, which runs as one at its EXEC.
type Unit struct {
	Keys     []string // the keys it reads or writes
	ReadOnly bool     // it only reads them
	// AnyKey: it may touch keys it does not name (a script): it commutes
	// only with units that touch no key.
	AnyKey bool
}

// Independent reports whether two units of different clients commute.
func Independent(a, b Unit) bool {
	switch {
	case a.ReadOnly && b.ReadOnly:
		return true
	case a.AnyKey:
		return len(b.Keys) == 0 && !b.AnyKey
	case b.AnyKey:
		return len(a.Keys) == 0
	}
	for _, k := range a.Keys {
		if slices.Contains(b.Keys, k) {
			return false
		}
	}
	return true
}

// Schedule is an order of the clients' units: the client whose next unit
// runs, one entry per unit. Each client's units run in their own order.
type Schedule []int

// Switches counts the times the schedule passes from one client to another.
func (s Schedule) Switches() int {
	n := 0
	for i := 1; i < len(s); i++ {
		if s[i] != s[i-1] {
			n++
		}
	}
	return n
}

// Serial returns the schedules that run each client's units one client after
// another, in every order of the clients (clients! of them).
func Serial(counts []int) []Schedule {
	var out []Schedule
	var permute func(order []int, rest []int)
	permute = func(order, rest []int) {
		if len(rest) == 0 {
			var s Schedule
			for _, c := range order {
				for range counts[c] {
					s = append(s, c)
				}
			}
			out = append(out, s)
			return
		}
		for i, c := range rest {
			next := append(slices.Clone(rest[:i]), rest[i+1:]...)
			permute(append(slices.Clone(order), c), next)
		}
	}
	clients := make([]int, len(counts))
	for i := range clients {
		clients[i] = i
	}
	permute(nil, clients)
	return out
}

// Explorer hands out the interleavings of the clients' units that are not
// serial, fewest switches first, one of each class of equivalent ones (the
// serial orders' classes are taken as seen).
type Explorer struct {
	units [][]Unit
	seen  map[string]bool
}

// NewExplorer is an explorer of these clients' units.
func NewExplorer(units [][]Unit) *Explorer {
	e := &Explorer{units: units, seen: map[string]bool{}}
	for _, s := range Serial(e.counts()) {
		e.seen[e.class(s)] = true
	}
	return e
}

func (e *Explorer) counts() []int {
	out := make([]int, len(e.units))
	for i, u := range e.units {
		out[i] = len(u)
	}
	return out
}

// Each calls try with each interleaving in turn until try returns false or
// max have been tried; it returns how many were tried and whether they were
// all of them.
func (e *Explorer) Each(max int, try func(Schedule) bool) (tried int, all bool) {
	counts := e.counts()
	total := 0
	for _, n := range counts {
		total += n
	}
	for switches := 1; switches < total; switches++ {
		stop := false
		e.withSwitches(counts, switches, func(s Schedule) bool {
			if e.seen[e.class(s)] {
				return true
			}
			e.seen[e.class(s)] = true
			if tried == max {
				stop = true
				return false
			}
			tried++
			if !try(s) {
				stop = true
				return false
			}
			return true
		})
		if stop {
			return tried, false
		}
	}
	return tried, true
}

// withSwitches calls emit with each schedule of exactly that many switches,
// in order (client 0 first at each place), until emit returns false.
func (e *Explorer) withSwitches(counts []int, switches int, emit func(Schedule) bool) bool {
	left := slices.Clone(counts)
	var s Schedule
	var walk func(used int) bool
	walk = func(used int) bool {
		done := true
		for c := range left {
			if left[c] == 0 {
				continue
			}
			done = false
			cost := 0
			if len(s) > 0 && s[len(s)-1] != c {
				cost = 1
			}
			if used+cost > switches {
				continue
			}
			left[c]--
			s = append(s, c)
			ok := walk(used + cost)
			s = s[:len(s)-1]
			left[c]++
			if !ok {
				return false
			}
		}
		if done && used == switches {
			return emit(slices.Clone(s))
		}
		return true
	}
	return walk(0)
}

// class names the class of interleavings equivalent to s: its
// lexicographic normal form, the smallest order of its units that swaps only
// units that commute.
func (e *Explorer) class(s Schedule) string {
	type step struct{ client, unit int }
	var rest []step
	next := make([]int, len(e.units))
	for _, c := range s {
		rest = append(rest, step{c, next[c]})
		next[c]++
	}
	var b strings.Builder
	for len(rest) > 0 {
		// The smallest client whose first remaining unit commutes with
		// every unit before it moves to the front.
		pick := -1
		for i, st := range rest {
			movable := true
			for _, before := range rest[:i] {
				if before.client == st.client || !Independent(e.units[before.client][before.unit], e.units[st.client][st.unit]) {
					movable = false
					break
				}
			}
			if movable && (pick < 0 || st.client < rest[pick].client) {
				pick = i
			}
		}
		b.WriteByte(byte('A' + rest[pick].client))
		rest = append(rest[:pick], rest[pick+1:]...)
	}
	return b.String()
}
