package workspace

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/regularfile"
	"github.com/redisgrade/redisgrade/internal/words"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// textWidth is where starter files, the README and the check screen wrap.
const textWidth = 76

// commentPrefix is the line comment of a step file's language.
func commentPrefix(s *exercises.Step) string {
	if s.IsScript() {
		return "--"
	}
	return "#"
}

// Starter is a step file as init writes it: only a comment, in the file's
// comment syntax, saying what goes there. The grader treats such a file as
// not done yet: a .redis file of comments sends no command, and a .lua one
// returns nil without touching a key.
func Starter(i int, s *exercises.Step) string {
	c := commentPrefix(s)
	var b strings.Builder
	// The spec's text, escapes shown: a title's newline would end the
	// comment and make the rest a command.
	fmt.Fprintf(&b, "%s Step %d: %s\n%s\n", c, i+1, report.VisibleLine(s.Title), c)
	for _, line := range words.Wrap(report.Visible(s.Task), textWidth-len(c)-1) {
		fmt.Fprintf(&b, "%s %s\n", c, line)
	}
	fmt.Fprintf(&b, "%s\n", c)
	var how string
	if s.IsScript() {
		how = "Lines starting with -- are comments. The grader runs this whole file as one script, with EVAL. " +
			"Write your script below, save, then run: redisgrade check"
	} else {
		how = "Lines starting with # are comments. Write one Redis command per line below, as you would type it " +
			"in redis-cli; save, then run: redisgrade check"
	}
	for _, line := range words.Wrap(how, textWidth-len(c)-1) {
		fmt.Fprintf(&b, "%s %s\n", c, line)
	}
	return b.String()
}

// Readme is the task in our own words, from the spec: title, summary, how to
// work, and each step's title, file and task.
func Readme(ex *exercises.Exercise) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", report.VisibleLine(ex.Title))
	if ex.Summary != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.Join(words.Wrap(report.Visible(ex.Summary), textWidth), "\n"))
	}
	how := "Work through the steps in order, each in its own file. After each save, run `redisgrade check` " +
		"in this folder to see which steps are done and what is wrong with the next one, or leave " +
		"`redisgrade check --watch` running in a terminal: it grades again every time you save. Stuck? " +
		"`redisgrade hint` gives a hint for the step you are on, one more each time you ask."
	if demo.Has(ex.ID) {
		how += " To see why it all matters, run `redisgrade demo " + ex.ID + "`."
	}
	fmt.Fprintf(&b, "%s\n", strings.Join(words.Wrap(how, textWidth), "\n"))
	for i, s := range ex.Steps {
		fmt.Fprintf(&b, "\n## Step %d: %s (`%s`)\n\n", i+1, report.VisibleLine(s.Title), s.File)
		fmt.Fprintf(&b, "%s\n", strings.Join(words.Wrap(report.Visible(s.Task), textWidth), "\n"))
	}
	return b.String()
}

// Untouched reports whether a step's file in dir holds nothing but comments
// and blank space: the student has not started it. A missing or unreadable
// file is not "untouched": the grader says what is wrong with it.
func Untouched(dir string, s *exercises.Step) bool {
	data, err := regularfile.ReadNoFollow(filepath.Join(dir, s.File), submissions.MaxFileSize)
	return err == nil && UntouchedText(s, string(data))
}

// UntouchedText reports whether text, a step's file, holds nothing but
// comments and blank space.
func UntouchedText(s *exercises.Step, text string) bool {
	if s.IsScript() {
		return luaOnlyComments(text)
	}
	cmds, err := submissions.ParseCommands(s.File, text)
	return err == nil && len(cmds) == 0
}

// luaOnlyComments reports whether a Lua chunk holds only comments (-- to the
// end of the line, or --[[ long ]] / --[==[ long ]==] ones) and white space.
func luaOnlyComments(src string) bool {
	src = strings.TrimPrefix(src, "\uFEFF")
	for {
		src = strings.TrimLeft(src, " \t\r\n\f\v")
		if src == "" {
			return true
		}
		if !strings.HasPrefix(src, "--") {
			return false
		}
		src = src[2:]
		if level, ok := longBracket(src); ok {
			closing := "]" + strings.Repeat("=", level) + "]"
			end := strings.Index(src, closing)
			if end < 0 {
				return true // an unclosed long comment runs to the end
			}
			src = src[end+len(closing):]
			continue
		}
		nl := strings.IndexByte(src, '\n')
		if nl < 0 {
			return true
		}
		src = src[nl+1:]
	}
}

// longBracket reports whether s starts with [[, [=[, [==[ ... and its level.
func longBracket(s string) (int, bool) {
	if !strings.HasPrefix(s, "[") {
		return 0, false
	}
	level := 0
	for level+1 < len(s) && s[level+1] == '=' {
		level++
	}
	if level+1 < len(s) && s[level+1] == '[' {
		return level, true
	}
	return 0, false
}
