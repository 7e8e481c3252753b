package grader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisgrade/redisgrade/internal/words"
)

// Bounds on one reply to the student's commands, as it arrives. go-redis
// builds a whole reply in memory, and allocates each array and bulk string
// at the size its header announces: one 15.6 MB reply of 3.9 million
// integers (under Redis's 16 MiB output limit) cost about 540 MB of grader
// heap. The link reads RESP headers before go-redis sees them and stops a
// reply that passes either bound; the step fails "reply too large".
const (
	MaxReplyBytes    = 1 << 20 // bytes of one reply on the wire
	MaxReplyElements = 100000  // array elements of one reply, nested ones included
)

// MaxKeptReplies bounds the replies the grader keeps of one case's commands
// (for the reply and no-errors checks), in memory (checks.Value.Size): a
// file of 10,000 commands of 1 MiB each would otherwise keep 10 GB.
const MaxKeptReplies = 8 << 20

// errRepliesTooLarge is the student's failure: replies past MaxKeptReplies.
var errRepliesTooLarge = fmt.Errorf("replies too large: the grader keeps at most %s bytes of one case's replies",
	words.Thousands(MaxKeptReplies))

// errReplyTooLarge is the student's failure: a reply past the bounds above.
var errReplyTooLarge = fmt.Errorf("reply too large: the grader reads at most %s bytes and %s elements of one reply",
	words.Thousands(MaxReplyBytes), words.Thousands(MaxReplyElements))

// errConnClosed is what a student's command gets once the server closed
// their connection (QUIT, a timeout, the output limit): the grader never
// dials again in the middle of a file. A new connection would run the rest
// of the file in another state (no MULTI, database 0) and, depending on
// timing, sometimes before the close was seen: verdicts that differ from run
// to run.
var errConnClosed = errors.New("the connection to the server was closed, and the grader does not reconnect in the middle of a file")

// studentLink is the single network connection behind one student client:
// it refuses a second dial, ends the client once the connection closed, and
// bounds every reply.
type studentLink struct {
	limit atomic.Int64 // nanoseconds each read and write may take; 0: no limit

	mu      sync.Mutex
	dialed  bool
	closed  bool // the server closed it (QUIT, a read that failed) or go-redis did
	scanner respScanner
}

// dialer wraps next (nil: a plain dial) so that it dials once.
func (l *studentLink) dialer(next func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if next == nil {
		var d net.Dialer
		next = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		l.mu.Lock()
		again := l.dialed
		l.dialed = true
		l.mu.Unlock()
		if again {
			return nil, errConnClosed
		}
		c, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &boundedConn{Conn: c, link: l}, nil
	}
}

func (l *studentLink) setLimit(d time.Duration) { l.limit.Store(int64(d)) }

// within clamps a deadline go-redis sets (from the context, or none) to the
// link's limit from now.
func (l *studentLink) within(t time.Time) time.Time {
	d := time.Duration(l.limit.Load())
	if d <= 0 {
		return t
	}
	if limit := time.Now().Add(d); t.IsZero() || limit.Before(t) {
		return limit
	}
	return t
}

// gone reports whether the connection has closed: a client whose link is
// gone can run nothing more.
func (l *studentLink) gone() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *studentLink) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

// The link is also a go-redis hook: a command after the connection closed
// fails at once, without touching the network, and a QUIT that was answered
// closes the link. Redis closes the connection right after QUIT's +OK; when
// the next command is written a moment later, the close may or may not have
// arrived yet, so only this makes the verdict the same on every run.
func (l *studentLink) DialHook(next redis.DialHook) redis.DialHook { return next }

func (l *studentLink) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return l.process(ctx, []redis.Cmder{cmd}, func() error { return next(ctx, cmd) })
	}
}

func (l *studentLink) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return l.process(ctx, cmds, func() error { return next(ctx, cmds) })
	}
}

