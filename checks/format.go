package checks

import (
	"fmt"
	"strconv"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// times renders a count: "once", "2 times", "no times".
func times(n int64) string {
	switch n {
	case 0:
		return "0 times"
	case 1:
		return "once"
	}
	return strconv.FormatInt(n, 10) + " times"
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
