package b2bua

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/dtmf"
	"github.com/yimen/yimen/internal/errs"
)

func (m *Manager) find(tenant, callID string) (*call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.calls {
		if c.id == callID && c.tenant == tenant {
			return c, nil
		}
	}
	return nil, fmt.Errorf("call %s: %w", callID, errs.ErrNotFound)
}

// SendDTMF plays keys to the party on the other side of ext as RFC 4733
// events (an agent keying into a bank's IVR, say). It returns once they are sent.
func (m *Manager) SendDTMF(ctx context.Context, tenant, callID, ext, keys string) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	side := -1
	switch {
	case c.state != stateAnswered:
	case c.winner != nil && c.winner.ext == ext:
		side = sideB
	case c.extOf(sideA) == ext:
		side = sideA
	}
	dtmfPT := -1
	if c.dtmf != nil {
		dtmfPT = int(c.dtmf.PT)
	}
	c.mu.Unlock()
	if side < 0 {
		return fmt.Errorf("extension %s is not on call %s: %w", ext, callID, errs.ErrForbidden)
	}
	if dtmfPT < 0 {
		return fmt.Errorf("call %s negotiated no telephone-event: %w", callID, errs.ErrUnavailable)
	}
	if len(keys) == 0 || len(keys) > 32 {
		return fmt.Errorf("dtmf: 1 to 32 keys: %w", errs.ErrInvalid)
	}
	leg := c.leg(1 - side)
	var r [8]byte
	_, _ = rand.Read(r[:])
	ssrc, seq, ts := binary.BigEndian.Uint32(r[0:4]), binary.BigEndian.Uint16(r[4:6]), binary.BigEndian.Uint32(r[4:8])
	for i := 0; i < len(keys); i++ {
		pkts, next := dtmf.Event(keys[i], uint8(dtmfPT), ssrc, seq, ts)
		if pkts == nil {
			return fmt.Errorf("dtmf: key %q: %w", keys[i], errs.ErrInvalid)
		}
		seq = next
		ts += 1600 // a new timestamp per key (RFC 4733 §2.5.1.3)
		for _, p := range pkts {
			if err := leg.WriteRTP(p); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(60 * time.Millisecond) // inter-digit gap
	}
	return nil
}
