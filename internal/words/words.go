// Package words writes counts and numbers the way people say them: "1 problem",
// "2 problems", "1 point", "1.5 points", "12,345".
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

// Thousands renders 12345 as 12,345.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// Number renders a score or a count as people write it: 4, 2.5, 0.125 (no
// exponent, no trailing zeros).
func Number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Bytes writes a byte count as the flags give it: "8 MiB" for whole MiB,
// else "1,000 bytes".
func Bytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return Thousands(n>>20) + " MiB"
	}
	return Thousands(n) + " bytes"
}
