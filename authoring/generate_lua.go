package authoring

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/redisgrade/redisgrade/internal/rediscmd"
	"github.com/redisgrade/redisgrade/submissions"
)

// luaPcall is the reference script with redis.pcall for redis.call: the same
// wherever no call fails.
func luaPcall(g *generation) []Answer {
	script := g.script()
	text := mapCalls(script, func(c luaCall) string {
		if c.fn != "call" {
			return c.text
		}
		return strings.Replace(c.text, "call", "pcall", 1)
	})
	if script == "" || text == script {
		return nil
	}
	return []Answer{{Kind: "pcall", MustPass: true, Text: text, What: "the reference with redis.pcall for redis.call"}}
}

// luaReadAgain is the reference script with each read it makes in an
// expression made twice, as a student who does not keep a result in a local
// does: (redis.call('GET', k) and redis.call('GET', k)) is the same value. A
// check that counts reads exactly fails it.
func luaReadAgain(g *generation) []Answer {
	script := g.script()
	text := mapCalls(script, func(c luaCall) string {
		if !c.inExpression || !rediscmd.IsRead([]string{c.name}) {
			return c.text
		}
		return "(" + c.text + " and " + c.text + ")"
	})
	if script == "" || text == script {
		return nil
	}
	return []Answer{{Kind: "read-again", MustPass: true, Text: text, What: "the reference with each read its script makes called twice"}}
}

var keysOrArgv = regexp.MustCompile(`\b(KEYS|ARGV)\s*\[\s*(\d+)\s*\]`)

// literalKeys is the reference script with KEYS[i] and ARGV[i] replaced by
// the first case's values: a script hard-coded for one call, which the
// step's cases must tell from one that takes what it is given. For a .redis
// step, each EVAL's script gets its own call's values.
func literalKeys(g *generation) []Answer {
	if cmds := g.redisCommands(); cmds != nil {
		return literalKeysInFile(cmds)
	}
	script := g.script()
	call := g.step.CallFor(g.trace.Case)
	if script == "" || len(call.Keys)+len(call.Args) == 0 {
		return nil
	}
	text := withLiterals(script, call.Keys, call.Args)
	if text == script {
		return nil
	}
	return []Answer{{Kind: "literal-keys", MustPass: false, Text: text,
		What: "the reference with KEYS and ARGV replaced by the first case's values"}}
}

// literalKeysInFile is a .redis file whose EVAL scripts name their keys
// and arguments instead of reading KEYS and ARGV, sent with the same call.
func literalKeysInFile(cmds []submissions.Command) []Answer {
	out := argsOf(cmds)
	changed := false
	for _, args := range out {
		name := strings.ToUpper(args[0])
		if (name != "EVAL" && name != "EVAL_RO") || len(args) < 3 {
			continue
		}
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 0 || 3+n > len(args) {
			continue
		}
		script := withLiterals(args[1], args[3:3+n], args[3+n:])
		changed = changed || script != args[1]
		args[1] = script
	}
	if !changed {
		return nil
	}
	return []Answer{{Kind: "literal-keys", MustPass: false, Text: format(out),
		What: "the reference with its EVAL scripts' KEYS and ARGV replaced by the values it passes"}}
}

// withLiterals replaces a script's KEYS[i] and ARGV[i] with those values,
// in its code only.
func withLiterals(script string, keys, args []string) string {
	return mapCode(script, func(code string) string {
		return keysOrArgv.ReplaceAllStringFunc(code, func(m string) string {
			parts := keysOrArgv.FindStringSubmatch(m)
			i, _ := strconv.Atoi(parts[2])
			values := keys
			if parts[1] == "ARGV" {
				values = args
			}
			if i < 1 || i > len(values) {
				return m
			}
			return luaString(values[i-1])
		})
	})
}

// luaString writes s as a Lua string literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\%03d`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// A Lua script is code, strings and comments: the answers change code only.
type luaSpan struct {
	start, end int
	code       bool
}

// luaSpans cuts a script into code and the rest (strings, comments).
func luaSpans(src string) []luaSpan {
	var out []luaSpan
	codeStart := 0
	flush := func(end int) {
		if end > codeStart {
			out = append(out, luaSpan{codeStart, end, true})
		}
	}
	for i := 0; i < len(src); {
		end := luaNonCodeEnd(src, i)
		if end == i {
			i++
			continue
		}
		flush(i)
		out = append(out, luaSpan{i, end, false})
		i, codeStart = end, end
	}
	flush(len(src))
	return out
}

// luaNonCodeEnd returns where the string or comment starting at i ends, or
// i if none starts there.
func luaNonCodeEnd(src string, i int) int {
	switch {
	case strings.HasPrefix(src[i:], "--"):
		if level, ok := longBracket(src[i+2:]); ok {
			return longBracketEnd(src, i+2, level)
		}
		if nl := strings.IndexByte(src[i:], '\n'); nl >= 0 {
			return i + nl
		}
		return len(src)
	case src[i] == '"' || src[i] == '\'':
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '\\':
				j++
			case src[i]:
				return j + 1
			case '\n':
				return j // unfinished: Lua refuses it, and so will the grading
			}
		}
		return len(src)
	case src[i] == '[':
		if level, ok := longBracket(src[i:]); ok {
			return longBracketEnd(src, i, level)
		}
	}
	return i
}

