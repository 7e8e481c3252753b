package submissions

import (
	"fmt"
	"strings"
)

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

// ParseError is a syntax error in a .redis file. Line and Col are 1-based;
// Col is a byte offset within the line (a leading byte-order mark does not
// count).
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error reads like "step1.redis:3:12: unbalanced double quote".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ParseErrors is every syntax error found in one file, in line order.
type ParseErrors []*ParseError

// Error joins the errors with newlines.
func (es ParseErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.As find the individual *ParseError values.
func (es ParseErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}
