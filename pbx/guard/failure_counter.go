package guard

import (
	"sync"
	"time"
)

// failureCounter counts failures per key in a fixed window that opens at
// a key's first failure. It holds at most max keys. A new key is always
// counted: when the table is full it takes the place of one of a few keys
// sampled at random, the one with the fewest failures (closed windows
// first), so filling the table with cheap one-failure sources cannot stop
// a persistent guesser from being counted, nor push its count out.
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
		c.evictOne(now)
	}
	if !ok || now.Sub(f.since) > c.window {
		f = failures{since: now}
	}
	f.n++
	c.m[k] = f
	return f.n
}

// evictSample is how many keys evictOne looks at.
const evictSample = 8

// evictOne removes the least valuable of a few keys: map iteration starts
// at a random place, so the sample is random.
func (c *failureCounter[K]) evictOne(now time.Time) {
	var victim K
	best, seen := -1, 0
	for k, f := range c.m {
		n := f.n
		if now.Sub(f.since) > c.window {
			n = 0
		}
		if best < 0 || n < best {
			victim, best = k, n
		}
		if seen++; seen == evictSample || best == 0 {
			break
		}
	}
	if best >= 0 {
		delete(c.m, victim)
	}
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
