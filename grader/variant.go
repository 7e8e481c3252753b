package grader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
)

// Variant is the spec's reference with some files changed: a known mistake
// (a mutant), an answer `exercise test` made up, or the reference itself.
// Every such submission is graded on one path, and once.
type Variant struct {
	Name string
	// Files replace the reference's; a nil one removes it.
	Files map[string]*string
	// Step, when set, is the one step graded: a variant changes one step's
	// file, and the others would grade the reference again.
	Step string
}

// GradeVariant grades a variant on sess, once per spec content, engine and
// variant in the process: later calls, from any session, get the same
// report (do not change it). Its errors are the grader's.
func GradeVariant(ctx context.Context, sess *Session, ex *exercises.Exercise, v Variant) (*report.Report, error) {
	g, err := gradeVariant(ctx, sess, ex, v)
	if err != nil {
		return nil, err
	}
	return g.rep, nil
}

func gradeVariant(ctx context.Context, sess *Session, ex *exercises.Exercise, v Variant) (*graded, error) {
	key := variantKey{spec: specKey(ex), engine: engineKey(sess), variant: v.digest()}
	return variants.get(ctx, key, func() (*graded, error) {
		sub, err := v.submission(ex)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", ex.Source, v.Name, err)
		}
		g, err := sess.grade(ctx, ex, sub, Options{Only: v.Step})
		if err != nil {
			return nil, fmt.Errorf("grade %s of %s: %w", v.Name, ex.ID, err)
		}
		return g, nil
	})
}

// maxCachedVariants bounds the variants kept: a service grading many specs
// keeps the newest, and one dropped is graded again when next needed.
const maxCachedVariants = 4096

var variants = newOnceCache[variantKey, *graded](maxCachedVariants)

type variantKey struct {
	spec    any // the spec's digest, or the *Exercise of one built in memory
	engine  string
	variant string
}

// engineKey is what results computed on a session's server are cached by:
// its engine, the server and its version.
func engineKey(sess *Session) string {
	info := sess.Info()
	return info.Kind + " " + info.Server + " " + info.Version
}

// specKey is what results computed from a spec are cached by: its content's
// digest, or for a spec built in memory, the spec itself.
func specKey(ex *exercises.Exercise) any {
	if ex.Digest != "" {
		return ex.Digest
	}
	return ex
}

// digest identifies the variant's content: its files and the step graded.
func (v Variant) digest() string {
	names := make([]string, 0, len(v.Files))
	for name := range v.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "step %q\n", v.Step)
	for _, name := range names {
		if f := v.Files[name]; f == nil {
			fmt.Fprintf(h, "%q removed\n", name)
		} else {
			fmt.Fprintf(h, "%q %d\n%s\n", name, len(*f), *f)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// submission is the variant as a submission: the reference with the
// variant's files replaced, a nil one removed.
func (v Variant) submission(ex *exercises.Exercise) (*submissions.Submission, error) {
	files := make(map[string][]byte, len(ex.Reference))
	for name, content := range ex.Reference {
		files[name] = []byte(content)
	}
	for name, content := range v.Files {
		if content == nil {
			delete(files, name)
		} else {
			files[name] = []byte(*content)
		}
	}
	return submissions.OpenFiles(v.Name, files)
}
