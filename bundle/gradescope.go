package bundle

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"time"
)

// Gradescope writes the autograder zip Gradescope takes
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/): at its
// root setup.sh and run_autograder, the grader binary as redisgrade, and the
// spec as exercise.yaml when the exercise was given by path.
func (b *Bundle) Gradescope(w io.Writer) error {
	data := b.data("$root/source")
	entries := []zipEntry{
		{"setup.sh", 0o755, bytesOf(render("setup.sh", data))},
		{"run_autograder", 0o755, bytesOf(render("run_autograder", data))},
		{"redisgrade", 0o755, b.copyBinary},
	}
	if b.Spec != nil {
		entries = append(entries, zipEntry{SpecFile, 0o644, bytesOf(b.Spec)})
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Now()}
		h.SetMode(e.mode) // run_autograder and setup.sh must stay executable
		f, err := zw.CreateHeader(h)
		if err == nil {
			err = e.write(f)
		}
		if err != nil {
			return fmt.Errorf("gradescope bundle: %s: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gradescope bundle: %w", err)
	}
	return nil
}

type zipEntry struct {
	name  string
	mode  os.FileMode
	write func(io.Writer) error
}

func bytesOf(p []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(p)
		return err
	}
}

// copyBinary copies the grader binary to w.
func (b *Bundle) copyBinary(w io.Writer) error {
	f, err := os.Open(b.Binary)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
