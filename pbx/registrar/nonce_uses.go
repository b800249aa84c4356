package registrar

import (
	"sync"
	"time"

	"github.com/yimen/yimen/internal/fifomap"
)

// nonceUses remembers which nonces have been answered and the highest nonce
// count each was answered with, so a captured Authorization cannot be sent
// again: with qop=auth each use must raise nc (RFC 7616 §3.4), without qop
// a nonce is good once. The table is bounded; when it must forget a nonce
// before it expires, it forgets the oldest and refuses from then on every
// nonce issued no later than that one (a replay of a forgotten nonce gets a
// fresh challenge, never a pass).
type nonceUses struct {
	mu        sync.Mutex
	max       int
	byNonce   *fifomap.Map[string, nonceUse] // by first use
	forgotten time.Time                      // nonces issued at or before this are refused unless known
	ttl       time.Duration
}

type nonceUse struct {
	issued time.Time
	nc     uint32
}

func newNonceUses(max int, ttl time.Duration) *nonceUses {
	return &nonceUses{max: max, ttl: ttl, byNonce: fifomap.New[string, nonceUse](max / 4)}
}

// use records one answer to nonce (issued at issued) with nonce count nc
// (0 when the answer had no qop) and reports whether it is a first use.
func (u *nonceUses) use(nonce string, issued time.Time, nc uint32, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if e, ok := u.byNonce.Get(nonce); ok {
		if nc == 0 || nc <= e.Value.nc {
			return false
		}
		e.Value.nc = nc
		return true
	}
	if !issued.After(u.forgotten) {
		return false
	}
	u.trim(now)
	u.byNonce.Add(nonce, nonceUse{issued: issued, nc: nc})
	return true
}

// trim forgets expired nonces and, when the table is full, the oldest.
func (u *nonceUses) trim(now time.Time) {
	for e, ok := u.byNonce.Oldest(); ok; e, ok = u.byNonce.Oldest() {
		expired := now.Sub(e.Value.issued) > u.ttl+time.Minute
		if !expired && u.byNonce.Len() < u.max {
			return
		}
		if !expired && e.Value.issued.After(u.forgotten) {
			u.forgotten = e.Value.issued
		}
		u.byNonce.DropOldest()
	}
}

// len is the number of nonces remembered.
func (u *nonceUses) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byNonce.Len()
}
