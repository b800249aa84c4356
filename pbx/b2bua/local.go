package b2bua

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/dtmf"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/sdp"
	"github.com/yimen/yimen/pbx/trunk"
)

// Application answers calls to a number itself (an IVR flow). Run drives the
// call and returns when done; the call is hung up then unless it was
// transferred to an extension, in which case it lives on as a bridged call.
type Application interface {
	Run(ctx context.Context, call *LocalCall)
}

// AppRouter maps a dialled number to an application.
type AppRouter interface {
	App(tenant, number string) (Application, bool)
}

// SetApps installs the application router before the PBX serves.
func (m *Manager) SetApps(r AppRouter) { m.apps = r }

// dtmfSink receives keys from SIP INFO for an application call.
type dtmfSink interface{ Push(k byte) }

// LocalCall is a call answered by the PBX: the caller's leg of a bridge whose
// other leg is unused until a transfer.
type LocalCall struct {
	c *call
}

// Info describes the call.
func (l *LocalCall) Info() CallInfo { return l.c.info() }

// Caller and Number are the calling extension and the dialled number.
func (l *LocalCall) Caller() string { return l.c.caller }

// Number is the dialled number.
func (l *LocalCall) Number() string { return l.c.callee }

// Done is closed when the call has ended.
func (l *LocalCall) Done() <-chan struct{} { return l.c.done }

// PayloadType is the negotiated G.711 payload type (0 PCMU, 8 PCMA).
func (l *LocalCall) PayloadType() uint8 { return l.c.codecs[0].PT }

// DTMFPayloadType is the negotiated telephone-event type, or -1.
func (l *LocalCall) DTMFPayloadType() int {
	if l.c.dtmf == nil {
		return -1
	}
	return int(l.c.dtmf.PT)
}

// WriteRTP sends a packet to the caller from the caller's relay port.
func (l *LocalCall) WriteRTP(pkt []byte) error { return l.c.leg(sideA).WriteRTP(pkt) }

// SetTap attaches the application's media tap (the DTMF detector); it is
// re-attached when a transfer ends and the caller returns to the application.
func (l *LocalCall) SetTap(t interface{ OnRTP(int, []byte) }) {
	l.c.mu.Lock()
	l.c.appTap = t
	l.c.mu.Unlock()
	l.c.bridge.SetTap(t)
}

// SetKeySink routes SIP INFO keys of this call to s.
func (l *LocalCall) SetKeySink(s interface{ Push(byte) }) {
	l.c.mu.Lock()
	l.c.keys = s
	l.c.mu.Unlock()
}

// Answer answers the caller with one codec and starts its media.
func (l *LocalCall) Answer(ctx context.Context) error {
	c := l.c
	c.mu.Lock()
	if c.state != stateRinging || c.finalSent {
		c.mu.Unlock()
		return fmt.Errorf("answer: call is not ringing: %w", errs.ErrConflict)
	}
	c.codecs = c.codecs[:1] // we send audio ourselves: settle on one codec
	c.state = stateAnswered
	c.answered = c.m.now()
	c.disposition, c.code = DispositionAnswered, 200
	body := c.legSDP(sideA, c.codecs, c.dtmf, sdp.AnswerDirection(c.offer.Direction), c.offer)
	res := c.respondALocked(200, "OK", body)
	at := c.answered
	c.mu.Unlock()
	c.m.cdrs.answered(c.id, at)
	go c.retransmitUntilAck(res)
	return nil
}

// Hangup ends the call.
func (l *LocalCall) Hangup(ctx context.Context) { l.c.hangup("system", CauseAppHangup) }

// Transferred reports whether the caller is now bridged to an extension.
func (l *LocalCall) Transferred() bool {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return l.c.winner != nil
}

// Transfer rings ext for up to the ring timeout and bridges the caller to
// whichever of its contacts answers first. It returns the SIP outcome: 200
// when bridged, else 404, 480, 486, 408 (no answer) and the like.
func (l *LocalCall) Transfer(ctx context.Context, ext string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, l.c.m.cfg.RingTimeout)
	defer cancel()
	code, _, err := l.Ring(ctx, ext)
	return code, err
}

