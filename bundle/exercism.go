package bundle

import "fmt"

// Exercism writes into dir a test runner as Exercism's test runner
// interface describes it
// (https://exercism.org/docs/building/tooling/test-runners/interface): the
// entry point bin/run.sh SLUG INPUT_DIR OUTPUT_DIR, which grades INPUT_DIR and
// writes OUTPUT_DIR/results.json (version 3) and exits 0 whatever the tests
// did; the grader binary beside it; a Dockerfile for the runner image; the
// spec when the exercise was given by path; and a README. dir is created if
// need be; other files in it are left.
func (b *Bundle) Exercism(dir string) error {
	data := b.data("$root")
	files := []dirFile{
		{"bin/run.sh", 0o755, render("run.sh", data)},
		{"Dockerfile", 0o644, render("exercism Dockerfile", data)},
		{"README.md", 0o644, render("exercism README.md", data)},
	}
	if b.Spec != nil {
		files = append(files, dirFile{SpecFile, 0o644, b.Spec})
	}
	if err := b.writeDir(dir, files, "bin/redisgrade"); err != nil {
		return fmt.Errorf("exercism bundle: %w", err)
	}
	return nil
}
