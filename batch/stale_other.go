//go:build !unix

package batch

import (
	"errors"
	"os"
)

// Without flock no folder can be proved stale: CleanStale removes none.
func flockNB(*os.File) error { return errors.ErrUnsupported }

func ownedByUs(string) bool { return false }
