// Package matrix grades one submission on several servers side by side (Redis and Valkey versions, the
// docker engine, the emulator) and compares the verdicts step by step: what an author runs before a term,
// to see where the course's server and the one the spec was written on disagree.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// Verdicts a cell can hold.
const (
	Pass      = "pass"
	Fail      = "fail"
	NotGraded = "not graded" // this server cannot grade the step (a step's requires, the emulator)
	Refused   = "refused"    // the exercise's requires leave this server out
	Error     = "error"      // the grader could not grade on this server
)

// Column is one server to grade on: its engine, and a label for the table (the server's name is used when
// it is empty).
type Column struct {
	Label  string
	Engine engine.Engine
}

// Result is the matrix: every column's outcome, and the verdicts step by step.
type Result struct {
	Exercise   string         `json:"exercise"`
	Title      string         `json:"title"`
	Submission string         `json:"submission"`
	Columns    []ColumnResult `json:"servers"`
	Steps      []Row          `json:"steps"`
}

// ColumnResult is one server's outcome: its report, or why there is none.
type ColumnResult struct {
	Label   string         `json:"label"`
	Engine  report.Engine  `json:"engine"`
	Refused string         `json:"refused,omitempty"` // what the exercise needs, when this server is outside it
	Error   string         `json:"error,omitempty"`   // what went wrong, when the grader could not grade
	Report  *report.Report `json:"report,omitempty"`
}

// Row is one step's verdicts, a cell per column, and whether the servers that graded it agree.
type Row struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Verdicts []string `json:"verdicts"`
	Agree    bool     `json:"agree"`
	// Why holds, per column, the first failing check's message or the step's note, where it did not pass.
	Why []string `json:"why"`
}

// Run grades sub on every column at once, each on a fresh server of its own, and builds the table.
func Run(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, cols []Column, opts grader.Options) *Result {
	results := make([]ColumnResult, len(cols))
	var wg sync.WaitGroup
	for i, col := range cols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = gradeColumn(ctx, ex, sub, col, opts)
		}()
	}
	wg.Wait()
	return build(ex, sub.Name(), results)
}

// build makes the table of the columns' outcomes.
func build(ex *exercises.Exercise, submission string, cols []ColumnResult) *Result {
	res := &Result{Exercise: ex.ID, Title: ex.Title, Submission: submission, Columns: cols}
	res.label()
	for _, s := range ex.Steps {
		res.Steps = append(res.Steps, res.row(s))
	}
	return res
}

// gradeColumn grades on one column's fresh server.
func gradeColumn(ctx context.Context, ex *exercises.Exercise, sub *submissions.Submission, col Column, opts grader.Options) ColumnResult {
	out := ColumnResult{Label: col.Label}
	sess, err := grader.NewSession(ctx, col.Engine)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer sess.Close()
	out.Engine = grader.ReportEngine(sess.Info())
	rep, err := sess.Grade(ctx, ex, sub, opts)
	var refused *grader.RefusedError
	switch {
	case errors.As(err, &refused):
		out.Refused = "needs " + refused.Needs
	case err != nil:
		out.Error = err.Error()
	default:
		out.Report = rep
	}
	return out
}

// label names the columns that have no label by their server, "(docker)" added for the docker engine, and
// numbers two columns that would read the same.
func (r *Result) label() {
	seen := map[string]int{}
	for i := range r.Columns {
		c := &r.Columns[i]
		if c.Label == "" {
			switch {
			case c.Engine.Kind == "":
				c.Label = fmt.Sprintf("server %d", i+1)
			case c.Engine.Kind == engine.KindDocker:
				c.Label = c.Engine.ServerName() + " (docker)"
			default:
				c.Label = c.Engine.ServerName()
			}
		}
		seen[c.Label]++
		if n := seen[c.Label]; n > 1 {
			c.Label = fmt.Sprintf("%s #%d", c.Label, n)
		}
	}
}

// row is one step's verdicts across the columns.
func (r *Result) row(s exercises.Step) Row {
	row := Row{ID: s.ID, Title: s.Title, Agree: true}
	first := ""
	for _, c := range r.Columns {
		verdict, why := cell(c, s.ID)
		row.Verdicts = append(row.Verdicts, verdict)
		row.Why = append(row.Why, why)
		if verdict != Pass && verdict != Fail {
			continue // only verdicts are compared: a server that could not grade says nothing
		}
		if first == "" {
			first = verdict
		} else if verdict != first {
			row.Agree = false
		}
	}
	return row
}

// cell is one column's verdict on a step, and why where it did not pass.
func cell(c ColumnResult, stepID string) (verdict, why string) {
	switch {
	case c.Refused != "":
		return Refused, c.Refused
	case c.Report == nil:
		return Error, c.Error
	}
	for _, st := range c.Report.Printable().Steps {
		if st.ID != stepID {
			continue
		}
		switch {
		case st.NotGradable:
			return NotGraded, st.Note
		case st.Passed:
			return Pass, ""
		}
		for _, ch := range st.Checks {
			if !ch.Passed {
				return Fail, ch.Name + ": " + ch.Message
			}
		}
		return Fail, st.Note
	}
	return Error, "no such step in the report"
}

// Disagree reports whether some step got different verdicts from two servers.
func (r *Result) Disagree() bool {
	for _, s := range r.Steps {
		if !s.Agree {
			return true
		}
	}
	return false
}
