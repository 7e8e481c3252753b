package submissions

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/redisgrade/redisgrade/internal/position"
)

// cmd builds an expected Command.
func cmd(line int, args ...string) Command {
	return Command{Line: line, Args: args}
}

// showCommands renders commands with quoted args for failure messages.
func showCommands(cmds []Command) string {
	parts := make([]string, len(cmds))
	for i, c := range cmds {
		parts[i] = fmt.Sprintf("%d:%q", c.Line, c.Args)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// repeated builds n copies of the same expected Command.
func repeated(n, line int, args ...string) []Command {
	out := make([]Command, n)
	for i := range out {
		out[i] = cmd(line, args...)
	}
	return out
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Command
	}{
		{"simple", "SET a b", []Command{cmd(1, "SET", "a", "b")}},
		{"several lines", "SET a 1\nINCR a\nGET a\n", []Command{cmd(1, "SET", "a", "1"), cmd(2, "INCR", "a"), cmd(3, "GET", "a")}},
		{"tabs and extra spaces", "\t SET\ta  \t b \t", []Command{cmd(1, "SET", "a", "b")}},
		{"leading vertical tab and form feed are blank", "\v\fPING", []Command{cmd(1, "PING")}},
		{"vertical tab inside a word is not a separator", "SET\va b", []Command{cmd(1, "SET\va", "b")}},
		{"control escapes", `ECHO "a\nb\rc\td\be\af"`, []Command{cmd(1, "ECHO", "a\nb\rc\td\be\af")}},
		{"hex escapes", `ECHO "\x41\x6a\x00\xFF\xfe"`, []Command{cmd(1, "ECHO", "Aj\x00\xff\xfe")}},
		{"hex escape needs two hex digits", `ECHO "\xZZ" "\x4" "\x"`, []Command{cmd(1, "ECHO", "xZZ", "x4", "x")}},
		{"other escapes give the character", `ECHO "\q\\\"\'\ "`, []Command{cmd(1, "ECHO", `q\"' `)}},
		{"single quote inside double quotes", `ECHO "it's"`, []Command{cmd(1, "ECHO", "it's")}},
		{"double quote inside single quotes", `ECHO 'say "hi"'`, []Command{cmd(1, "ECHO", `say "hi"`)}},
		{"mid-token double quote", `SET foo"bar baz" x`, []Command{cmd(1, "SET", "foobar baz", "x")}},
		{"mid-token single quote", `SET a'b c' x`, []Command{cmd(1, "SET", "ab c", "x")}},
		{"empty quoted args", `SET k "" ''`, []Command{cmd(1, "SET", "k", "", "")}},
		{"single-quote escape", `ECHO 'it\'s'`, []Command{cmd(1, "ECHO", "it's")}},
		{"single quotes keep other backslashes", `ECHO 'a\nb\\c\x41'`, []Command{cmd(1, "ECHO", `a\nb\\c\x41`)}},
		{"closing quote then vertical tab is fine", "ECHO \"a\"\vb", []Command{cmd(1, "ECHO", "a", "b")}},
		{"closing quote then tab", "ECHO 'a'\tb", []Command{cmd(1, "ECHO", "a", "b")}},
		{"hash inside a line is an argument", "SET a #b", []Command{cmd(1, "SET", "a", "#b")}},
		{"comments and blank lines", "# setup\n\n   # indented comment\n\t\nPING\n", []Command{cmd(5, "PING")}},
		{"CRLF", "SET a b\r\nGET a\r\n", []Command{cmd(1, "SET", "a", "b"), cmd(2, "GET", "a")}},
		{"CRLF after a closing quote", "SET a \"b c\"\r\n", []Command{cmd(1, "SET", "a", "b c")}},
		{"lone CR is a separator, not a line end", "SET a b\rGET a", []Command{cmd(1, "SET", "a", "b", "GET", "a")}},
		{"BOM", "\uFEFFSET a b\nGET a", []Command{cmd(1, "SET", "a", "b"), cmd(2, "GET", "a")}},
		{"NUL ends the line as in C", "SET a\x00 b \"\nGET a", []Command{cmd(1, "SET", "a"), cmd(2, "GET", "a")}},
		{"repeat", "3 INCR x", repeated(3, 1, "INCR", "x")},
		{"repeat keeps line numbers", "PING\n2 INCR x\nGET x", append(append([]Command{cmd(1, "PING")}, repeated(2, 2, "INCR", "x")...), cmd(3, "GET", "x"))},
		{"repeat with plus sign", "+2 PING", repeated(2, 1, "PING")},
		{"repeat with leading zeros", "002 PING", repeated(2, 1, "PING")},
		{"quoted repeat count", `"2" PING`, repeated(2, 1, "PING")},
		{"strtol skips leading blanks", `" 2" PING`, repeated(2, 1, "PING")},
		{"trailing blank is not a count", `"2 " PING`, []Command{cmd(1, "2 ", "PING")}},
		{"NUL ends a count as in C", `"2\x00junk" PING`, repeated(2, 1, "PING")},
		{"repeat at the limit", "10000 PING", repeated(10000, 1, "PING")},
		{"number alone is a command", "3", []Command{cmd(1, "3")}},
		{"hex-looking number is a command", "0x10 PING", []Command{cmd(1, "0x10", "PING")}},
		{"digits then letters is a command", "3abc x", []Command{cmd(1, "3abc", "x")}},
		{"sign alone is a command", "+ x", []Command{cmd(1, "+", "x")}},
		{"nothing", "", nil},
		{"only comments", "# a\n# b\n", nil},
		{"exactly 10000 commands", "5000 PING\n5000 PING", append(repeated(5000, 1, "PING"), repeated(5000, 2, "PING")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommands("f.redis", tt.text)
			if err != nil {
				t.Fatalf("ParseCommands(%q) error: %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				if len(got) > 10 || len(tt.want) > 10 {
					t.Fatalf("ParseCommands(%q): got %d commands, want %d", tt.text, len(got), len(tt.want))
				}
				t.Fatalf("ParseCommands(%q)\n got %s\nwant %s", tt.text, showCommands(got), showCommands(tt.want))
			}
		})
	}
}

func TestParseCommandsErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // the whole error text
	}{
		{"unbalanced double quote", `SET k "abc`, "f.redis:1:7: unbalanced double quote"},
		{"unbalanced single quote", `SET k 'abc`, "f.redis:1:7: unbalanced single quote"},
		{"unbalanced mid-token quote", `SET foo"bar`, "f.redis:1:8: unbalanced double quote"},
		{"escaped closing quote leaves it open", `SET k "abc\"`, "f.redis:1:7: unbalanced double quote"},
		{"backslash at end leaves it open", `SET k "abc\`, "f.redis:1:7: unbalanced double quote"},
		{"single-quote escape leaves it open", `SET k 'abc\'`, "f.redis:1:7: unbalanced single quote"},
		{"quote left open before CRLF", "SET k \"abc\r\n", "f.redis:1:7: unbalanced double quote"},
		{"closing double quote followed by a letter", `SET k "a"b`, "f.redis:1:10: closing quote must be followed by a space"},
		{"closing single quote followed by a letter", `SET k 'a'b`, "f.redis:1:10: closing quote must be followed by a space: a single-quoted argument ends at the next ', so a script with ' inside needs double quotes outside: EVAL \"redis.call('DECR', 'stock')\" 0"},
		{"nested single quotes", `EVAL 'redis.call('DECR', 'stock')' 0`, `f.redis:1:19: closing quote must be followed by a space: a single-quoted argument ends at the next ', so a script with ' inside needs double quotes outside: EVAL "redis.call('DECR', 'stock')" 0`},
		{"closing quote followed by another quote", `SET k "a""b"`, "f.redis:1:10: closing quote must be followed by a space"},
		{"columns count after a BOM", "\uFEFFSET k \"a", "f.redis:1:7: unbalanced double quote"},
		{"zero repeat", "0 INCR x", "f.redis:1:1: repeat count 0 is not a positive number (redis-cli rejects it)"},
		{"negative repeat", "  -1 INCR x", "f.redis:1:3: repeat count -1 is not a positive number (redis-cli rejects it)"},
		{"empty repeat", `"" INCR x`, `f.redis:1:1: repeat count "" is not a positive number (redis-cli rejects it)`},
		{"repeat over the limit", "99999 INCR x", "f.redis:1:1: repeat count 99999 is over the limit of 10000"},
		{"repeat just over the limit", "10001 PING", "f.redis:1:1: repeat count 10001 is over the limit of 10000"},
		{"repeat over a C long", "99999999999999999999 PING", "f.redis:1:1: repeat count 99999999999999999999 is over the limit of 10000"},
		{"negative repeat under a C long", "-99999999999999999999 PING", "f.redis:1:1: repeat count -99999999999999999999 is not a positive number (redis-cli rejects it)"},
		{"long count is shortened", strings.Repeat("9", 50) + " PING", "f.redis:1:1: repeat count " + strings.Repeat("9", 40) + "... is over the limit of 10000"},
		{"too many commands", "5000 PING\n5000 PING\n  GET x", "f.redis:3:3: too many commands: the limit is 10000 per file"},
		{"too many arguments", "10000 ECHO" + strings.Repeat(" a", 110), "f.redis:1:1: too many arguments: the limit is 1048576 per file"},
		{
			"several errors at once",
			"PING\n  SET \"a\nGET 'b'c\n0 PING\nSET a b\n\tECHO x\"y",
			"f.redis:2:7: unbalanced double quote\n" +
				"f.redis:3:8: closing quote must be followed by a space: a single-quoted argument ends at the next ', so a script with ' inside needs double quotes outside: EVAL \"redis.call('DECR', 'stock')\" 0\n" +
				"f.redis:4:1: repeat count 0 is not a positive number (redis-cli rejects it)\n" +
				"f.redis:6:8: unbalanced double quote",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommands("f.redis", tt.text)
			if err == nil {
				t.Fatalf("ParseCommands(%q) = %d commands, want error %q", tt.text, len(got), tt.want)
			}
			if got != nil {
				t.Errorf("ParseCommands(%q) returned commands with an error", tt.text)
			}
			if err.Error() != tt.want {
				t.Fatalf("ParseCommands(%q) error\n got %q\nwant %q", tt.text, err.Error(), tt.want)
			}
			var pes ParseErrors
			if !errors.As(err, &pes) {
				t.Fatalf("error is %T, want ParseErrors", err)
			}
			if n := strings.Count(tt.want, "\n") + 1; len(pes) != n {
				t.Fatalf("got %d ParseErrors, want %d", len(pes), n)
			}
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	_, err := ParseCommands("step1.redis", "PING\nPING\nSET k 'v")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("errors.As(*ParseError) failed on %v", err)
	}
	want := ParseError{File: "step1.redis", Line: 3, Col: 7, Msg: "unbalanced single quote", Source: "SET k 'v"}
	if *pe != want {
		t.Fatalf("got %+v, want %+v", *pe, want)
	}
}

// A parse error shows the student the line and where on it (in characters,
// not bytes: a name before the quote may be in any script).
func TestParseErrorShowsTheLine(t *testing.T) {
	_, err := ParseCommands("step3.redis", "SET stock 100\nSET 名前 \"x\r\n\tEVAL 'a'b 0\n")
	want := "step3.redis:2:8: unbalanced double quote\n" +
		"    SET 名前 \"x\n" +
		"             ^\n" +
		"step3.redis:3:10: closing quote must be followed by a space: a single-quoted argument ends at the next ', so a script with ' inside needs double quotes outside: EVAL \"redis.call('DECR', 'stock')\" 0\n" +
		"    \tEVAL 'a'b 0\n" +
		"    \t        ^"
	if got := position.Explain(err); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseCommandsStopsAfterManyErrors(t *testing.T) {
	text := strings.Repeat("SET k \"v\n", 150)
	_, err := ParseCommands("f.redis", text)
	var pes ParseErrors
	if !errors.As(err, &pes) {
		t.Fatalf("got %v, want ParseErrors", err)
	}
	if len(pes) != maxErrors {
		t.Fatalf("got %d errors, want %d", len(pes), maxErrors)
	}
	if last := pes[len(pes)-1]; last.Line != maxErrors {
		t.Fatalf("last error on line %d, want %d", last.Line, maxErrors)
	}
}

func TestCommandName(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "k"}, "GET"},
		{[]string{"hGetAll"}, "HGETALL"},
		{[]string{"sét"}, "SéT"},       // only ASCII letters change
		{[]string{"a\xffb"}, "A\xffB"}, // invalid UTF-8 is kept, not replaced
		{nil, ""},
	}
	for _, tt := range tests {
		if got := (Command{Args: tt.args}).Name(); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// quoteHex quotes s in double quotes with every byte as a \xHH escape.
func quoteHex(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\x%02x`, s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// quoteRepr quotes s the way redis's sdscatrepr does, which sdssplitargs
// is meant to read back.
func quoteRepr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// roundTrip quotes args after a fixed command name (so a numeric first
// argument is not a repeat count) and checks that parsing gives them back.
func roundTrip(t *testing.T, quote func(string) string, args []string) {
	t.Helper()
	line := "CMD"
	for _, a := range args {
		line += " " + quote(a)
	}
	got, err := ParseCommands("f.redis", line)
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	want := []Command{{Line: 1, Args: append([]string{"CMD"}, args...)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parse %q\n got %s\nwant %s", line, showCommands(got), showCommands(want))
	}
}

func TestRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	argLists := [][]string{
		{"", "a b", `"quoted"`, `it's`, `back\slash`, "tab\tnew\nline\r"},
		{string(all)},
		{"\x00", "\xff\xfe", "héllo wörld", "#not a comment"},
		{"3", "INCR", "x"},
	}
	for _, args := range argLists {
		roundTrip(t, quoteHex, args)
		roundTrip(t, quoteRepr, args)
	}
}

