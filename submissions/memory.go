package submissions

// FromFiles is a submission made of files held in memory, by name: the
// grader builds one from a spec's reference and a mutant's changes. Files
// over MaxFileSize are kept as too large, as Open would.
func FromFiles(name string, files map[string]string) *Submission {
	s := &Submission{name: name, files: make(map[string]*file, len(files))}
	for n, content := range files {
		s.files[n] = newFile([]byte(content), int64(len(content)))
	}
	return s
}
