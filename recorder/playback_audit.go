package recorder

import (
	"sync"
	"time"
)

// playbackWindow is how long after its last request a playback still
// counts as the same one: an <audio> element sends a Range request per
// seek, and the audit wants one entry per listening, not per request.
const playbackWindow = 5 * time.Minute

// maxPlaybacks bounds the table; when it is full of live playbacks, every
// request is audited on its own (never fewer entries than playbacks).
const maxPlaybacks = 4096

// playbacks remembers who is listening to what, so that the second and
// later Range requests of one playback are counted instead of audited.
type playbacks struct {
	mu   sync.Mutex
	seen map[string]*playback
}

type playback struct {
	last     time.Time
	requests int
}

// follow reports whether key (actor, action and recording) is a playback
// already audited within playbackWindow, and how many requests it has had
// with this one. A first request starts a playback and is not a follow-up.
func (p *playbacks) follow(key string, now time.Time) (bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pb, ok := p.seen[key]; ok && now.Sub(pb.last) < playbackWindow {
		pb.last = now
		pb.requests++
		return true, pb.requests
	}
	if p.seen == nil {
		p.seen = map[string]*playback{}
	}
	if len(p.seen) >= maxPlaybacks {
		for k, pb := range p.seen {
			if now.Sub(pb.last) >= playbackWindow {
				delete(p.seen, k)
			}
		}
		if len(p.seen) >= maxPlaybacks {
			return false, 1
		}
	}
	p.seen[key] = &playback{last: now, requests: 1}
	return false, 1
}
