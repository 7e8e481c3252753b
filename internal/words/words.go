// Package words writes counts the way people say them: "1 problem",
// "2 problems", "1 point", "1.5 points".
package words

import "strconv"

// Count is n followed by noun, plural unless n is 1. Nouns here take an -s;
// for others use Plural.
func Count(n int, noun string) string { return Plural(n, noun, noun+"s") }

// Plural is n followed by one or many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Points counts a score, which may be fractional: "1 point", "0.5 points".
func Points(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if x == 1 {
		return s + " point"
	}
	return s + " points"
}
