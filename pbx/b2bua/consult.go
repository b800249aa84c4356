package b2bua

import (
	"context"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// Attended transfer (consultation): the agent on one side of an answered
// call puts the other party on hold and rings a target from the PBX, on a
// call of its own (cons.k); once it answers, the agent's leg is spliced to
// it. The agent then completes (the held party is joined to the target),
// cancels (back to the held party) or conferences (all three).
//
// What holds, under c.mu:
//   - c.consult is set for the consultation's whole life and cleared, with
//     cons.over closed, exactly once by whichever way it ends (dropConsult,
//     endConsult, completeConsult, conferenceConsult); a function that
//     finds c.consult no longer cons does nothing.
//   - cons.side is the agent's side; 1-cons.side, the other party, is on
//     hold (re-INVITEd sendonly and not relayed) until the consultation ends.
//   - cons.k is set before cons.placed closes; code that needs the target's
//     call waits on cons.placed first.
//   - cons.talking and cons.conference are set under c.mu before cons.over
//     closes.
//
// Who ends what: the held party hanging up ends the target's call
// (CauseConsultAbandoned); the target hanging up or not answering ends only
// the consultation; the agent hanging up completes the transfer when the
// target talks and cancels it otherwise. The target's call ends with
// consultEndCause, or CauseTransferred once joined.

// consult is an attended transfer in progress on a call: the agent talks
// with the target while the other party waits on hold.
type consult struct {
	agent  string
	side   int // the agent's side of the call
	to     string
	placed chan struct{} // closed once k is set
	k      *call         // the PBX's call to the target
	over   chan struct{} // closed when the consultation ends, however it ends
	// Set under the call's lock before over is closed:
	talking    bool // the target answered and is spliced to the agent
	conference bool // ended by joining all three
}

// Consult puts the other party of ext's call on hold and rings to; once to
// answers, ext's leg is spliced to it (ext's phone keeps its one call). Then
// CompleteConsult hands the other party to to, CancelConsult goes back, and
// Conference(to) joins all three. ext may be either side of the call: the
// agent a queue or a caller reached, or the agent who placed it.
func (m *Manager) Consult(ctx context.Context, tenant, callID, ext, to string) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	side, err := c.transferSideLocked(ext)
	switch {
	case err != nil:
		c.mu.Unlock()
		return err
	case ext == to:
		c.mu.Unlock()
		return fmt.Errorf("consult: %s cannot consult itself: %w", ext, errs.ErrInvalid)
	case c.consult != nil || c.transfer != nil || c.reinviting:
		c.mu.Unlock()
		return fmt.Errorf("call %s is busy (a consultation or transfer is in progress): %w", callID, errs.ErrConflict)
	case c.splice != nil:
		c.mu.Unlock()
		return fmt.Errorf("call %s: a party that came by transfer talks through a splice; consulting from it is not supported: %w", callID, errs.ErrUnavailable)
	}
	cons := &consult{agent: ext, side: side, to: to, placed: make(chan struct{}), over: make(chan struct{})}
	c.consult = cons
	c.mu.Unlock()

	if err := m.holdParty(ctx, c, side, true); err != nil {
		m.dropConsult(c, cons)
		return err
	}
	c.bridge.SetHold(1-side, true) // the agent no longer hears the other party
	k, err := m.originateCall(tenant, to, "consult:"+ext, ext, c, nil,
		func(ok bool) {
			if !ok {
				<-cons.placed
				go m.consultFailed(c, cons)
			}
		},
		func(k *call) {
			<-cons.placed
			m.consultTalk(c, cons, k)
		})
	if err != nil {
		close(cons.placed)
		m.endConsult(c, cons, callevent.ConsultFailed, 0)
		return fmt.Errorf("consult %s: %w", to, err)
	}
	c.mu.Lock()
	cons.k = k
	c.mu.Unlock()
	close(cons.placed)
	m.log.Info("consultation started", "call", c.id, "agent", ext, "to", to, "consult_call", k.id)
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferAttended, State: callevent.ConsultRinging, From: ext, To: to})
	go func() { // the other party hung up: the target goes too
		select {
		case <-c.done:
			if m.dropConsult(c, cons) {
				k.hangup("system", CauseConsultAbandoned)
			}
		case <-cons.over:
		}
	}()
	return nil
}

