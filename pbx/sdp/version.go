package sdp

import "hash/maphash"

// VersionCounter keeps the o= line of one leg so that each body it builds
// carries the version RFC 3264 §8 asks for: the same as last time when the
// session is unchanged (a session-timer refresh), one higher when anything
// changed. It is owned by one leg and not safe for concurrent use.
//
// It remembers the last body by a keyed 64-bit hash, not a copy: a call
// holds two counters for as long as it lasts, and the copies were about
// 600 bytes of every call's memory. The key is the counter's own, so a
// peer that shapes what goes into a body (its codecs) cannot aim at a
// collision; by chance one is 1 in 2^64 per re-offer.
type VersionCounter struct {
	username  string
	sessionID uint64
	version   uint64
	seed      maphash.Seed
	last      uint64
	built     bool
}

// NewVersionCounter starts a leg's o= identity at the given id and version.
func NewVersionCounter(username string, sessionID, version uint64) *VersionCounter {
	return &VersionCounter{username: username, sessionID: sessionID, version: version, seed: maphash.MakeSeed()}
}

// Version is the version of the most recently built body.
func (c *VersionCounter) Version() uint64 { return c.version }

// SessionID is the o= session id this leg uses.
func (c *VersionCounter) SessionID() uint64 { return c.sessionID }

// Build is Build with r's username, session id and version replaced by the
// leg's, incrementing the version when the body differs from the last one.
func (c *VersionCounter) Build(r Rewrite, answerTo *Session) []byte {
	r.Username, r.SessionID, r.Version = c.username, c.sessionID, c.version
	body := Build(r, answerTo)
	sum := maphash.Bytes(c.seed, body)
	if c.built && sum != c.last {
		c.version++
		r.Version = c.version
		body = Build(r, answerTo)
		sum = maphash.Bytes(c.seed, body)
	}
	// Taken before the caller has the body, so changing it cannot fool the check.
	c.last, c.built = sum, true
	return body
}

// Unchanged reports whether next repeats prev's session at the same o=
// version, which RFC 3264 §8 says means nothing changed: a B2BUA need not
// re-offer the other leg.
func Unchanged(prev, next *Session) bool {
	if prev == nil || next == nil {
		return false
	}
	return prev.Origin == next.Origin
}
