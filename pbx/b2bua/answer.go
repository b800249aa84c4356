package b2bua

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// ErrNoRemoteAnswer: the ringing endpoint refused the "answer now" request;
// it does not take remote answer (or has it switched off).
var ErrNoRemoteAnswer = callevent.ErrNoRemoteAnswer

// remoteAnswerWait bounds how long the phone may take to send its 200 once
// it accepted the NOTIFY.
const remoteAnswerWait = 5 * time.Second

// RemoteAnswer answers ext's ringing phone for it (CTI call.answer): a
// NOTIFY with "Event: talk" goes to the contact being rung, outside any
// confirmed dialog (the Broadsoft/Polycom/Yealink way); a phone that takes
// it answers the INVITE. It returns once the phone answered, ErrNoRemoteAnswer (wrapping
// ErrUnavailable) when the phone refused the NOTIFY.
func (m *Manager) RemoteAnswer(ctx context.Context, tenant, callID, ext string) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	var f *fork
	for _, x := range c.forks {
		if x.ext == ext && x.final == 0 && !x.dropped && !x.cancelled {
			f = x
			break
		}
	}
	if f == nil {
		c.mu.Unlock()
		return fmt.Errorf("extension %s is not ringing for call %s: %w", ext, callID, errs.ErrConflict)
	}
	// Sent with the ringing INVITE's Call-ID and From tag (no To tag: the
	// dialog is not confirmed), so the phone can tell which call to answer.
	notify := f.dlg.newRequest(sip.NOTIFY, m.contactURI(f.dlg.transport))
	c.mu.Unlock()
	notify.AppendHeader(&sip.ContactHeader{Address: m.contactURI(notify.Transport())})
	notify.AppendHeader(sip.NewHeader("Event", "talk"))
	notify.AppendHeader(sip.NewHeader("Subscription-State", "active"))
	if m.cfg.UserAgent != "" {
		notify.AppendHeader(sip.NewHeader("User-Agent", m.cfg.UserAgent))
	}
	nctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	res, err := m.forward(nctx, f.dlg, notify)
	if err != nil {
		return fmt.Errorf("remote answer: NOTIFY to %s not answered: %w", ext, errs.ErrUnavailable)
	}
	if !res.IsSuccess() {
		m.log.Info("remote answer refused", "call", c.id, "ext", ext, "code", res.StatusCode)
		return fmt.Errorf("%w: %s answered %d %s: %w", ErrNoRemoteAnswer, ext, res.StatusCode, res.Reason, errs.ErrUnavailable)
	}
	deadline := time.NewTimer(remoteAnswerWait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		final := f.final
		c.mu.Unlock()
		switch {
		case final >= 200 && final < 300:
			m.log.Info("remote answer", "call", c.id, "ext", ext)
			return nil
		case final != 0:
			return fmt.Errorf("remote answer: %s ended the ring with %d: %w", ext, final, errs.ErrConflict)
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("remote answer: %s took the NOTIFY but did not answer within %s: %w", ext, remoteAnswerWait, errs.ErrUnavailable)
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return fmt.Errorf("remote answer: the call ended: %w", errs.ErrConflict)
		}
	}
}