// Ring rings ext until ctx ends. Rings for several extensions may run at
// once (ring-all): they share one outcome, and answeredBy names the
// extension that won. When ctx ends first, only ext's forks are cancelled.
func (l *LocalCall) Ring(ctx context.Context, ext string) (code int, answeredBy string, err error) {
	c, m := l.c, l.c.m
	targets, known := m.loc.Locate(c.tenant, ext)
	var plan *trunk.Plan
	if !known {
		var code int
		if plan, code = m.ringPlan(ctx, c, ext); plan == nil {
			return code, "", nil
		}
	} else if len(targets) == 0 {
		return 480, "", nil
	}
	c.mu.Lock()
	if c.state != stateAnswered || c.winner != nil {
		c.mu.Unlock()
		if plan != nil {
			plan.End()
		}
		return 0, "", fmt.Errorf("transfer: call is not in the application: %w", errs.ErrConflict)
	}
	tr := c.transfer
	if tr == nil {
		tr = &ringing{done: make(chan struct{})}
		c.transfer = tr
		c.forks = c.forks[:0:0]
	}
	n := len(c.forks)
	for _, t := range targets {
		c.startFork(t, ext)
	}
	if plan != nil {
		if c.plan != nil {
			c.plan.End() // an earlier ring out that failed
		}
		c.plan = plan
		c.nextTrunkLocked()
	}
	if len(c.forks) == n {
		if n == 0 {
			c.transfer = nil
		}
		c.mu.Unlock()
		return 503, "", nil
	}
	c.mu.Unlock()
	select {
	case <-tr.done:
	case <-ctx.Done():
		c.mu.Lock()
		c.dropForksLocked(ext)
		if c.state == stateEnded {
			// ctx is (or derives from) the call's own: the caller hung up.
			c.mu.Unlock()
			return 0, "", fmt.Errorf("transfer: caller hung up: %w", errs.ErrUnavailable)
		}
		if c.transfer == tr {
			c.forkFailedLocked() // ends the ring if this was its last live fork
		}
		c.mu.Unlock()
		select {
		case <-tr.done:
			if tr.code == 200 {
				return 200, tr.ext, nil // answered just as we gave up
			}
		default:
		}
		return 408, "", nil // ext did not answer in time (others may still ring)
	case <-c.done:
		c.mu.Lock()
		c.dropForksLocked(ext) // the target stops ringing with the caller gone
		c.mu.Unlock()
		return 0, "", fmt.Errorf("transfer: caller hung up: %w", errs.ErrUnavailable)
	}
	if tr.code == 200 && tr.ext != ext {
		return 200, tr.ext, nil // answered by someone else
	}
	return tr.code, tr.ext, nil
}

// BridgeEnded is closed when the extension the caller was transferred to
// hangs up; the caller is then back in the application (e.g. for a survey).
// Asked after that leg already hung up, it is the closed channel of that
// bridge; nil when the call was never bridged.
func (l *LocalCall) BridgeEnded() <-chan struct{} {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	if l.c.bridgeEnded == nil {
		return l.c.endedBridge
	}
	return l.c.bridgeEnded
}

// endBridgeLocked closes the current bridge's channel, keeping it for
// BridgeEnded. Called with c.mu held.
func (c *call) endBridgeLocked() {
	if c.bridgeEnded == nil {
		return
	}
	close(c.bridgeEnded)
	c.endedBridge, c.bridgeEnded = c.bridgeEnded, nil
}

// unbridge returns the caller to the application after the far leg hung up.
func (c *call) unbridge() {
	c.mu.Lock()
	if c.winner == nil || c.bridgeEnded == nil {
		c.mu.Unlock()
		return
	}
	c.winner = nil
	c.leg(sideB).SetRemote(netip.AddrPort{})
	far := c.unspliceLocked()
	c.endBridgeLocked()
	tap := c.appTap
	c.mu.Unlock()
	if far != nil {
		_ = far.Close()
	}
	if tap != nil {
		c.bridge.SetTap(tap)
	}
}

// runApp starts an application on a new local call.
func (c *call) runApp(app Application) {
	lc := &LocalCall{c: c}
	go func() {
		app.Run(c.ctx, lc)
		c.mu.Lock()
		answered, bridged := c.state == stateAnswered, c.winner != nil
		if c.state == stateRinging && !c.finalSent {
			c.disposition, c.code = DispositionFailed, 480
			c.respondALocked(480, "Temporarily Unavailable", nil)
		}
		c.mu.Unlock()
		switch {
		case bridged:
		case answered:
			c.hangup("system", CauseAppHangup)
		default:
			c.end("system", CauseAppHangup)
		}
	}()
}

// infoKey returns what delivers a SIP INFO key to an application call (a
// no-op for a body that carries no key); false when the call has no
// application listening.
func (c *call) infoKey(req *sip.Request) (push func(), ok bool) {
	c.mu.Lock()
	sink, inApp := c.keys, c.winner == nil && c.state == stateAnswered
	c.mu.Unlock()
	if sink == nil || !inApp {
		return nil, false
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	k, isKey := parseInfoKey(ct, req.Body())
	return func() {
		if isKey {
			sink.Push(k)
		}
	}, true
}

func parseInfoKey(contentType string, body []byte) (byte, bool) {
	return dtmf.ParseINFO(contentType, body)
}
