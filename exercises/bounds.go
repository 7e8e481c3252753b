package exercises

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// Bounds on a spec's numbers: what the types allow but no exercise means.
// Two steps of 1e308 points make the maximum +Inf, which no report can
// write; a case's timeout of 1ns fails every student.
const (
	// MaxPoints bounds a step's points (an exercise's: MaxPoints a step).
	MaxPoints = 1000
	// MinTimeout and MaxTimeout bound a case's time limit: a round trip
	// takes longer than the first, and --deadline (one minute) ends a
	// grading long before the second.
	MinTimeout = 10 * time.Millisecond
	MaxTimeout = 10 * time.Minute
)

// fileName is what a step's file may be called: a plain name that means
// the same file on every system (no separator of any of them, no leading
// dot, no control or format character), at most 128 bytes.
var fileName = regexp.MustCompile(`^[\p{L}\p{N}_][\p{L}\p{N}._-]{0,127}$`)

// windowsDevices are names Windows gives to devices whatever the folder
// or extension (con.redis is the console).
var windowsDevices = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)`)

// validateBounds reports numbers past their bounds and file names that are
// path tricks, each where it stands.
func validateBounds(d *yamlstrict.Decoder, ex *Exercise) {
	if ex.Points < 0 || ex.Points > float64(MaxPoints*max(1, len(ex.Steps))) {
		d.ErrorAt(ex.Pos, "points %g: an exercise is worth from 0 to %d a step", ex.Points, MaxPoints)
	}
	checkTimeout(d, ex.Pos, "the exercise's timeout", ex.Timeout)
	for i := range ex.Steps {
		s := &ex.Steps[i]
		label := fmt.Sprintf("step %d", i+1)
		if s.Points > MaxPoints {
			d.ErrorAt(s.Pos, "%s: points %g: a step is worth at most %d", label, s.Points, MaxPoints)
		}
		checkTimeout(d, s.Pos, label+": timeout", s.Timeout)
		// validate reports an empty name and one with folders.
		if s.File != "" && path.Base(s.File) == s.File {
			checkFileName(d, s.Pos, label, s.File)
		}
	}
}

func checkTimeout(d *yamlstrict.Decoder, p yamlstrict.Pos, what string, t time.Duration) {
	if t != 0 && (t < MinTimeout || t > MaxTimeout) {
		d.ErrorAt(p, "%s %s: a case's time limit is from %s to %s", what, t, MinTimeout, MaxTimeout)
	}
}

func checkFileName(d *yamlstrict.Decoder, p yamlstrict.Pos, label, name string) {
	switch {
	case strings.Contains(name, `\`):
		d.ErrorAt(p, `%s: file %q holds a backslash, a folder separator on Windows: a step's file is a plain name`, label, name)
	case windowsDevices.MatchString(name):
		d.ErrorAt(p, "%s: file %q is a device on Windows, whatever its extension: choose another name", label, name)
	case !fileName.MatchString(name):
		d.ErrorAt(p, "%s: file %q must be a plain name: letters, digits, '.', '_' and '-', not starting with a dot, at most 128 bytes", label, name)
	}
}
