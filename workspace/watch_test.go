package workspace

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A burst of signals closer together than the quiet time gives one signal,
// sent no earlier than quiet after the last of them; a later burst gives
// another.
func TestDebounceBursts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan struct{})
	const quiet = 150 * time.Millisecond
	out := Debounce(ctx, in, quiet)

	for burst := 0; burst < 2; burst++ {
		var last time.Time
		for i := 0; i < 8; i++ {
			in <- struct{}{}
			last = time.Now()
			time.Sleep(10 * time.Millisecond)
		}
		select {
		case <-out:
			if since := time.Since(last); since < quiet {
				t.Errorf("burst %d: fired %v after the last signal, before the quiet time %v", burst, since, quiet)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("burst %d: no signal", burst)
		}
		select {
		case <-out:
			t.Errorf("burst %d: a second signal for one burst", burst)
		case <-time.After(3 * quiet):
		}
	}
}

// A fired signal the consumer has not taken yet is not doubled.
func TestDebounceCoalescesPending(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan struct{})
	out := Debounce(ctx, in, 10*time.Millisecond)
	for i := 0; i < 3; i++ {
		in <- struct{}{}
		time.Sleep(40 * time.Millisecond) // each fires, none taken
	}
	<-out
	select {
	case <-out:
		t.Error("three unconsumed bursts gave more than one pending signal")
	case <-time.After(100 * time.Millisecond):
	}
}

// The watch loop grades at once, then once per save: a save that replaces
// the file (an editor's temp file renamed over it) and a burst of in-place
// writes each give one grading; other files, the state file among them, give
// none; cancelling ends it.
func TestWatchGradesOncePerSave(t *testing.T) {
	dir := t.TempDir()
	step := filepath.Join(dir, "step1.redis")
	if err := os.WriteFile(step, []byte("# start\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	graded := make(chan time.Time, 100)
	var wg sync.WaitGroup
	wg.Add(1)
	var watchErr error
	go func() {
		defer wg.Done()
		// A quiet time well above the 10 ms between the writes of a burst
		// below, even on a loaded machine.
		watchErr = Watch(ctx, dir, []string{"step1.redis", "step2.lua"}, 300*time.Millisecond, func(context.Context) { graded <- time.Now() })
	}()
	expectGrades := func(what string, n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			select {
			case <-graded:
			case <-time.After(2 * time.Second):
				t.Fatalf("%s: graded %d times, want %d", what, i, n)
			}
		}
		select {
		case <-graded:
			t.Fatalf("%s: graded more than %d times", what, n)
		case <-time.After(time.Second):
		}
	}
	expectGrades("start", 1)

	// Replace the file as editors do: write a temporary file, rename it over.
	tmp := filepath.Join(dir, ".step1.redis.swp")
	if err := os.WriteFile(tmp, []byte("SET stock 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := time.Now()
	if err := os.Rename(tmp, step); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-graded:
		if d := at.Sub(saved); d > 1500*time.Millisecond {
			t.Errorf("graded %v after the save", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a rename over the file was not seen")
	}
	expectGrades("after the rename", 0)

	// A burst of writes, and a new file created by name.
	for i := 0; i < 5; i++ {
		if err := os.WriteFile(step, []byte("SET stock 10"+string(rune('0'+i))+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	expectGrades("a burst of writes", 1)
	if err := os.WriteFile(filepath.Join(dir, "step2.lua"), []byte("return 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectGrades("a new step file", 1)

	// Files that are not step files.
	ws := &Workspace{Dir: dir, State: State{Exercise: "x", LastStep: "y"}}
	if err := ws.Save(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectGrades("the state file and notes.txt", 0)

	cancel()
	wg.Wait()
	if watchErr != nil {
		t.Errorf("Watch returned %v after cancel", watchErr)
	}
}
