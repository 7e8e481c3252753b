package report

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// GitHub Classroom: the text report for the workflow log, then the two
// annotations Classroom's autograding reads for the points, exactly as its
// grading reporter writes them (classroom-resources/autograding-grading-
// reporter, src/notify-classroom.js): a notice "Points 3/4" titled
// "Autograding complete", and a notice {"totalPoints":3,"maxPoints":4}
// titled "Autograding report". Outside GitHub Actions they are two plain
// lines. The exit code still tells whether every step passed.
//
// The text report quotes the student's own replies and errors, which could
// hold a line such as "::notice title=Autograding complete::Points 9/4".
// GitHub runs no workflow command between "::stop-commands::TOKEN" and
// "::TOKEN::", and the token is random, so the report is fenced with them.
func writeClassroom(w io.Writer, r *Report, opts Options) error {
	var b strings.Builder
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return err
	}
	fence := hex.EncodeToString(token)
	fmt.Fprintf(&b, "::stop-commands::%s\n", fence)
	opts.Color = false
	if err := writeText(&b, r, opts); err != nil {
		return err
	}
	fmt.Fprintf(&b, "::%s::\n", fence)
	score := r.Score
	if !r.Gradable() {
		score = 0
	}
	summary, err := json.Marshal(struct {
		TotalPoints float64 `json:"totalPoints"`
		MaxPoints   float64 `json:"maxPoints"`
	}{score, r.MaxScore})
	if err != nil {
		return err
	}
	fmt.Fprintf(&b, "::notice title=Autograding complete::%s\n", workflowData(fmt.Sprintf("Points %s/%s", num(score), num(r.MaxScore))))
	fmt.Fprintf(&b, "::notice title=Autograding report::%s\n", workflowData(string(summary)))
	_, err = io.WriteString(w, b.String())
	return err
}

// workflowData escapes a workflow command's message.
func workflowData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}
