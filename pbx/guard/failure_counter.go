package guard

import (
	"sync"
	"time"
)

// failureCounter counts failures per key in a fixed window that opens at
// a key's first failure. It holds at most max keys: while full, new keys
// are not counted (add returns 0) until sweep frees closed windows.
type failureCounter[K comparable] struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	m      map[K]failures
}

type failures struct {
	n     int
	since time.Time
}

func newFailureCounter[K comparable](window time.Duration, max int) *failureCounter[K] {
	return &failureCounter[K]{window: window, max: max, m: make(map[K]failures)}
}

// add counts one failure for k and returns the count in the open window.
func (c *failureCounter[K]) add(k K, now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[k]
	if !ok && len(c.m) >= c.max {
		return 0
	}
	if !ok || now.Sub(f.since) > c.window {
		f = failures{since: now}
	}
	f.n++
	c.m[k] = f
	return f.n
}

// reset forgets k's failures.
func (c *failureCounter[K]) reset(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// sweep forgets keys whose window has closed.
func (c *failureCounter[K]) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, f := range c.m {
		if now.Sub(f.since) > c.window {
			delete(c.m, k)
		}
	}
}

// len returns how many keys are being counted.
func (c *failureCounter[K]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
