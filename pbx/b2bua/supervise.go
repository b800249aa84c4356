package b2bua

import (
	"context"
	"time"
)

// supervise ends calls that outlive the maximum duration or whose media went
// silent (no RTP on either leg for MediaTimeout, hold excepted). One loop for
// all calls keeps timers off the per-call path.
func (m *Manager) supervise(ctx context.Context) {
	period := min(time.Second, m.cfg.MediaTimeout/4)
	if period <= 0 {
		period = time.Second
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := m.now()
		m.mu.Lock()
		list := make([]*call, 0, len(m.calls))
		for c := range m.calls {
			list = append(list, c)
		}
		m.mu.Unlock()
		for _, c := range list {
			c.mu.Lock()
			answered, since, onHold := c.state == stateAnswered, c.answered, !c.holdSince.IsZero()
			c.mu.Unlock()
			if !answered {
				continue
			}
			if now.Sub(since) >= m.cfg.MaxDuration {
				c.hangup("system", CauseMaxDuration)
				continue
			}
			last := c.lastPacket()
			if last.Before(since) {
				last = since
			}
			if !onHold && now.Sub(last) >= m.cfg.MediaTimeout {
				m.log.Info("media timeout", "call", c.id, "silent_for", now.Sub(last).Round(time.Millisecond).String())
				c.hangup("system", CauseMediaTimeout)
			}
		}
	}
}
