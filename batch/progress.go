package batch

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/redisgrade/redisgrade/internal/words"
)

// progress reports on stderr: a bar redrawn in place on a terminal, a plain
// line now and then otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration

	mu                    sync.Mutex
	total, skipped, saved int
	failed, errors        int
	began                 time.Time

	quit chan struct{}
	done chan struct{}
}

func newProgress(opts Options, total, skipped int, began time.Time) *progress {
	every := opts.ProgressEvery
	if opts.Terminal {
		every = 200 * time.Millisecond
	}
	return &progress{w: opts.Progress, terminal: opts.Terminal, every: every,
		total: total, skipped: skipped, began: began}
}

func (p *progress) start() {
	if p.w == nil {
		return
	}
	p.quit, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.print(false)
			}
		}
	}()
}

// stop prints the last state and ends the line.
func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.quit)
	<-p.done
	p.print(true)
}

func (p *progress) add(r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.saved++
	switch {
	case r.Status != StatusGraded:
		p.errors++
	case !r.Report.Passed():
		p.failed++
	}
}

// line describes the state: 412/1000 41% · 187/s · ETA 3s · 37 failed · 2 errors.
func (p *progress) line(now time.Time) (frac float64, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := p.skipped + p.saved
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	elapsed := now.Sub(p.began).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.saved) / elapsed
	}
	eta := "ETA -"
	switch left := p.total - done; {
	case left == 0:
		eta = fmt.Sprintf("took %s", shortDuration(now.Sub(p.began)))
	case rate > 0:
		eta = "ETA " + shortDuration(time.Duration(float64(left)/rate*float64(time.Second)))
	}
	parts := []string{
		fmt.Sprintf("%d/%d %3.0f%%", done, p.total, 100*frac),
		fmt.Sprintf("%.1f/s", rate),
		eta,
		fmt.Sprintf("%d with a failing step", p.failed),
		words.Count(p.errors, "error"),
	}
	if p.skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d from before", p.skipped))
	}
	return frac, strings.Join(parts, " · ")
}

func (p *progress) print(final bool) {
	frac, text := p.line(time.Now())
	if !p.terminal {
		fmt.Fprintf(p.w, "redisgrade: %s\n", text)
		return
	}
	const width = 30
	full := int(frac * width)
	bar := strings.Repeat("█", full) + strings.Repeat("░", width-full)
	// \r and erase to the end of the line: the bar is redrawn in place.
	fmt.Fprintf(p.w, "\r\x1b[K%s %s", bar, text)
	if final {
		fmt.Fprintln(p.w)
	}
}

// shortDuration prints 3s, 2m05s, 1h02m.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
