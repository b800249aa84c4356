package b2bua

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/yimen/yimen/internal/dtmf"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/sdp"
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

// Hold puts the party on the other side of ext on hold (or takes them off):
// a re-INVITE with sendonly (sendrecv to resume) to that party, and ext's
// audio is no longer relayed to them meanwhile. ext is the agent's extension.
func (m *Manager) Hold(ctx context.Context, tenant, callID, ext string, hold bool) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.state != stateAnswered || c.winner == nil {
		c.mu.Unlock()
		return fmt.Errorf("call %s is not connected: %w", callID, errs.ErrConflict)
	}
	holder := -1
	switch ext {
	case c.winner.ext:
		holder = sideB
	case c.extOf(sideA):
		holder = sideA
	}
	consulting := c.consult != nil
	c.mu.Unlock()
	if holder < 0 {
		return fmt.Errorf("extension %s is not on call %s: %w", ext, callID, errs.ErrForbidden)
	}
	if consulting {
		return fmt.Errorf("call %s: a consultation is in progress (the other party is held already): %w", callID, errs.ErrConflict)
	}
	return m.holdParty(ctx, c, holder, hold)
}

// holdParty re-INVITEs the party opposite holder to hold (sendonly) or
// resume (sendrecv) and stops or resumes passing holder's audio to them.
func (m *Manager) holdParty(ctx context.Context, c *call, holder int, hold bool) error {
	c.mu.Lock()
	if c.state != stateAnswered {
		c.mu.Unlock()
		return fmt.Errorf("call %s is not connected: %w", c.id, errs.ErrConflict)
	}
	if c.reinviting {
		c.mu.Unlock()
		return fmt.Errorf("call %s: a re-INVITE is in progress: %w", c.id, errs.ErrConflict)
	}
	if held := !c.holdSince.IsZero(); held == hold {
		c.mu.Unlock()
		c.setHold(holder, hold)
		return nil
	}
	c.reinviting = true
	held := 1 - holder
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.reinviting = false
		c.mu.Unlock()
	}()

	dir := sdp.SendRecv
	if hold {
		dir = sdp.SendOnly
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.reinviteDir(ctx, c, held, dir); err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	c.setHold(holder, hold)
	c.mu.Lock()
	now := m.now()
	if hold {
		c.holdSince = now
	} else if !c.holdSince.IsZero() {
		c.hold += now.Sub(c.holdSince)
		c.holdSince = time.Time{}
	}
	c.mu.Unlock()
	m.notifyHold(c, hold)
	return nil
}

// BlindTransfer moves the party on the other side of ext to the extension
// to: ext's leg is hung up, to is rung, and the other party is bridged to
// whoever answers. If nobody answers, a call that came through the IVR goes
// back to its flow; any other call ends. ext may be either side: the agent
// a queue or a caller reached, or the agent who placed the call (then to
// is rung from the PBX and joined in ext's place once it answers).
func (m *Manager) BlindTransfer(ctx context.Context, tenant, callID, ext, to string) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	return m.blindTransfer(c, ext, to, nil)
}

// blindTransfer detaches ext's leg, runs beforeBye (the REFER's NOTIFY), hangs
// the leg up and rings to.
func (m *Manager) blindTransfer(c *call, ext, to string, beforeBye func()) error {
	callID := c.id
	c.mu.Lock()
	side, err := c.transferSideLocked(ext)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if c.reinviting || c.transfer != nil || c.consult != nil {
		c.mu.Unlock()
		return fmt.Errorf("call %s is busy: %w", callID, errs.ErrConflict)
	}
	if c.joinedSideLocked() == 1-side {
		c.mu.Unlock()
		return fmt.Errorf("call %s: the other party came by transfer and talks through a splice; transferring it again is not supported: %w", callID, errs.ErrUnavailable)
	}
	if side == sideA {
		return m.callerBlindTransferLocked(c, ext, to, beforeBye)
	}
	old := c.winner.dlg
	c.winner = nil
	c.leg(sideB).SetRemote(netip.AddrPort{})
	far := c.unspliceLocked()
	c.bridge.SetHold(sideA, false)
	c.bridge.SetHold(sideB, false)
	c.mu.Unlock()
	m.letGo(c, old, far, ext, to, beforeBye)
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, m.cfg.RingTimeout)
		defer cancel()
		code, _, err := (&LocalCall{c: c}).Ring(ctx, to)
		if err == nil && code == 200 {
			return
		}
		m.log.Info("transfer target did not answer", "call", callID, "to", to, "code", code)
		c.mu.Lock()
		app, origin := c.app, c.origin
		c.mu.Unlock()
		if app && !origin {
			c.mu.Lock()
			if c.bridgeEnded != nil {
				close(c.bridgeEnded)
				c.bridgeEnded = nil
			}
			tap := c.appTap
			c.mu.Unlock()
			if tap != nil {
				c.bridge.SetTap(tap)
			}
			return
		}
		c.hangup("system", CauseTransferFailed)
	}()
	return nil
}

// letGo hangs up ext's leg old for a blind transfer to to: far (the
// bridge of a party ext had joined from another call) is closed,
// beforeBye run, and observers told ext is done with the call whatever the
// target does next.
func (m *Manager) letGo(c *call, old *dialog, far *media.Bridge, ext, to string, beforeBye func()) {
	if far != nil {
		_ = far.Close()
	}
	if beforeBye != nil {
		beforeBye()
	}
	m.sendBye(old)
	m.log.Info("blind transfer", "call", c.id, "from", ext, "to", to)
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferBlind, State: callevent.ConsultCompleted, From: ext, To: to})
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