func (l *studentLink) process(_ context.Context, cmds []redis.Cmder, run func() error) error {
	if l.gone() {
		for _, cmd := range cmds {
			cmd.SetErr(errConnClosed)
		}
		return errConnClosed
	}
	err := run()
	for _, cmd := range cmds {
		if cmd.Name() == "quit" && cmd.Err() == nil {
			l.close()
		}
	}
	return err
}

type boundedConn struct {
	net.Conn
	link *studentLink
}

// Read hands go-redis only bytes whose headers are within bounds.
func (c *boundedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.link.mu.Lock()
	defer c.link.mu.Unlock()
	if scanErr := c.link.scanner.scan(p[:n]); scanErr != nil {
		c.link.closed = true
		return 0, scanErr
	}
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
		c.link.closed = true // EOF, reset: the server is gone from this connection
	}
	return n, err
}

func (c *boundedConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.link.within(t))
}

func (c *boundedConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.link.within(t))
}

func (c *boundedConn) SetDeadline(t time.Time) error {
	return c.Conn.SetDeadline(c.link.within(t))
}

func (c *boundedConn) Close() error {
	c.link.close()
	return c.Conn.Close()
}

// respScanner follows RESP framing byte by byte and bounds each top-level
// reply: its bytes, and the elements its array headers announce (go-redis
// allocates them before it reads them). The grader's own reads that follow
// a student's command in a pipeline are replies of their own, each far
// smaller (checks.MaxStringRead).
type respScanner struct {
	bytes, elements int64   // of the current top-level reply
	open            []int64 // elements still to come in each open array
	skip            int64   // bytes of a bulk string's body (and CRLF) still to come
	inLine          bool    // inside a line, after its type byte
	kind            byte    // the line's type byte
	digits          []byte  // the start of the line, for a length
}

func (s *respScanner) scan(p []byte) error {
	for i := 0; i < len(p); {
		if s.skip > 0 {
			n := min(s.skip, int64(len(p)-i))
			s.skip -= n
			s.bytes += n
			i += int(n)
			if s.skip == 0 {
				s.done()
			}
			if s.bytes > MaxReplyBytes {
				return errReplyTooLarge
			}
			continue
		}
		b := p[i]
		i++
		if !s.inLine && len(s.open) == 0 {
			s.bytes, s.elements = 0, 0 // a new reply
		}
		s.bytes++
		if s.bytes > MaxReplyBytes {
			return errReplyTooLarge
		}
		if !s.inLine {
			s.inLine, s.kind, s.digits = true, b, s.digits[:0]
			continue
		}
		if b != '\n' {
			if len(s.digits) < 24 {
				s.digits = append(s.digits, b)
			}
			continue
		}
		s.inLine = false
		if err := s.header(); err != nil {
			return err
		}
	}
	return nil
}

// header acts on a complete line: an array opens, a bulk string's body
// follows, anything else is a whole element.
func (s *respScanner) header() error {
	n, err := strconv.ParseInt(string(trimCR(s.digits)), 10, 64)
	switch s.kind {
	case '*', '~', '>', '%': // RESP2 arrays; RESP3 sets, pushes, maps
		if s.kind == '%' {
			n *= 2
		}
		if err != nil || n <= 0 {
			break // empty, nil, or not a length
		}
		if s.elements += n; s.elements > MaxReplyElements {
			return errReplyTooLarge
		}
		s.open = append(s.open, n)
		return nil
	case '$', '=', '!': // bulk strings, verbatim strings, bulk errors
		if err != nil || n < 0 {
			break
		}
		if n > MaxReplyBytes {
			return errReplyTooLarge
		}
		s.skip = n + 2
		return nil
	}
	s.done()
	return nil
}

// done closes one element, and the arrays it completes.
func (s *respScanner) done() {
	for len(s.open) > 0 {
		top := len(s.open) - 1
		if s.open[top]--; s.open[top] > 0 {
			return
		}
		s.open = s.open[:top]
	}
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
