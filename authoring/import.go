package authoring

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/clip"
	"github.com/redisgrade/redisgrade/internal/position"
)

// Page is a learning platform's exercise page, read from its text form.
type Page struct {
	Title    string
	Scenario string
	Goal     string
	Learn    []string // "What You'll Learn"
	Steps    []PageStep
}

// PageStep is one numbered step of a page.
type PageStep struct {
	Title, Task, Language, Hint string
	Line                        int // where the step's number stands
}

var (
	progressLine = regexp.MustCompile(`(?i)^progress\s*\d+\s*/\s*(\d+)\s*steps?$`)
	hintLine     = regexp.MustCompile(`(?i)^need a hint\??$`)
	// chrome is the platform's own text around the exercise.
	chrome = regexp.MustCompile(`(?i)^(\d+|.*~\s*\d+\s*mins?|choose your learning style.*)$`)
)

// pageLine is one line of a page, its emoji and spaces trimmed.
type pageLine struct {
	n    int
	text string
}

// ParsePage reads a page. file names it in errors.
func ParsePage(file string, data []byte) (*Page, error) {
	if !utf8.Valid(data) {
		return nil, &position.Error{File: file, Line: 1, Msg: "the page is not UTF-8 text"}
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	if err := refuseControls(file, text); err != nil {
		return nil, err.WithSource(text)
	}
	var lines []pageLine
	for i, l := range strings.Split(text, "\n") {
		if t := trimMarks(l); t != "" {
			lines = append(lines, pageLine{i + 1, t})
		}
	}
	progress := -1
	for i, l := range lines {
		if progressLine.MatchString(l.text) {
			progress = i
			break
		}
	}
	if progress < 0 {
		return nil, &position.Error{File: file, Line: 1, Msg: "no `Progress 0 / N steps` line: the steps of an exercise page follow one"}
	}
	p := &Page{}
	if err := p.readHeader(file, lines[:progress]); err != nil {
		return nil, err.WithSource(text)
	}
	want, _ := strconv.Atoi(progressLine.FindStringSubmatch(lines[progress].text)[1])
	if err := p.readSteps(file, lines[progress], lines[progress+1:], want); err != nil {
		return nil, err.WithSource(text)
	}
	return p, nil
}

// refuseControls refuses a page holding a terminal control (an escape
// sequence, a bell, a bidi override), where it stands: the page's text
// becomes the spec's, which students read on their terminals. It is
// refused rather than escaped, because an escape written out as \x1b in a
// task is no more meant than the escape itself: the page is to be fixed.
func refuseControls(file, text string) *position.Error {
	for n, line := range strings.Split(text, "\n") {
		if col, r, found := TerminalControl(line); found {
			return &position.Error{File: file, Line: n + 1, Msg: fmt.Sprintf("%U at column %d is a terminal control (an escape sequence, a bell, a bidi override): remove it from the page; its text goes to students' terminals", r, col+1)}
		}
	}
	return nil
}

// trimMarks trims spaces and the emoji a page puts before its headings.
func trimMarks(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.So, r) || unicode.Is(unicode.Mn, r) ||
			unicode.Is(unicode.Sk, r) || r == '\u200d' || r == '\ufe0f' || unicode.Is(unicode.Cs, r)
	})
}

// heading returns what follows a heading such as "Scenario:" on a line.
func heading(l, name string) (string, bool) {
	if len(l) < len(name) || !strings.EqualFold(l[:len(name)], name) {
		return "", false
	}
	return strings.TrimSpace(l[len(name):]), true
}

func isLearn(l string) bool {
	_, ok := heading(strings.ReplaceAll(l, "’", "'"), "What You'll Learn")
	return ok
}

func (p *Page) readHeader(file string, lines []pageLine) *position.Error {
	titleAt := -1
	section := ""
	for i, l := range lines {
		if s, ok := heading(l.text, "Scenario:"); ok {
			p.Scenario, section = s, "scenario"
		} else if s, ok := heading(l.text, "Goal:"); ok {
			p.Goal, section = s, "goal"
		} else if isLearn(l.text) {
			section = "learn"
		} else if _, ok := heading(l.text, "Why This Matters"); ok {
			section = "why"
		} else {
			switch section {
			case "":
				if !chrome.MatchString(l.text) {
					titleAt = i
				}
			case "scenario":
				p.Scenario += "\n" + l.text
			case "goal":
				p.Goal += "\n" + l.text
			case "learn":
				p.Learn = append(p.Learn, l.text)
			}
		}
	}
	if titleAt < 0 {
		line := 1
		if len(lines) > 0 {
			line = lines[0].n
		}
		return &position.Error{File: file, Line: line, Msg: "no title: the page names its exercise on the line before its scenario"}
	}
	p.Title = lines[titleAt].text
	return nil
}

