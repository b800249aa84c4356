package contactcenter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// The CTI's call commands act from the agent's extension: the PBX checks
// the call is theirs.
var (
	_ cti.CallControl = (*ContactCenter)(nil)
	_ cti.Monitoring  = (*ContactCenter)(nil)
)

func (cc *ContactCenter) endpoint(ctx context.Context, tenant, agentID string) (string, error) {
	st, err := cc.ACD.Agent(ctx, tenant, agentID)
	if err != nil {
		return "", err
	}
	return st.Endpoint, nil
}

// answerRace is how long call.answer waits for the ring it answers to start.
const answerRace = time.Second

// Answer makes the agent's ringing phone answer (NOTIFY Event: talk); a
// phone that refuses gets the CTI code "unsupported".
func (cc *ContactCenter) Answer(ctx context.Context, tenant, agent, callID string) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	err = cc.calls.RemoteAnswer(ctx, tenant, callID, ext)
	// call.ringing goes out as the ACD offers the call, a moment before the
	// PBX's INVITE reaches the agent's device: an answer key pressed at once
	// (the browser bar's shortcut) waits for the ring rather than failing.
	for wait := time.Now().Add(answerRace); errors.Is(err, errs.ErrConflict) && time.Now().Before(wait); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		err = cc.calls.RemoteAnswer(ctx, tenant, callID, ext)
	}
	if errors.Is(err, callevent.ErrNoRemoteAnswer) {
		return &protocol.Error{Code: protocol.CodeUnsupported, Message: "the agent's phone does not take remote answer (NOTIFY Event: talk): " + err.Error()}
	}
	return err
}

// Hangup ends the agent's call from the system side; a call the agent's
// extension is not on is refused (ErrForbidden), whoever asks.
func (cc *ContactCenter) Hangup(ctx context.Context, tenant, agent, callID string) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return cc.calls.HangupParty(tenant, callID, ext)
}

// Dial rings the agent's phone, then to (click-to-dial).
func (cc *ContactCenter) Dial(ctx context.Context, tenant, agent, to, callerID string) (string, error) {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return "", err
	}
	bg := context.WithoutCancel(ctx)
	// Busy in the ACD first: a queue call offered between the auto-answer
	// below and the PBX's INVITE would otherwise be answered in its place.
	provisional, busy := cc.direct.reserve(bg, tenant, agent)
	if busy || !cc.ringing(bg, tenant, agent) {
		cc.autoAnswer(tenant, ext) // a browser is connected at once, then to rings
	}
	id, err := cc.calls.Originate(ctx, tenant, ext, to, callerID)
	if err != nil {
		if busy {
			cc.direct.release(bg, tenant, provisional)
		}
		return "", err
	}
	if busy {
		cc.direct.place(bg, tenant, provisional, id)
	}
	return id, nil
}

// ringing reports whether a queue call is ringing agent now: its INVITE,
// not the placed call's, would take an auto-answer.
func (cc *ContactCenter) ringing(ctx context.Context, tenant, agent string) bool {
	st, err := cc.ACD.Agent(ctx, tenant, agent)
	return err == nil && st.State == acd.Reserved
}

// Monitor rings the supervisor, then joins the agent's call.
func (cc *ContactCenter) Monitor(ctx context.Context, tenant, supervisor, agent string, mode cti.MonitorMode) (string, error) {
	supExt, err := cc.endpoint(ctx, tenant, supervisor)
	if err != nil {
		return "", err
	}
	agentExt, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return "", err
	}
	cc.autoAnswer(tenant, supExt)
	m := map[cti.MonitorMode]callevent.MonitorMode{cti.Listen: callevent.Listen, cti.Whisper: callevent.Whisper, cti.Barge: callevent.Barge}[mode]
	if m == 0 {
		return "", fmt.Errorf("monitor mode %q: %w", mode, errs.ErrInvalid)
	}
	return cc.calls.Monitor(ctx, tenant, supExt, agentExt, m)
}

// Hold puts the other party of the agent's call on hold.
func (cc *ContactCenter) Hold(ctx context.Context, tenant, agent, callID string) error {
	return cc.hold(ctx, tenant, agent, callID, true)
}

// Unhold resumes the other party.
func (cc *ContactCenter) Unhold(ctx context.Context, tenant, agent, callID string) error {
	return cc.hold(ctx, tenant, agent, callID, false)
}

func (cc *ContactCenter) hold(ctx context.Context, tenant, agent, callID string, hold bool) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return cc.calls.Hold(ctx, tenant, callID, ext, hold)
}

// Transfer moves the other party blind, or completes the agent's
// consultation (attended); either way the agent is done with the call, so
// the ACD moves them on (wrap-up) at once.
func (cc *ContactCenter) Transfer(ctx context.Context, tenant, agent, callID, to string, attended bool) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	if attended {
		err = cc.calls.CompleteConsult(ctx, tenant, callID, ext, to)
	} else {
		err = cc.calls.BlindTransfer(ctx, tenant, callID, ext, to)
	}
	if err != nil {
		return err
	}
	if err := cc.ACD.CallEnded(context.WithoutCancel(ctx), tenant, callID); err != nil && !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	return nil
}

// Consult holds the other party of the agent's call and rings to.
func (cc *ContactCenter) Consult(ctx context.Context, tenant, agent, callID, to string) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return cc.calls.Consult(ctx, tenant, callID, ext, to)
}

// ConsultCancel ends the agent's consultation and resumes the other party.
func (cc *ContactCenter) ConsultCancel(ctx context.Context, tenant, agent, callID string) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return cc.calls.CancelConsult(ctx, tenant, callID, ext)
}

// Conference adds to as a third party to the agent's call.
func (cc *ContactCenter) Conference(ctx context.Context, tenant, agent, callID, to string) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	_, err = cc.calls.Conference(ctx, tenant, callID, ext, to)
	return err
}

// DTMF plays digits to the other party of the agent's call.
func (cc *ContactCenter) DTMF(ctx context.Context, tenant, agent, callID, digits string) error {
	ext, err := cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return cc.calls.SendDTMF(ctx, tenant, callID, ext, digits)
}
