package bundle

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrairieLearn writes into dir an external-grader image recipe for
// PrairieLearn (https://prairielearn.readthedocs.io/en/latest/externalGrading/):
// a Dockerfile, the entrypoint grade.sh for the /grade layout, the grader
// binary, the spec when the exercise was given by path, and a README with the
// info.json settings. dir is created if need be; other files in it are left.
func (b *Bundle) PrairieLearn(dir string) error {
	data := b.data("$here")
	files := []dirFile{
		{"Dockerfile", 0o644, render("Dockerfile", data)},
		{"grade.sh", 0o755, render("grade.sh", data)},
		{"README.md", 0o644, render("README.md", data)},
	}
	if b.Spec != nil {
		files = append(files, dirFile{SpecFile, 0o644, b.Spec})
	}
	if err := b.writeDir(dir, files, "redisgrade"); err != nil {
		return fmt.Errorf("prairielearn bundle: %w", err)
	}
	return nil
}

// dirFile is one file of a bundle written as a folder.
type dirFile struct {
	name    string // slash-separated, relative to the folder
	mode    os.FileMode
	content []byte
}

// writeDir writes files into dir, and the grader binary as binName; dir and
// the folders the names need are created, and other files are left.
func (b *Bundle) writeDir(dir string, files []dirFile, binName string) error {
	bin, err := os.ReadFile(b.Binary)
	if err != nil {
		return err
	}
	files = append(files, dirFile{binName, 0o755, bin})
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeFile(path, f.mode, f.content); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes a file whole, through a temporary file renamed into
// place, so that a reader never sees half of it, and sets its mode.
func writeFile(path string, mode os.FileMode, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
