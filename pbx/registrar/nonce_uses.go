package registrar

import (
	"sync"
	"time"
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
	byNonce   map[string]*nonceUse
	order     []*nonceUse // by first use; order[head:] are remembered
	head      int
	forgotten time.Time // nonces issued at or before this are refused unless known
	ttl       time.Duration
}

type nonceUse struct {
	nonce  string
	issued time.Time
	nc     uint32
}

func newNonceUses(max int, ttl time.Duration) *nonceUses {
	return &nonceUses{max: max, ttl: ttl, byNonce: make(map[string]*nonceUse, max/4)}
}

// use records one answer to nonce (issued at issued) with nonce count nc
// (0 when the answer had no qop) and reports whether it is a first use.
func (u *nonceUses) use(nonce string, issued time.Time, nc uint32, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if e, ok := u.byNonce[nonce]; ok {
		if nc == 0 || nc <= e.nc {
			return false
		}
		e.nc = nc
		return true
	}
	if !issued.After(u.forgotten) {
		return false
	}
	u.trim(now)
	e := &nonceUse{nonce: nonce, issued: issued, nc: nc}
	u.byNonce[nonce] = e
	u.order = append(u.order, e)
	return true
}

// trim forgets expired nonces and, when the table is full, the oldest.
func (u *nonceUses) trim(now time.Time) {
	for u.head < len(u.order) {
		e := u.order[u.head]
		expired := now.Sub(e.issued) > u.ttl+time.Minute
		if !expired && len(u.byNonce) < u.max {
			break
		}
		delete(u.byNonce, e.nonce)
		if !expired && e.issued.After(u.forgotten) {
			u.forgotten = e.issued
		}
		u.order[u.head] = nil
		u.head++
	}
	if u.head > 1024 && u.head > len(u.order)/2 {
		n := copy(u.order, u.order[u.head:])
		clear(u.order[n:])
		u.order, u.head = u.order[:n], 0
	}
}

// len is the number of nonces remembered.
func (u *nonceUses) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.byNonce)
}