// readSteps reads the numbered steps: a number line, the step's title, its
// task, the language line, "Need a hint?" and the hint.
func (p *Page) readSteps(file string, progress pageLine, lines []pageLine, want int) *position.Error {
	var blocks [][]pageLine
	for _, l := range lines {
		if l.text == strconv.Itoa(len(blocks)+1) {
			blocks = append(blocks, []pageLine{l})
			continue
		}
		if len(blocks) == 0 {
			return &position.Error{File: file, Line: l.n, Msg: fmt.Sprintf("expected step 1's number, found %q", clip.Text(l.text, 60))}
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
	}
	if len(blocks) != want {
		return &position.Error{File: file, Line: progress.n, Msg: fmt.Sprintf("the page says %d steps, but %d follow", want, len(blocks))}
	}
	for _, b := range blocks {
		s := PageStep{Line: b[0].n}
		body := b[1:]
		if len(body) == 0 {
			return &position.Error{File: file, Line: b[0].n, Msg: fmt.Sprintf("step %s has no title", b[0].text)}
		}
		s.Title, body = body[0].text, body[1:]
		hintAt := len(body)
		for i, l := range body {
			if hintLine.MatchString(l.text) {
				hintAt = i
				break
			}
		}
		var hint []string
		for _, l := range body[min(hintAt+1, len(body)):] {
			hint = append(hint, l.text)
		}
		s.Hint = strings.Join(hint, "\n")
		task := body[:hintAt]
		if n := len(task); n > 0 && isLanguage(task[n-1].text) {
			s.Language, task = task[n-1].text, task[:n-1]
		}
		if len(task) == 0 {
			return &position.Error{File: file, Line: b[0].n, Msg: fmt.Sprintf("step %s (%s) has no task", b[0].text, clip.Text(s.Title, 60))}
		}
		var parts []string
		for _, l := range task {
			parts = append(parts, l.text)
		}
		s.Task = strings.Join(parts, "\n")
		p.Steps = append(p.Steps, s)
	}
	return nil
}

// languages are what a page's language line names, lower-case.
var languages = map[string]bool{
	"redis": true, "redis cli": true, "redis-cli": true, "lua": true, "bash": true, "shell": true,
	"python": true, "javascript": true, "node.js": true, "java": true, "go": true, "text": true,
}

// isLanguage tells the language line ("Redis", "Lua") from a line of task.
func isLanguage(s string) bool { return languages[strings.ToLower(s)] }

var (
	writesScript = regexp.MustCompile(`(?i)\b(write|create|modify|complete|update|change|extend|edit|add|build)\b.*\b(lua )?script\b`)
	runsScript   = regexp.MustCompile(`(?i)\b(EVAL|EVALSHA|EVAL_RO|SCRIPT LOAD|FCALL|redis-cli)\b`)
)

// File names the submission file of step n: a .lua script where the step
// asks for a Lua script to be written, else .redis commands.
func (s PageStep) File(n int) string {
	text := s.Title + "\n" + s.Task
	if strings.Contains(strings.ToLower(text), "lua") && writesScript.MatchString(text) && !runsScript.MatchString(text) {
		return fmt.Sprintf("step%d.lua", n)
	}
	return fmt.Sprintf("step%d.redis", n)
}

// TODOMarker marks what an imported spec still needs from its author.
const TODOMarker = "TODO"

// Skeleton writes a spec for a page: each step graded by `compare:
// reference` and starting from what the reference's earlier steps leave, and
// a reference of TODO markers for the author to fill in. source names the
// page in the spec's comment.
func Skeleton(p *Page, source string) ([]byte, error) {
	str := func(s string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
		if strings.Contains(s, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	}
	mapping := func(kv ...any) *yaml.Node {
		m := &yaml.Node{Kind: yaml.MappingNode}
		for i := 0; i < len(kv); i += 2 {
			v, ok := kv[i+1].(*yaml.Node)
			if !ok {
				v = str(fmt.Sprint(kv[i+1]))
			}
			m.Content = append(m.Content, str(kv[i].(string)), v)
		}
		return m
	}
	steps := &yaml.Node{Kind: yaml.SequenceNode}
	ref := &yaml.Node{Kind: yaml.MappingNode}
	for i, s := range p.Steps {
		n := i + 1
		file := s.File(n)
		check := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{mapping("compare", "reference")}}
		kv := []any{"id", fmt.Sprintf("step%d", n), "title", s.Title, "task", s.Task}
		if s.Hint != "" {
			kv = append(kv, "hint", s.Hint)
		}
		kv = append(kv, "file", file, "points", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
		if n > 1 {
			kv = append(kv, "setup", "reference")
		}
		kv = append(kv, "checks", check)
		steps.Content = append(steps.Content, mapping(kv...))
		todo := "# " + TODOMarker + ": the commands that solve"
		if strings.HasSuffix(file, ".lua") {
			todo = "-- " + TODOMarker + ": the script that solves"
		}
		body := str(fmt.Sprintf("%s step %d (%s)\n", todo, n, s.Title))
		body.Style = yaml.LiteralStyle
		ref.Content = append(ref.Content, str(file), body)
	}
	summary := strings.TrimSpace(p.Scenario + " " + p.Goal)
	kv := []any{"id", exercises.Slug(p.Title), "title", p.Title}
	if summary != "" {
		kv = append(kv, "summary", summary)
	}
	kv = append(kv, "steps", steps, "reference", ref)
	root := mapping(kv...)
	var head strings.Builder
	fmt.Fprintf(&head, "Imported from %s by redisgrade exercise import.\n", source)
	if len(p.Learn) > 0 {
		head.WriteString("What the page says a student learns:\n")
		for _, l := range p.Learn {
			head.WriteString("  - " + l + "\n")
		}
	}
	head.WriteString("Next: write the reference (every " + TODOMarker + "), add mutants, then run\n" +
		"`redisgrade exercise lint` and `redisgrade exercise test` on this file.")
	root.HeadComment = head.String()
	ref.Content[0].HeadComment = "A correct answer to each step: " + TODOMarker + " markers are what is still to write."

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