// consultTalk splices the agent to the target who answered, and waits for
// the consultation to end. It runs on the target call's goroutine.
func (m *Manager) consultTalk(c *call, cons *consult, k *call) {
	c.mu.Lock()
	if c.consult != cons || c.state != stateAnswered {
		c.mu.Unlock()
		k.hangup("system", CauseConsultAbandoned)
		return
	}
	cons.talking = true
	c.spliceTo(cons.side, k.bridge, sideA, false)
	c.mu.Unlock()
	m.log.Info("consultation answered", "call", c.id, "agent", cons.agent, "to", cons.to)
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferAttended, State: callevent.ConsultAnswered, From: cons.agent, To: cons.to})
	select {
	case <-k.done: // the target hung up: back to the other party
		m.endConsult(c, cons, callevent.ConsultCancelled, 0)
	case <-cons.over:
		c.mu.Lock()
		conf := cons.conference
		c.mu.Unlock()
		if conf {
			monitorApp{m: m, mode: Barge, target: cons.agent}.Run(k.ctx, &LocalCall{c: k})
			k.hangup("system", CauseConferenceEnded)
		}
	}
}

// consultFailed: the target did not answer, was busy or unknown.
func (m *Manager) consultFailed(c *call, cons *consult) {
	k := cons.k
	k.mu.Lock()
	code := k.code
	k.mu.Unlock()
	m.log.Info("consultation target did not answer", "call", c.id, "to", cons.to, "code", code)
	m.endConsult(c, cons, callevent.ConsultFailed, code)
}

// dropConsult detaches cons from c; false when it was no longer there.
func (m *Manager) dropConsult(c *call, cons *consult) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.consult != cons {
		return false
	}
	c.consult = nil
	close(cons.over)
	return true
}

// endConsult puts the agent back with the other party: the target is hung
// up (if still there), the splice undone and the other party resumed.
func (m *Manager) endConsult(c *call, cons *consult, state string, code int) bool {
	c.mu.Lock()
	if c.consult != cons {
		c.mu.Unlock()
		return false
	}
	c.consult = nil
	c.unspliceLocked()
	k := cons.k
	close(cons.over)
	c.mu.Unlock()
	if k != nil {
		k.hangup("system", consultEndCause(state))
	}
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferAttended, State: state, From: cons.agent, To: cons.to, Code: code})
	c.bridge.SetHold(1-cons.side, false)
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := m.holdParty(ctx, c, cons.side, false); err != nil && !c.isEnded() {
		m.log.Warn("consultation: could not resume the held party", "call", c.id, "err", err)
	}
	return true
}

// consultEndCause is the cause the consultation call ends with when the
// consultation ends in state (callevent.ConsultFailed or ConsultCancelled).
func consultEndCause(state string) Cause {
	if state == callevent.ConsultFailed {
		return CauseConsultFailed
	}
	return CauseConsultCancelled
}

// consultOf returns ext's consultation on the call, or a conflict.
func (m *Manager) consultOf(tenant, callID, ext string) (*call, *consult, error) {
	c, err := m.find(tenant, callID)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cons := c.consult
	if cons == nil {
		if c.winner == nil || (c.winner.ext != ext && c.extOf(sideA) != ext) {
			return nil, nil, fmt.Errorf("extension %s is not on call %s: %w", ext, callID, errs.ErrForbidden)
		}
		return nil, nil, fmt.Errorf("call %s has no consultation in progress: %w", callID, errs.ErrConflict)
	}
	if cons.agent != ext {
		return nil, nil, fmt.Errorf("extension %s is not consulting on call %s: %w", ext, callID, errs.ErrForbidden)
	}
	return c, cons, nil
}

