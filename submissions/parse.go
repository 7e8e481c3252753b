package submissions

import (
	"fmt"
	"strings"

	"github.com/redisgrade/redisgrade/internal/position"
)

// Limits for ParseCommands. Repeats are capped because a student line like
// "99999999 INCR x" must not turn into millions of commands; the argument
// cap bounds memory when a long line is repeated.
const (
	maxRepeat    = 10000
	maxCommands  = 10000
	maxArgs      = 1 << 20
	maxErrors    = 100
	maxQuotedRaw = 40 // how much of a bad repeat count an error message quotes
	utf8BOM      = "\uFEFF"
)

// Command is one command line of a .redis file, split as redis-cli splits it.
type Command struct {
	Line int      // 1-based line number in the file
	Args []string // Args[0] is the command name as written
}

// Any returns Args as go-redis takes a command's arguments.
func (c Command) Any() []any {
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		args[i] = a
	}
	return args
}

// Name returns Args[0] upper-cased. Only ASCII letters change, as Redis
// compares command names with strcasecmp; other bytes are kept as they are.
func (c Command) Name() string {
	if len(c.Args) == 0 {
		return ""
	}
	b := []byte(c.Args[0])
	for i, ch := range b {
		if 'a' <= ch && ch <= 'z' {
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}

// ParseCommands splits a .redis file into commands the way redis-cli does
// when the file is piped into it (`redis-cli < file`): every line goes
// through sdssplitargs (src/sds.c) and then the repl's repeat handling
// (src/redis-cli.c):
//
//   - Outside quotes, arguments are separated by ' ', '\t', '\r' and '\n';
//     leading blanks (C isspace, so also '\v' and '\f') are skipped.
//   - A '"' anywhere in an unquoted argument starts a double-quoted part, so
//     `foo"bar baz"` is the single argument "foobar baz". Inside it, \xHH
//     (two hex digits) is that byte, \n \r \t \b \a are control characters
//     and a backslash before any other character yields that character.
//   - A single quote (') starts a single-quoted part in which only \' is an
//     escape.
//   - A closing quote must be followed by blank space or the end of the line,
//     and a quote left open at the end of the line is an error.
//   - If a line has more than one argument and the first one is a number as
//     C strtol reads it (optional leading blanks and sign, decimal digits,
//     nothing after), the rest of the line is sent that many times; every
//     copy has the same Line. redis-cli rejects a count that is zero,
//     negative, out of range for a long, or the empty string (strtol reads
//     "" as 0): it prints "Invalid redis-cli repeat command option value."
//     and skips the line. Here that is a ParseError, and so is a count over
//     10000.
//   - A NUL byte ends the line, since redis-cli works on C strings.
//
// Lines redis-cli handles itself (quit, help, ... see Local) are not
// commands; after quit, exit or connect nothing more is read.
//
// Beyond redis-cli: a line whose first non-blank character is '#' is a
// comment, blank lines are skipped, CRLF line ends and a leading UTF-8
// byte-order mark are accepted, and a file may hold at most 10000 commands
// (counting repeats) and 1<<20 arguments in total.
//
// It returns every command, or a ParseErrors with the errors of all bad lines
// (parsing stops after 100 errors).
func ParseCommands(file, text string) ([]Command, error) {
	p, err := Parse(file, text)
	if err != nil {
		return nil, err
	}
	return p.Commands, nil
}

// Parsed is a .redis file as redis-cli runs it: the commands it sends, and
// the lines it handles itself.
type Parsed struct {
	Commands []Command
	Local    []Local // in file order; a Local that Stops is the last
}

// Local is a line redis-cli handles itself and never sends to the server
// (repl() in src/redis-cli.c), compared as redis-cli does, with strcasecmp
// on the line's first word, before any repeat count is taken off:
//
//   - `quit` or `exit`, whatever follows: redis-cli exits, so no later line
//     runs;
//   - `connect HOST PORT` (exactly 3 words): it connects to another server,
//     so no later line reaches this one;
//   - a first word starting with ':' (`:set hints`): a redis-cli preference;
//   - `restart`: only for the Lua debugger, otherwise a message;
//   - `clear` alone: clears the screen;
//   - `help` or `?`, also after a repeat count (`3 help`): redis-cli's help.
//
// So `2 quit` is sent (the first word is the count) and `clear x` too.
type Local struct {
	Line  int
	Name  string // the word as written: "quit", "HELP", ":set"
	Stops bool   // quit, exit, connect: nothing after it runs
	// After is the number of the last line after a Stop that holds
	// anything but blank space and comments (0: none): lines Line+1 to
	// After never ran.
	After int
}

// Note says, for the student, what redis-cli does with the line:
// "quit on line 2: redis-cli stops there, so lines 3-4 never ran".
func (l Local) Note() string {
	at := fmt.Sprintf("%s on line %d", l.Name, l.Line)
	lower := strings.ToLower(l.Name) // ASCII only: Name matched strcaseEqual
	switch {
	case l.Stops:
		rest := "redis-cli stops there"
		if lower == "connect" {
			rest = "redis-cli connects to another server there"
		}
		switch {
		case l.After == l.Line+1:
			return fmt.Sprintf("%s: %s, so line %d never ran", at, rest, l.After)
		case l.After > l.Line:
			return fmt.Sprintf("%s: %s, so lines %d-%d never ran", at, rest, l.Line+1, l.After)
		}
		return at + ": " + rest
	case lower == "help" || lower == "?":
		return at + " is redis-cli's own help: it is never sent to Redis"
	case strings.HasPrefix(l.Name, ":"):
		return at + " sets a redis-cli preference: it is never sent to Redis"
	case lower == "restart":
		return at + " is redis-cli's own command (for its Lua debugger): it is never sent to Redis"
	}
	return at + " is redis-cli's own command (it clears the screen): it is never sent to Redis"
}

// local tells whether redis-cli's repl handles the split line itself.
// counted says the first word was taken as a repeat count.
func local(args []string, counted bool) (name string, stops, ok bool) {
	first := args[0]
	switch {
	case strcaseEqual(first, "quit"), strcaseEqual(first, "exit"):
		return first, true, true
	case strings.HasPrefix(first, ":"):
		return first, false, true
	case strcaseEqual(first, "restart"):
		return first, false, true
	case len(args) == 3 && strcaseEqual(first, "connect"):
		return first, true, true
	case len(args) == 1 && strcaseEqual(first, "clear"):
		return first, false, true
	}
	// issueCommandRepeat looks at the command after the repeat count.
	cmd := first
	if counted {
		cmd = args[1]
	}
	if strcaseEqual(cmd, "help") || cmd == "?" {
		return cmd, false, true
	}
	return "", false, false
}

// strcaseEqual is C strcasecmp(a, b) == 0: only ASCII letters fold (Go's
// strings.EqualFold would also take "ſ" for "s").
func strcaseEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Parse splits a .redis file as ParseCommands does, and also returns the
// lines redis-cli handles itself (Local). After a quit, exit or connect no
// line is read: lines there are neither parsed nor sent.
func Parse(file, text string) (*Parsed, error) {
	p := &fileParser{file: file}
	lineNo := 0
	for line := range strings.Lines(strings.TrimPrefix(text, utf8BOM)) {
		lineNo++
		if p.line(lineNo, line) {
			break
		}
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return &Parsed{Commands: p.cmds, Local: p.locals}, nil
}

// fileParser is what Parse knows of a file so far.
type fileParser struct {
	file      string
	locals    []Local
	stopped   *Local // the quit, exit or connect after which nothing runs
	cmds      []Command
	errs      ParseErrors
	nCmds     int // counting repeats, for the file's limits
	nArgs     int
	overLimit bool // a limit was passed: later lines add no more errors of it
}

// fail records an error at byte col (from 1) of line number lineNo, and
// says whether there are too many to go on.
func (p *fileParser) fail(lineNo int, line string, col int, msg string) bool {
	p.errs = append(p.errs, &ParseError{File: p.file, Line: lineNo, Col: position.Column(line, col-1), Msg: msg, Source: line})
	return len(p.errs) >= maxErrors
}

// line parses line number lineNo (with its line end), and says whether
// parsing must stop: too many errors.
func (p *fileParser) line(lineNo int, line string) (stop bool) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	if isComment(line) {
		return false
	}
	if p.stopped != nil {
		if strings.TrimLeft(line, " \t\r\n\v\f") != "" {
			p.stopped.After = lineNo
		}
		return false
	}
	toks, col, msg := splitArgs(line)
	if msg != "" {
		return p.fail(lineNo, line, col, msg)
	}
	if len(toks) == 0 {
		return false
	}
	repeat, lineCol := 1, toks[0].col
	counted := false
	if len(toks) > 1 {
		n, isCount, msg := repeatCount(toks[0])
		if msg != "" {
			return p.fail(lineNo, line, lineCol, msg)
		}
		counted = isCount
		if isCount {
			repeat = n
		}
	}
	if p.local(lineNo, toks, counted) {
		return false
	}
	if counted {
		toks = toks[1:]
	}
	return p.add(lineNo, line, lineCol, toks, repeat)
}

// local records the line if redis-cli handles it itself, and says so.
func (p *fileParser) local(lineNo int, toks []token, counted bool) bool {
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.text
	}
	name, stops, ok := local(words, counted)
	if !ok {
		return false
	}
	p.locals = append(p.locals, Local{Line: lineNo, Name: name, Stops: stops})
	if stops {
		p.stopped = &p.locals[len(p.locals)-1]
	}
	return true
}

// add counts the line's command, repeat times, against the file's limits,
// and adds it while the file has no error; it says whether parsing must
// stop.
func (p *fileParser) add(lineNo int, line string, col int, toks []token, repeat int) (stop bool) {
	if p.overLimit {
		return false
	}
	p.nCmds += repeat
	p.nArgs += repeat * len(toks)
	switch {
	case p.nCmds > maxCommands:
		p.overLimit = true
		return p.fail(lineNo, line, col, fmt.Sprintf("too many commands: the limit is %d per file", maxCommands))
	case p.nArgs > maxArgs:
		p.overLimit = true
		return p.fail(lineNo, line, col, fmt.Sprintf("too many arguments: the limit is %d per file", maxArgs))
	}
	if len(p.errs) > 0 {
		return false // only errors are returned now; don't build commands
	}
	for range repeat {
		args := make([]string, len(toks))
		for i, t := range toks {
			args[i] = t.text
		}
		p.cmds = append(p.cmds, Command{Line: lineNo, Args: args})
	}
	return false
}

// isComment reports whether the first non-blank character is '#'.
func isComment(line string) bool {
	for i := 0; i < len(line); i++ {
		if !isSpace(line[i]) {
			return line[i] == '#'
		}
	}
	return false
}

// token is one argument with where it starts (1-based column) and how it
// was written, for error messages.
type token struct {
	text string
	col  int
	raw  string
}

// splitArgs is sdssplitargs. The C code reads a NUL-terminated string, so
// "end of line" here plays the part of '\0'. On a syntax error it returns
// the 1-based column and a message.
func splitArgs(line string) (toks []token, errCol int, errMsg string) {
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return toks, 0, ""
		}
		start, end := p, 0
		var cur strings.Builder
		inq, insq, done := false, false, false
		quote := 0 // where the open quote is, for "unbalanced" errors
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur.WriteByte(unhex(at(p+2))<<4 | unhex(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					cur.WriteByte(unescape(line[p]))
				case c == '"':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return nil, p + 2, "closing quote must be followed by a space"
					}
					done, end = true, p+1
				case c == 0:
					return nil, quote + 1, "unbalanced double quote"
				default:
					cur.WriteByte(c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur.WriteByte('\'')
				case c == '\'':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						// The usual cause: a script in single quotes that has single
						// quotes of its own (EVAL 'redis.call('DECR', ...)' 0).
						return nil, p + 2, "closing quote must be followed by a space: a single-quoted argument ends at the next ', " +
							"so a script with ' inside needs double quotes outside: EVAL \"redis.call('DECR', 'stock')\" 0"
					}
					done, end = true, p+1
				case c == 0:
					return nil, quote + 1, "unbalanced single quote"
				default:
					cur.WriteByte(c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done, end = true, p
				case '"':
					inq, quote = true, p
				case '\'':
					insq, quote = true, p
				default:
					cur.WriteByte(c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		toks = append(toks, token{text: cur.String(), col: start + 1, raw: line[start:end]})
	}
}

// unescape maps the character after a backslash inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// isSpace is C isspace in the C locale.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// repeatCount applies redis-cli's check `repeat = strtol(argv[0], &endptr,
// 10); if (*endptr == '\0') ...` to the first argument. It says whether the
// argument is a repeat count and, if it is one redis-cli would reject or one
// over our cap, returns an error message.
func repeatCount(t token) (n int, isCount bool, errMsg string) {
	s := t.text
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // strtol sees a C string
	}
	v, overflow, ok := strtol(s)
	if !ok {
		return 0, false, ""
	}
	raw := t.raw
	if len(raw) > maxQuotedRaw {
		raw = raw[:maxQuotedRaw] + "..."
	}
	switch {
	case v <= 0:
		return 0, true, fmt.Sprintf("repeat count %s is not a positive number (redis-cli rejects it)", raw)
	case overflow || v > maxRepeat:
		return 0, true, fmt.Sprintf("repeat count %s is over the limit of %d", raw, maxRepeat)
	}
	return int(v), true, ""
}

// strtol parses s like C strtol(s, &end, 10) on a 64-bit long and reports
// whether *end == '\0' afterwards, i.e. whether all of s was used. Without
// any digits strtol leaves end at the start of s, so only "" counts.
func strtol(s string) (v int64, overflow, ok bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits := i
	var u uint64
	const limit = 1 << 63 // |LONG_MIN|; LONG_MAX is one less
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if overflow || u > (limit-d)/10 {
			overflow = true
			continue
		}
		u = u*10 + d
	}
	if i == digits {
		return 0, false, s == ""
	}
	if !neg && u == limit {
		overflow = true
	}
	switch {
	case overflow && neg:
		v = -1 << 63
	case overflow:
		v = 1<<63 - 1
	case neg:
		v = -int64(u)
	default:
		v = int64(u)
	}
	return v, overflow, i == len(s)
}
