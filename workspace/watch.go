package workspace

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultQuiet is how long the watch loop waits after the last change before
// it grades: editors save in bursts (a backup, a write, a rename, a chmod).
const DefaultQuiet = 150 * time.Millisecond

// Debounce turns bursts of signals on in into one signal on the returned
// channel, sent once in has been quiet for quiet. A signal not yet taken is
// not doubled: the consumer sees at most one pending. It stops when ctx ends
// or in is closed.
func Debounce(ctx context.Context, in <-chan struct{}, quiet time.Duration) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		timer := time.NewTimer(quiet)
		timer.Stop()
		defer timer.Stop()
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-in:
				if !ok {
					return
				}
				timer.Reset(quiet) // Go ≥1.23: no stale tick survives a Reset
				fire = timer.C
			case <-fire:
				fire = nil
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// Watch calls grade once, then again after every burst of changes to the
// named files in dir, until ctx ends. It watches the folder, not the files,
// so that a save that replaces a file (write a temporary file, rename it
// over the old one, as many editors do) is seen like any other. Changes to
// other files, the state file among them, are ignored. grade runs on the
// caller's goroutine, one at a time; changes during a grading bring one more.
func Watch(ctx context.Context, dir string, files []string, quiet time.Duration, grade func(context.Context)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	defer w.Close()
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	relevant := make(map[string]bool, len(files))
	for _, f := range files {
		relevant[f] = true
	}

	changes := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fired := Debounce(ctx, changes, quiet)
	signal := func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	}

	grade(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if relevant[filepath.Base(ev.Name)] && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) != 0 {
				signal()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			if err == fsnotify.ErrEventOverflow {
				signal() // some events were lost: grade to be sure
				continue
			}
			return fmt.Errorf("watch %s: %w", dir, err)
		case <-fired:
			if ctx.Err() == nil {
				grade(ctx)
			}
		}
	}
}