// CancelConsult ends ext's consultation: the target is hung up (or no longer
// rung) and ext is back with the other party, who is resumed.
func (m *Manager) CancelConsult(ctx context.Context, tenant, callID, ext string) error {
	c, cons, err := m.consultOf(tenant, callID, ext)
	if err != nil {
		return err
	}
	<-cons.placed
	if !m.endConsult(c, cons, callevent.ConsultCancelled, 0) {
		return fmt.Errorf("call %s: the consultation already ended: %w", callID, errs.ErrConflict)
	}
	m.log.Info("consultation cancelled", "call", callID, "agent", ext, "to", cons.to)
	return nil
}

// CompleteConsult hands the other party of ext's call to the target ext is
// consulting: the two are joined, the other party resumed, and ext's leg
// hung up. The call keeps its id; its CDR names the target as the callee
// leg, and the consultation call's own CDR ends as "transferred".
// to, when not empty, must be the extension being consulted.
func (m *Manager) CompleteConsult(ctx context.Context, tenant, callID, ext, to string) error {
	c, cons, err := m.consultOf(tenant, callID, ext)
	if err != nil {
		return err
	}
	if to != "" && to != cons.to {
		return fmt.Errorf("call %s: the consultation is with %s, not %s: %w", callID, cons.to, to, errs.ErrConflict)
	}
	<-cons.placed
	return m.completeConsult(ctx, c, cons, true)
}

// completeConsult joins the target into c; byeAgent is false when the agent
// already hung up (hanging up while consulting completes the transfer).
func (m *Manager) completeConsult(ctx context.Context, c *call, cons *consult, byeAgent bool) error {
	c.mu.Lock()
	if c.consult != cons {
		c.mu.Unlock()
		return fmt.Errorf("call %s: the consultation already ended: %w", c.id, errs.ErrConflict)
	}
	if !cons.talking {
		c.mu.Unlock()
		return fmt.Errorf("call %s: %s has not answered yet (cancel instead): %w", c.id, cons.to, errs.ErrConflict)
	}
	c.consult = nil
	close(cons.over)
	c.mu.Unlock()
	to, err := m.join(c, cons.k, sideA, cons.side, byeAgent)
	if err != nil {
		m.endConsult(c, cons, callevent.ConsultCancelled, 0)
		return err
	}
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferAttended, State: callevent.ConsultCompleted, From: cons.agent, To: to})
	if err := m.holdParty(ctx, c, cons.side, false); err != nil && !c.isEnded() {
		m.log.Warn("transfer: could not resume the held party", "call", c.id, "err", err)
	}
	return nil
}

// ConferenceConsult joins the target of ext's consultation to the call as a
// third party (all three hear each other), instead of handing the call over.
func (m *Manager) conferenceConsult(ctx context.Context, c *call, cons *consult) (string, error) {
	<-cons.placed
	c.mu.Lock()
	if c.consult != cons || !cons.talking {
		c.mu.Unlock()
		return "", fmt.Errorf("call %s: %s has not answered the consultation: %w", c.id, cons.to, errs.ErrConflict)
	}
	c.consult = nil
	cons.conference = true
	c.unspliceLocked()
	close(cons.over)
	c.mu.Unlock()
	if err := m.holdParty(ctx, c, cons.side, false); err != nil && !c.isEnded() {
		m.log.Warn("conference: could not resume the held party", "call", c.id, "err", err)
	}
	m.log.Info("consultation joined into a conference", "call", c.id, "agent", cons.agent, "to", cons.to)
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferAttended, State: callevent.ConsultConferenced, From: cons.agent, To: cons.to})
	return cons.k.id, nil
}

// agentLeftConsult handles side hanging up while consulting: an answered
// consultation completes the transfer, a ringing one is dropped. It
// reports whether the BYE was taken care of.
func (m *Manager) agentLeftConsult(c *call, side int) bool {
	c.mu.Lock()
	cons := c.consult
	c.mu.Unlock()
	if cons == nil || cons.side != side {
		return false
	}
	<-cons.placed
	c.mu.Lock()
	talking := cons.talking && c.consult == cons
	c.mu.Unlock()
	if talking && m.completeConsult(c.ctx, c, cons, false) == nil {
		return true
	}
	m.endConsult(c, cons, callevent.ConsultCancelled, 0)
	return false
}
