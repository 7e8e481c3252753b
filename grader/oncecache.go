package grader

import (
	"context"
	"sync"
)

// onceCache computes each key's value once: callers that need it at the
// same time wait for the first, and a failure is forgotten, for the next
// caller to try again. It holds at most max entries: when full, the entries
// already computed are dropped (they are computed again when next needed).
type onceCache[K comparable, V any] struct {
	max     int
	mu      sync.Mutex
	entries map[K]*onceEntry[V]
}

type onceEntry[V any] struct {
	ready chan struct{} // closed once val or err is set
	val   V
	err   error
}

func newOnceCache[K comparable, V any](max int) *onceCache[K, V] {
	return &onceCache[K, V]{max: max, entries: map[K]*onceEntry[V]{}}
}

// get returns key's value, computing it with compute if no caller has. A
// caller that waited on another's computation that failed computes it itself.
func (c *onceCache[K, V]) get(ctx context.Context, key K, compute func() (V, error)) (V, error) {
	for {
		e, first := c.entry(key)
		if first {
			e.val, e.err = compute()
			c.done(key, e)
		}
		select {
		case <-e.ready:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		if e.err == nil || first || ctx.Err() != nil {
			return e.val, e.err
		}
		// The first caller's computation failed (its server, its context):
		// this caller tries on its own.
	}
}

// entry returns the key's entry; first says the caller must fill it.
func (c *onceCache[K, V]) entry(key K) (e *onceEntry[V], first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		return e, false
	}
	if len(c.entries) >= c.max {
		for k, old := range c.entries {
			select {
			case <-old.ready:
				delete(c.entries, k)
			default: // still being computed: others wait on it
			}
		}
	}
	e = &onceEntry[V]{ready: make(chan struct{})}
	c.entries[key] = e
	return e, true
}

// done publishes an entry; a failed one is forgotten.
func (c *onceCache[K, V]) done(key K, e *onceEntry[V]) {
	c.mu.Lock()
	if e.err != nil && c.entries[key] == e {
		delete(c.entries, key)
	}
	c.mu.Unlock()
	close(e.ready)
}
