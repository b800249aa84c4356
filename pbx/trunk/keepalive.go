package trunk

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"
)

// keepAlive probes t's carrier with OPTIONS every interval. Any answer but
// 408 means the carrier is there (many answer OPTIONS with 404 or 405);
// downN probes in a row without one mark the trunk down, the first answer
// after marks it up again.
func (m *Manager) keepAlive(ctx context.Context, t *Trunk) {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		// A Call-ID per probe, as phones and proxies ping: carriers (and
		// SIPp) treat each OPTIONS as a transaction of its own.
		m.probe(ctx, t, randomHex(12)+"@"+m.local.Host, 1)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (m *Manager) probe(ctx context.Context, t *Trunk, callID string, seq uint32) {
	host := t.proxy.Addr().String()
	ruri := sip.Uri{Scheme: "sip", Host: host, Port: int(t.proxy.Port())}
	us := sip.Uri{Scheme: "sip", User: "ping", Host: m.local.Host, Port: m.local.Port}
	req := m.newCarrierRequest(t, sip.OPTIONS, ruri, us, ruri, callID, seq)
	limit := min(t.interval, sipDeadline)
	res, err := m.final(ctx, req, limit)
	if ctx.Err() != nil {
		return
	}
	alive := err == nil && res.StatusCode != 408
	t.mu.Lock()
	reason := "options answered"
	if alive {
		t.misses, t.optionsOK = 0, true
	} else {
		t.misses++
		reason = "options unanswered"
		if t.misses >= t.downN {
			t.optionsOK = false
		}
	}
	c, changed := t.settleLocked(m.now(), reason)
	t.mu.Unlock()
	if changed {
		m.changed(c)
	}
}
