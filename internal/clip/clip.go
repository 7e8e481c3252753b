// Package clip shortens text for messages without cutting a UTF-8
// character in two: student text reaches reports, terminals and LMSs, and a
// broken character there is a replacement sign or an invalid document.
package clip

import "unicode/utf8"

// Prefix is the longest start of s of at most n bytes that does not end
// inside a character.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Text is s cut to at most n bytes, on a character boundary, with "…"
// after the cut; s as it is if it fits.
func Text(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Prefix(s, n) + "…"
}