// redis-cli handles some lines itself and never sends them (repl() in
// redis-cli.c): the same words, compared as strcasecmp does, on the first
// word before any repeat count is taken off (but after it, for help).
func TestParseLocalCommands(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		sent   []Command
		locals []Local
	}{
		{"quit stops the file", "SET stock 100\nquit\nSET sales 0\n\n# done\nGET x\n",
			[]Command{cmd(1, "SET", "stock", "100")}, []Local{{Line: 2, Name: "quit", Stops: true, After: 6}}},
		{"QUIT in any case, with arguments", "QuIt now\nSET a 1", nil, []Local{{Line: 1, Name: "QuIt", Stops: true, After: 2}}},
		{"exit", "exit\n", nil, []Local{{Line: 1, Name: "exit", Stops: true}}},
		{"lines after quit are not parsed", "quit\nSET \"open\n", nil, []Local{{Line: 1, Name: "quit", Stops: true, After: 2}}},
		{"a repeat count makes quit a command", "2 quit", repeated(2, 1, "quit"), nil},
		{"help and ? with anything after them", "help\nHELP SET\n?\nPING", []Command{cmd(4, "PING")},
			[]Local{{Line: 1, Name: "help"}, {Line: 2, Name: "HELP"}, {Line: 3, Name: "?"}}},
		{"help after a repeat count", "3 help", nil, []Local{{Line: 1, Name: "help"}}},
		{"preferences", ":set hints\n:anything\n\":set\" x", nil,
			[]Local{{Line: 1, Name: ":set"}, {Line: 2, Name: ":anything"}, {Line: 3, Name: ":set"}}},
		{"a preference after a repeat count is sent", "2 :set hints", repeated(2, 1, ":set", "hints"), nil},
		{"restart, with or without arguments", "restart\nRESTART x", nil, []Local{{Line: 1, Name: "restart"}, {Line: 2, Name: "RESTART"}}},
		{"clear alone", "clear\nclear all", []Command{cmd(2, "clear", "all")}, []Local{{Line: 1, Name: "clear"}}},
		{"connect with a host and port", "connect h 1\nSET a 1", nil, []Local{{Line: 1, Name: "connect", Stops: true, After: 2}}},
		{"connect otherwise is sent", "connect h", []Command{cmd(1, "connect", "h")}, nil},
		{"only ASCII letters fold", "reſtart\nqui\u0074", []Command{cmd(1, "reſtart")}, []Local{{Line: 2, Name: "quit", Stops: true}}},
	}
	for _, tt := range tests {
		p, err := Parse("step1.redis", tt.text)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(p.Commands, tt.sent) {
			t.Errorf("%s: sent %s, want %s", tt.name, showCommands(p.Commands), showCommands(tt.sent))
		}
		if !reflect.DeepEqual(p.Local, tt.locals) {
			t.Errorf("%s: local %+v, want %+v", tt.name, p.Local, tt.locals)
		}
	}
}

func TestLocalNote(t *testing.T) {
	for l, want := range map[Local]string{
		{Line: 2, Name: "quit", Stops: true, After: 4}:    "quit on line 2: redis-cli stops there, so lines 3-4 never ran",
		{Line: 2, Name: "EXIT", Stops: true, After: 3}:    "EXIT on line 2: redis-cli stops there, so line 3 never ran",
		{Line: 2, Name: "quit", Stops: true}:              "quit on line 2: redis-cli stops there",
		{Line: 1, Name: "connect", Stops: true, After: 5}: "connect on line 1: redis-cli connects to another server there, so lines 2-5 never ran",
		{Line: 3, Name: "help"}:                           "help on line 3 is redis-cli's own help: it is never sent to Redis",
		{Line: 3, Name: ":set"}:                           ":set on line 3 sets a redis-cli preference: it is never sent to Redis",
	} {
		if got := l.Note(); got != want {
			t.Errorf("%+v: %q, want %q", l, got, want)
		}
	}
}
