package sipstateless

import (
	"sync"
	"time"
)

// answerCache keeps the bytes of recent final answers by transaction key
// for a short while, bounded in count; oldest first out.
type answerCache struct {
	mu    sync.Mutex
	keep  time.Duration
	max   int
	byKey map[string]*answer
	order []*answer // by start; order[head:] are remembered
	head  int
}

// answer is one transaction's final response; b is nil while it is being
// answered.
type answer struct {
	key string
	at  time.Time
	b   []byte
}

func newAnswerCache(keep time.Duration, max int) *answerCache {
	return &answerCache{keep: keep, max: max, byKey: make(map[string]*answer, 1024)}
}

// begin returns the answer already given for key (nil bytes: still being
// answered) and true, or starts a new entry and returns it with false.
func (c *answerCache) begin(key string, now time.Time) (*answer, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trim(now, c.max+1)
	if e, ok := c.byKey[key]; ok {
		return e, e.b, true
	}
	c.trim(now, c.max)
	e := &answer{key: key, at: now}
	c.byKey[key] = e
	c.order = append(c.order, e)
	return e, nil, false
}

// finish records the bytes sent for e.
func (c *answerCache) finish(e *answer, b []byte) {
	c.mu.Lock()
	e.b = b
	c.mu.Unlock()
}

// trim forgets answers older than keep and, while limit or more are kept,
// the oldest.
func (c *answerCache) trim(now time.Time, limit int) {
	for c.head < len(c.order) {
		e := c.order[c.head]
		if now.Sub(e.at) <= c.keep && len(c.byKey) < limit {
			break
		}
		if c.byKey[e.key] == e {
			delete(c.byKey, e.key)
		}
		c.order[c.head] = nil
		c.head++
	}
	if c.head > 1024 && c.head > len(c.order)/2 {
		n := copy(c.order, c.order[c.head:])
		clear(c.order[n:])
		c.order, c.head = c.order[:n], 0
	}
}

// len is the number of answers remembered.
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
