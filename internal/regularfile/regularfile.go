// Package regularfile reads the files redisgrade is pointed at (specs,
// imported pages, a workspace's state and step files) the way batch reads a
// submission's: regular files only, never more than a bound. A named pipe
// would block the read for ever, /dev/zero would fill the memory (its size
// reads 0), and a symlink in a student's folder may point anywhere; they are
// not read, and the error says what they are.
package regularfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/redisgrade/redisgrade/internal/words"
)

// NotRegularError is a path that is not a regular file: it is not read.
type NotRegularError struct {
	Path string
	Kind string // "a named pipe", "a symlink", "a folder", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file: not read", e.Path, e.Kind)
}

// TooLargeError is a regular file over the bound: it is not read.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is over %s (the limit): not read", e.Path, words.Bytes(e.Max))
}

// Read reads the regular file at path, at most max bytes. A symlink the
// caller named is followed (the user chose it), but what it points to must
// be a regular file too.
func Read(path string, max int64) ([]byte, error) { return read(path, max, true) }

// ReadNoFollow reads the regular file at path, at most max bytes, without
// following a symlink: for files inside a folder a student works in, where
// a link could point out of the folder.
func ReadNoFollow(path string, max int64) ([]byte, error) { return read(path, max, false) }

func read(path string, max int64, follow bool) ([]byte, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	info, err := stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Kind: Kind(info.Mode())}
	}
	if info.Size() > max {
		return nil, &TooLargeError{Path: path, Max: max}
	}
	// Opened so that nothing can block (a file swapped for a named pipe
	// since the stat), then checked again: the file read is the one seen.
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags(follow), 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !opened.Mode().IsRegular() || !os.SameFile(info, opened) {
		return nil, &NotRegularError{Path: path, Kind: "changed while it was opened"}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &TooLargeError{Path: path, Max: max}
	}
	return data, nil
}

// Kind names what a file mode is, for messages: "a symlink", "a named
// pipe", "a folder", ...
func Kind(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "a regular file"
	case mode.IsDir():
		return "a folder"
	case mode&fs.ModeSymlink != 0:
		return "a symlink"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
