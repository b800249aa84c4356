package trunk

import (
	"sync"
	"time"
)

// rateWindow counts events in a sliding window of fixed buckets: calls
// per second for a trunk (10 buckets of 100 ms), calls per minute for a
// tenant (12 of 5 s). Cheap, and exact enough for a cap.
type rateWindow struct {
	bucket time.Duration
	counts []int
	stamps []int64 // the bucket index each count belongs to
}

func newRateWindow(window time.Duration, buckets int) *rateWindow {
	return &rateWindow{bucket: window / time.Duration(buckets), counts: make([]int, buckets), stamps: make([]int64, buckets)}
}

// count is the number of events in the window ending at now.
func (w *rateWindow) count(now time.Time) int {
	idx := now.UnixNano() / int64(w.bucket)
	n := 0
	for i := range w.counts {
		if idx-w.stamps[i] < int64(len(w.counts)) {
			n += w.counts[i]
		}
	}
	return n
}

func (w *rateWindow) add(now time.Time) {
	idx := now.UnixNano() / int64(w.bucket)
	i := int(idx % int64(len(w.counts)))
	if w.stamps[i] != idx {
		w.stamps[i], w.counts[i] = idx, 0
	}
	w.counts[i]++
}

// tenantCaps caps a tenant's calls through all its trunks.
type tenantCaps struct {
	maxCalls  int
	perMinute int

	mu     sync.Mutex
	active int
	minute *rateWindow
}

// take admits one call, or names the cap it would break.
func (c *tenantCaps) take(now time.Time) (ok bool, cap string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maxCalls > 0 && c.active >= c.maxCalls {
		return false, "tenant_calls"
	}
	if c.perMinute > 0 {
		if c.minute == nil {
			c.minute = newRateWindow(time.Minute, 12)
		}
		if c.minute.count(now) >= c.perMinute {
			return false, "tenant_calls_per_minute"
		}
		c.minute.add(now)
	}
	c.active++
	return true, ""
}

func (c *tenantCaps) release() {
	c.mu.Lock()
	if c.active > 0 {
		c.active--
	}
	c.mu.Unlock()
}

func (c *tenantCaps) inUse() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active
}