// longBracket reports whether s starts a long bracket [[ or [==[, and its level.
func longBracket(s string) (int, bool) {
	if !strings.HasPrefix(s, "[") {
		return 0, false
	}
	level := 0
	for level+1 < len(s) && s[level+1] == '=' {
		level++
	}
	return level, level+1 < len(s) && s[level+1] == '['
}

func longBracketEnd(src string, open, level int) int {
	closing := "]" + strings.Repeat("=", level) + "]"
	if j := strings.Index(src[open+level+2:], closing); j >= 0 {
		return open + level + 2 + j + len(closing)
	}
	return len(src)
}

// mapCode rewrites the script's code, leaving its strings and comments.
func mapCode(src string, f func(code string) string) string {
	var b strings.Builder
	for _, s := range luaSpans(src) {
		if s.code {
			b.WriteString(f(src[s.start:s.end]))
		} else {
			b.WriteString(src[s.start:s.end])
		}
	}
	return b.String()
}

// luaCall is one redis.call or redis.pcall of a script whose first argument
// is a literal command name.
type luaCall struct {
	text           string // the whole call, redis.call(...)
	fn             string // call or pcall
	name           string // the command, as written
	nameAt, nameTo int    // the name's literal, within text
	// inExpression: the call's value is used (after =, (, return...), so
	// it may be wrapped in an expression.
	inExpression bool
}

// withName is the call with another command name.
func (c luaCall) withName(name string) string {
	return c.text[:c.nameAt] + luaString(name) + c.text[c.nameTo:]
}

var callStart = regexp.MustCompile(`\bredis\s*\.\s*(p?call)\s*\(`)

// mapCalls rewrites each redis.call and redis.pcall of the script whose
// command is a literal name, outermost only.
func mapCalls(src string, f func(luaCall) string) string {
	if src == "" {
		return ""
	}
	spans := luaSpans(src)
	inCode := func(i int) bool {
		for _, s := range spans {
			if i >= s.start && i < s.end {
				return s.code
			}
		}
		return false
	}
	var b strings.Builder
	last := 0
	for _, m := range callStart.FindAllStringSubmatchIndex(src, -1) {
		if m[0] < last || !inCode(m[0]) {
			continue
		}
		end := closingParen(src, spans, m[1]-1)
		if end < 0 {
			continue
		}
		call := luaCall{text: src[m[0]:end], fn: src[m[2]:m[3]], inExpression: inExpression(src, spans, m[0])}
		if !call.findName(src[m[0]:end], m[1]-m[0]) {
			continue
		}
		b.WriteString(src[last:m[0]])
		b.WriteString(f(call))
		last = end
	}
	b.WriteString(src[last:])
	return b.String()
}

// findName reads the literal command name that opens the arguments at
// offset from of the call's text.
func (c *luaCall) findName(text string, from int) bool {
	i := from
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	if i >= len(text) || (text[i] != '\'' && text[i] != '"') {
		return false
	}
	j := strings.IndexByte(text[i+1:], text[i])
	if j < 0 || strings.ContainsAny(text[i+1:i+1+j], "\\\n") {
		return false
	}
	c.name, c.nameAt, c.nameTo = text[i+1:i+1+j], i, i+2+j
	return true
}

// closingParen finds the end (one past the ')') of the parenthesis opened
// at open, counting only parentheses in code; -1 if it never closes.
func closingParen(src string, spans []luaSpan, open int) int {
	depth := 0
	for _, s := range spans {
		if !s.code || s.end <= open {
			continue
		}
		for i := max(s.start, open); i < s.end; i++ {
			switch src[i] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	return -1
}

// expressionWords end a Lua phrase that an expression follows.
var expressionWords = []string{"return", "and", "or", "not", "if", "elseif", "while", "until", "in"}

// inExpression reports whether what starts at i is an expression (its value
// used), from the code before it.
func inExpression(src string, spans []luaSpan, i int) bool {
	var before strings.Builder
	for _, s := range spans {
		if s.start >= i {
			break
		}
		if s.code {
			before.WriteString(src[s.start:min(s.end, i)])
		} else {
			before.WriteString(" ")
		}
	}
	code := strings.TrimRight(before.String(), " \t\r\n")
	if code == "" {
		return false
	}
	if strings.ContainsRune("=(,{[+-*/%^#<>~.", rune(code[len(code)-1])) {
		return true
	}
	for _, w := range expressionWords {
		if strings.HasSuffix(code, w) && (len(code) == len(w) || !isWordByte(code[len(code)-len(w)-1])) {
			return true
		}
	}
	return false
}

func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}
