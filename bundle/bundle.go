// Package bundle packages redisgrade as an autograder for a learning
// platform: a zip for Gradescope (setup.sh, run_autograder, the binary and
// the spec), or an external-grader image recipe for PrairieLearn (a
// Dockerfile and an entrypoint for its /grade layout).
//
// The scripts take their root from an environment variable (AUTOGRADER_ROOT,
// default /autograder; GRADE_ROOT, default /grade), so that a test can run
// them against a temporary folder laid out as the platform lays it out.
package bundle

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/redisgrade/redisgrade/exercises"
)

// SpecFile is the name under which a spec given by path is bundled.
const SpecFile = "exercise.yaml"

// Bundle is an exercise and a grader binary checked and ready to package.
type Bundle struct {
	// Exercise is the loaded exercise.
	Exercise *exercises.Exercise
	// Spec is the spec file's content when the exercise was given by path;
	// nil for a shipped exercise, which the binary carries.
	Spec []byte
	// Binary is the path of the redisgrade executable to ship.
	Binary string
	// Warnings are problems that do not stop packaging but may stop the
	// grader from running on the platform.
	Warnings []string
}

// New loads the exercise (a shipped name or a spec's path, as --exercise
// takes it) and checks that binary is a Linux x86-64 executable, which is
// what Gradescope and PrairieLearn run.
func New(exercise, binary string) (*Bundle, error) {
	ex, err := exercises.Load(exercise)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Exercise: ex, Binary: binary}
	if ex.Source == exercise { // loaded from a file, not shipped
		if b.Spec, err = exercises.ReadSpec(exercise); err != nil {
			return nil, err
		}
		// Bundle exactly the bytes that were validated.
		if b.Exercise, err = exercises.Parse(exercise, b.Spec); err != nil {
			return nil, err
		}
	}
	if b.Warnings, err = checkBinary(binary); err != nil {
		return nil, err
	}
	return b, nil
}

// checkBinary refuses what cannot run on the platforms: anything but a
// Linux x86-64 ELF executable. A dynamically linked one may still fail on an
// image with another C library; that is a warning.
func checkBinary(path string) ([]string, error) {
	notLinux := fmt.Errorf("%s is not a Linux executable; Gradescope and PrairieLearn run linux/amd64: build one with GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build ./cmd/redisgrade and pass it with --binary", path)
	head := make([]byte, len(elf.ELFMAG))
	r, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("grader binary: %w", err)
	}
	_, err = io.ReadFull(r, head)
	r.Close()
	if err != nil || string(head) != elf.ELFMAG {
		return nil, notLinux
	}
	f, err := elf.Open(path)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, notLinux
		}
		return nil, fmt.Errorf("grader binary: %w", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("%s is a %s %s, not an x86-64 executable; Gradescope and PrairieLearn run linux/amd64: build one with GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build ./cmd/redisgrade and pass it with --binary",
			path, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return []string{fmt.Sprintf("%s is dynamically linked and may not start on an image with an older C library; build it with CGO_ENABLED=0 for one that runs anywhere", path)}, nil
		}
	}
	return nil, nil
}

// exerciseArg is what the scripts pass to --exercise, shell-ready: the
// bundled spec in dir (a shell expression such as $root/source), or the
// shipped exercise's name.
func (b *Bundle) exerciseArg(dir string) string {
	if b.Spec != nil {
		return `"` + dir + "/" + SpecFile + `"`
	}
	return shellQuote(b.Exercise.ID)
}

// minRedis is the exercise's minimum Redis version ("7.0"), or "": the bundles install Debian's
// redis-server, so the Redis range is the one that matters (the grader checks the whole range itself).
func (b *Bundle) minRedis() string {
	redis, _ := b.Exercise.Requires.Ranges()
	return redis.Min()
}

// files lists the submission files the exercise grades, in step order.
func (b *Bundle) files() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range b.Exercise.Steps {
		if !seen[s.File] {
			seen[s.File] = true
			out = append(out, s.File)
		}
	}
	return out
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
