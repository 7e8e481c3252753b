package submissions

import "github.com/redisgrade/redisgrade/internal/position"

// Reasons a FileError can carry in its Reason field.
const (
	reasonMissing  = "missing"
	reasonEmpty    = "empty"
	reasonTooLarge = "too large"
	reasonBinary   = "binary"
)

// FileError says why a submission file cannot be used. Error() reads like
// "step1.redis: the file is missing" / "step2.lua: the file is empty" /
// "step3.redis: the file is too large (40.0 MiB; the limit is 1 MiB)" /
// "step4.lua: the file is not text (invalid UTF-8 at byte 17)" (or
// "contains a NUL byte at byte N"). Byte positions count from 1 and refer to
// the file as stored (a byte-order mark counts).
type FileError struct {
	File   string
	Reason string // "missing", "empty", "too large" or "binary"
	Detail string // the human part after the colon
}

func (e *FileError) Error() string {
	return e.File + ": " + e.Detail
}

// ParseError is a syntax error in a .redis file, as the position package
// has it for every file: Error reads "step1.redis:3:12: unbalanced double
// quote", where Line and Col count from 1 and Col counts characters (a
// leading byte-order mark does not count); Explain adds the line and a
// caret under the column.
type ParseError = position.Error

// ParseErrors is every syntax error found in one file, in line order.
type ParseErrors = position.Errors
