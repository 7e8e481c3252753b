// Package suggest finds the name a user most likely meant: "did you mean
// lua-atomicity?" for -e lua-atomicty.
package suggest

import (
	"fmt"
	"strings"
)

// Closest returns the candidate nearest to input, ignoring case, when it is
// near enough to be a typo: within a third of the input's length in edits
// (at least 1, at most 3), or a candidate that input is a prefix of. ok is
// false when no candidate is that near, or when two are equally near: a
// wrong suggestion is worse than none.
func Closest(input string, candidates []string) (best string, ok bool) {
	in := strings.ToLower(input)
	if in == "" {
		return "", false
	}
	limit := len([]rune(in)) / 3
	limit = max(1, min(limit, 3))
	bestDist, tie := limit+1, false
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(in, lc)
		if d > limit && len(in) >= 3 && strings.HasPrefix(lc, in) {
			d = limit // an unambiguous start of a name counts as near
		}
		switch {
		case d < bestDist:
			best, bestDist, tie = c, d, false
		case d == bestDist && c != best:
			tie = true
		}
	}
	if bestDist > limit || tie {
		return "", false
	}
	return best, true
}

// Hint is " (did you mean X?)" for the closest candidate, or "".
func Hint(input string, candidates []string) string {
	if best, ok := Closest(input, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// distance is the optimal string alignment distance between a and b: the
// edits (insert, delete, substitute, swap two neighbours) that turn one into
// the other. A swap is one of the commonest typos ("lua-atomicty").
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
