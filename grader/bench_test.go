package grader

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/submissions"
)

// BenchmarkGrade measures grading the correct lua-atomicity example once,
// server start included, on each engine:
//
//	go test -run '^$' -bench Grade ./grader
func BenchmarkGrade(b *testing.B) {
	ex, sub := benchSubmission(b)
	for _, kind := range engineKinds {
		b.Run(kind, func(b *testing.B) {
			eng := testEngine(b, kind)
			for b.Loop() {
				rep, err := Grade(context.Background(), ex, sub, eng, Options{})
				if err != nil || !rep.Passed() {
					b.Fatalf("grade: %v", err)
				}
			}
		})
	}
}

// BenchmarkSessionGrade measures grading the correct lua-atomicity example on
// a warm session, as a batch worker does:
//
//	go test -run '^$' -bench SessionGrade ./grader
func BenchmarkSessionGrade(b *testing.B) {
	ex, sub := benchSubmission(b)
	for _, kind := range engineKinds {
		b.Run(kind, func(b *testing.B) {
			sess, err := NewSession(context.Background(), testEngine(b, kind))
			if err != nil {
				b.Fatal(err)
			}
			defer sess.Close()
			for b.Loop() {
				rep, err := sess.Grade(context.Background(), ex, sub, Options{})
				if err != nil || !rep.Passed() {
					b.Fatalf("grade: %v", err)
				}
			}
		})
	}
}

// benchSubmission is lua-atomicity and its correct example.
func benchSubmission(b *testing.B) (*exercises.Exercise, *submissions.Submission) {
	ex, err := exercises.Load("lua-atomicity")
	if err != nil {
		b.Fatal(err)
	}
	sub, err := submissions.Open(filepath.Join("..", "submissions", "examples", "lua-atomicity", "correct"))
	if err != nil {
		b.Fatal(err)
	}
	return ex, sub
}
