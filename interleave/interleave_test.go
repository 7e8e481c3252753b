package interleave

import (
	"fmt"
	"slices"
	"testing"
)

func units(n int, u Unit) []Unit {
	out := make([]Unit, n)
	for i := range out {
		out[i] = u
	}
	return out
}

func collect(e *Explorer, max int) ([]string, bool) {
	var out []string
	_, all := e.Each(max, func(s Schedule) bool {
		out = append(out, fmt.Sprint(s))
		return true
	})
	return out, all
}

func TestSerialIsEveryOrderOfTheClients(t *testing.T) {
	got := Serial([]int{2, 1, 1})
	if len(got) != 6 || fmt.Sprint(got[0]) != "[0 0 1 2]" || fmt.Sprint(got[5]) != "[2 1 0 0]" {
		t.Errorf("Serial = %v, want the 3! orders", got)
	}
}

// Units on one key that all write conflict: every interleaving is its own
// class, C(4,2) = 6 in all, of which 2 are serial.
func TestDependentUnitsAreAllInterleaved(t *testing.T) {
	w := Unit{Keys: []string{"k"}}
	got, all := collect(NewExplorer([][]Unit{units(2, w), units(2, w)}), 100)
	want := []string{"[0 1 1 0]", "[1 0 0 1]", "[0 1 0 1]", "[1 0 1 0]"} // fewest switches first
	if !all || !slices.Equal(got, want) {
		t.Errorf("got %v (all %v), want %v", got, all, want)
	}
	// 2 clients of 8 units: C(16,8) = 12,870 interleavings, 2 of them serial.
	n, all := NewExplorer([][]Unit{units(8, w), units(8, w)}).Each(20000, func(Schedule) bool { return true })
	if !all || n != 12870-2 {
		t.Errorf("8 and 8 dependent units: %d interleavings (all %v), want 12,868", n, all)
	}
	// 3 clients of 4: 12!/(4!4!4!) = 34,650, 6 of them serial.
	n, all = NewExplorer([][]Unit{units(4, w), units(4, w), units(4, w)}).Each(40000, func(Schedule) bool { return true })
	if !all || n != 34650-6 {
		t.Errorf("3 clients of 4: %d interleavings (all %v), want 34,644", n, all)
	}
}

// Units that commute are not reordered: reads of one key, or writes of
// different keys, leave one class.
func TestCommutingUnitsAreRunOnce(t *testing.T) {
	r := Unit{Keys: []string{"k"}, ReadOnly: true}
	if got, _ := collect(NewExplorer([][]Unit{units(3, r), units(3, r)}), 100); len(got) != 0 {
		t.Errorf("reads only: %v, want no interleaving beyond the serial ones", got)
	}
	a, b := Unit{Keys: []string{"a"}}, Unit{Keys: []string{"b"}}
	// A writes a then b; B writes b then a. Only the order of the two writes
	// of each key matters: A's a before B's, and B's b before A's, is the
	// one class that is not serial (the reverse of both is impossible).
	got, _ := collect(NewExplorer([][]Unit{{a, b}, {b, a}}), 100)
	if !slices.Equal(got, []string{"[0 1 1 0]"}) {
		t.Errorf("A: a b, B: b a: %v, want the one interleaving A B B A", got)
	}
	script := Unit{AnyKey: true}
	none := Unit{}
	if !Independent(script, none) || Independent(script, a) || Independent(a, script) || !Independent(a, b) || Independent(a, a) {
		t.Error("a script commutes only with units that touch no key; writes of one key never do")
	}
}

func TestEachStopsWhereTold(t *testing.T) {
	w := Unit{Keys: []string{"k"}}
	n, all := NewExplorer([][]Unit{units(3, w), units(3, w)}).Each(5, func(Schedule) bool { return true })
	if n != 5 || all {
		t.Errorf("a budget of 5: %d tried, all %v", n, all)
	}
	n, all = NewExplorer([][]Unit{units(3, w), units(3, w)}).Each(100, func(Schedule) bool { return false })
	if n != 1 || all {
		t.Errorf("stopped by the first: %d tried, all %v", n, all)
	}
}
