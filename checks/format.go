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
