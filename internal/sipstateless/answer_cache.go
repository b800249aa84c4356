package sipstateless

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/fifomap"
)

// answerCache keeps the bytes of recent final answers by transaction key
// for a short while, bounded in count; oldest first out.
type answerCache struct {
	seeds [2]maphash.Seed // the process's own: keys cannot be made to collide from outside

	mu      sync.Mutex
	keep    time.Duration
	max     int
	answers *fifomap.Map[txKey, answer]
}

// txKey is a transaction's key (appendTransactionKey's bytes) hashed to 128 bits
// with two seeds: a map of these costs a fraction of one keyed by the
// bytes themselves, and a chance collision, about one in 2^128 per pair,
// will not happen.
type txKey [2]uint64

// answer is one transaction's final response; b is nil while it is being
// answered.
type answer struct {
	at time.Time
	b  []byte
}

func newAnswerCache(keep time.Duration, max int) *answerCache {
	return &answerCache{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		keep: keep, max: max, answers: fifomap.New[txKey, answer](1024)}
}

// keyOf hashes a transaction key's bytes.
func (c *answerCache) keyOf(b []byte) txKey {
	return txKey{maphash.Bytes(c.seeds[0], b), maphash.Bytes(c.seeds[1], b)}
}

// begin returns the answer already given for key (nil bytes: still being
// answered) and true, or starts a new entry and returns it with false.
func (c *answerCache) begin(key txKey, now time.Time) (*answer, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trim(now, c.max+1)
	if e, ok := c.answers.Get(key); ok {
		return &e.Value, e.Value.b, true
	}
	c.trim(now, c.max)
	e := c.answers.Add(key, answer{at: now})
	return &e.Value, nil, false
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
	for e, ok := c.answers.Oldest(); ok; e, ok = c.answers.Oldest() {
		if now.Sub(e.Value.at) <= c.keep && c.answers.Len() < limit {
			return
		}
		c.answers.DropOldest()
	}
}

// len is the number of answers remembered.
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answers.Len()
}
