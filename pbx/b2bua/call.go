package b2bua

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/sdp"
	"github.com/yimen/yimen/pbx/trunk"
)

type callState int

const (
	stateRinging callState = iota
	stateAnswered
	stateEnded
)

// Sides of a call, as the media bridge numbers its legs.
const (
	sideA = 0 // the caller
	sideB = 1 // the callee
)

var sideNames = [2]string{"caller", "callee"}

// call is one bridged call: the caller's dialog, the callee forks and, once
// answered, the winning callee dialog. Its fields are grouped by the
// concern that owns them; each concern's file says what holds for them.
// The fields above mu are set when the call is created and only read after
// (codecs, dtmf and the peer of a placed call's c.a excepted: settled on
// answer, under mu); everything below mu is guarded by it unless it says
// otherwise.
type call struct {
	m      *Manager
	id     string
	tenant string
	caller string
	callee string

	// The caller's INVITE and its transaction, until the caller ACKs our
	// 2xx (forgetInvite): they are what a final response is built from
	// and sent through, and nothing after the ACK needs them. Under mu
	// once the call is tracked. What outlives them is copied out at
	// creation: aSeq (an ACK or a late copy of the INVITE is recognised by
	// it), aHost/aPort (the Request-URI's, named to a transfer's target)
	// and aDisplay (the caller's display name, shown to every leg rung).
	aInvite  *sip.Request
	aTx      sip.ServerTransaction
	aSeq     uint32
	aHost    string
	aPort    int
	aDisplay string
	a        *dialog
	bridge   *media.Bridge
	codecs   []sdp.Codec
	dtmf     *sdp.Codec
	ptime    int
	sdpOut   [2]*sdp.VersionCounter // what we send to each side
	aFinal   chan struct{}          // closed when A's INVITE has its final response
	acked    chan struct{}          // closed when A ACKs our 200
	// offer is the caller's original offer, until the caller has its
	// final response (our answer is built from it); offerDir, its
	// direction, is what a transfer's target is offered for the rest of
	// the call. Codecs and telephone-event are kept detached from the
	// offer's body (keptCodecs), so dropping offer lets the body go.
	offer    *sdp.Session
	offerDir sdp.Direction
	done     chan struct{} // closed when the call has ended
	// ctx is the call's own context, cancelled right after done is closed:
	// what is started for the call (an application, a transfer's ring,
	// relayed re-INVITEs, a monitor's mix) gives up with it. Requests that
	// must outlive the call (its BYEs and CANCELs) do not use it.
	ctx     context.Context
	cancel  context.CancelFunc
	app     bool   // answered by an application
	origin  bool   // placed by the PBX (click-to-dial): leg A is our INVITE to the agent
	display string // caller ID shown to the far leg, when set
	ackOnce sync.Once
	endOnce sync.Once
	slot    *slot // the call's place in the call limits, given back at its end
	// refreshed is when a party last refreshed the session (re-INVITE or
	// UPDATE, unix ns): a carrier's session timer watches it (session_timer.go).
	refreshed atomic.Int64
	// A carrier call's (trunk_call.go): the inbound trunk and DID it
	// came in on, set at creation; plan is the way out through trunks,
	// set under mu.
	carrierIn *trunk.Inbound
	plan      *trunk.Plan

	mu sync.Mutex

	// The call's life (call.go, invite.go) and its CDR.
	state       callState
	finalSent   bool // the caller's INVITE has its final response
	start       time.Time
	answered    time.Time
	disposition Disposition
	code        int

	// Forking (fork.go).
	forks       []*fork
	winner      *fork // side B once answered
	early       *fork // the fork whose early media is bridged
	ringingSent bool
	ringTimer   *time.Timer
	onCancel    *cancelHook // the caller's INVITE transaction's way to the call

	// Hold (hold.go) and re-INVITEs (indialog.go).
	reinviting bool
	holdSince  time.Time
	hold       time.Duration

	// An application's call (local.go) and blind transfer (transfer.go).
	transfer    *ringing // a transfer ringing
	keys        dtmfSink // where an application call's keys go (nil otherwise)
	appTap      interface{ OnRTP(int, []byte) }
	bridgeEnded chan struct{} // closed when a transferred-to leg hangs up
	// endedBridge is the last bridgeEnded closed, what BridgeEnded gives an
	// application that asks after the far leg already hung up.
	endedBridge chan struct{}

	// Consultation (consult.go), splicing (splice.go) and joins (join.go).
	consult *consult // an attended transfer in progress
	splice  *splice  // media carried through another bridge
	// SRTP (srtp.go): the key offered to a side whose answer has not come.
	srtpOffer  [2]*media.SRTPKey
	joinedLeg  [2]atomic.Pointer[media.Leg] // a side's leg when it is not this bridge's (a joined party); read without mu
	keepBridge bool                         // the bridge went to another call with its party

	// Side A after the caller transferred (caller_transfer.go): c.a stays
	// the dialog the call was set up with, for its identity.
	aJoined atomic.Pointer[dialog] // the party joined into side A in the caller's place; read without mu
	aExt    string                 // its extension
	aLeft   bool                   // the caller left; a blind transfer's target is not in yet
}

func (c *call) dialogFor(side int) *dialog {
	if side == sideA {
		if c.aLeft {
			return nil
		}
		if d := c.aJoined.Load(); d != nil {
			return d
		}
		return c.a
	}
	if c.winner != nil {
		return c.winner.dlg
	}
	return nil
}

func (c *call) sideOf(callID string) int {
	if callID == c.a.callID {
		return sideA
	}
	if d := c.aJoined.Load(); d != nil && d.callID == callID {
		return sideA
	}
	return sideB
}

func (c *call) leg(side int) *media.Leg {
	if l := c.joinedLeg[side].Load(); l != nil {
		return l
	}
	return c.bridge.Leg(side)
}

// keptCodecs copies codecs a call keeps for its length out of the SDP body
// they were parsed from (sdp.Codec.Detached), into a slice of their own.
func keptCodecs(cs []sdp.Codec) []sdp.Codec {
	out := make([]sdp.Codec, len(cs))
	for i := range cs {
		out[i] = cs[i].Detached()
	}
	return out
}

// keptDTMF is keptCodecs for the telephone-event format, nil for none.
func keptDTMF(d *sdp.Codec) *sdp.Codec {
	if d == nil {
		return nil
	}
	k := d.Detached()
	return &k
}

// legSDP builds the SDP we send to side, pointing at that side's relay port.
func (c *call) legSDP(side int, codecs []sdp.Codec, dtmf *sdp.Codec, dir sdp.Direction, answerTo *sdp.Session) []byte {
	la := c.leg(side).LocalAddr()
	r := sdp.Rewrite{
		Addr: la.Addr(), Port: int(la.Port()), Codecs: codecs, DTMF: dtmf, Direction: dir,
		Username: "yimen", PTime: c.ptime,
	}
	c.sdesFor(side, &r, answerTo)
	return c.sdpOut[side].Build(r, answerTo)
}

// setRemote points a relay leg at the address in that side's SDP.
func (c *call) setRemote(side int, s *sdp.Session) {
	// The relay accepts media only from the SDP's host or the host the
	// party signals from (a phone behind NAT): tell it the latter too.
	if d := c.signalDialog(side); d != nil {
		if ap, err := netip.ParseAddrPort(d.destination()); err == nil {
			c.leg(side).SetSignalHost(ap.Addr())
		}
	}
	c.keyLeg(side, s)
	if s.Port == 0 || !s.Addr.IsValid() || s.Addr.IsUnspecified() {
		return
	}
	c.leg(side).SetRemote(netip.AddrPortFrom(s.Addr, uint16(s.Port)))
}

// signalDialog is the dialog of the party on side, or of the fork whose
// early media side B carries before anyone answered.
func (c *call) signalDialog(side int) *dialog {
	if d := c.dialogFor(side); d != nil {
		return d
	}
	if side == sideB && c.early != nil {
		return c.early.dlg
	}
	return nil
}

// newCallContext is a new call's context: not derived from a request's,
// since the call outlives the INVITE that started it.
func newCallContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// hangup ends the call from side ("caller", "callee" or "system"), sending BYE
// to every leg that did not hang up itself.
func (c *call) hangup(side string, cause Cause) {
	c.mu.Lock()
	if c.state == stateEnded {
		c.mu.Unlock()
		return
	}
	answered := c.state == stateAnswered
	var byes []*dialog
	if answered {
		if d := c.dialogFor(sideA); d != nil && side != sideNames[sideA] {
			byes = append(byes, d)
		}
		if side != sideNames[sideB] && c.winner != nil {
			byes = append(byes, c.winner.dlg)
		}
	} else {
		// Still ringing: cancel the forks and fail the caller's INVITE.
		c.cancelForksLocked()
		c.respondALocked(503, "Service Unavailable", nil)
	}
	c.mu.Unlock()
	for _, d := range byes {
		c.m.sendBye(d)
	}
	c.end(side, cause)
}

// end records the call's end once: CDR, media released, untracked.
func (c *call) end(side string, cause Cause) {
	c.endOnce.Do(func() {
		now := c.m.now()
		c.mu.Lock()
		c.state = stateEnded
		if c.ringTimer != nil {
			c.ringTimer.Stop()
		}
		if c.onCancel != nil {
			c.onCancel.release()
		}
		if !c.holdSince.IsZero() {
			c.hold += now.Sub(c.holdSince)
			c.holdSince = time.Time{}
		}
		cdr := pbxstore.CDR{
			ID: c.id, Tenant: c.tenant, Caller: c.caller, Callee: c.callee, ACallID: c.a.callID,
			Start: c.start, End: now, Answer: c.answered, Hold: c.hold,
			Disposition: c.disposition.String(), HangupSide: side, HangupCause: cause.String(), SIPCode: c.code,
		}
		if c.winner != nil {
			cdr.BCallID = c.winner.dlg.callID
		}
		cdr.Trunk, cdr.RawCaller = c.trunkOfLocked()
		if c.answered.IsZero() {
			cdr.Ring = now.Sub(c.start)
		} else {
			cdr.Ring = c.answered.Sub(c.start)
			cdr.Talk = now.Sub(c.answered)
		}
		ids := []string{c.a.callID}
		if d := c.aJoined.Load(); d != nil {
			ids = append(ids, d.callID)
		}
		for _, f := range c.forks {
			ids = append(ids, f.dlg.callID)
		}
		c.mu.Unlock()
		a, b := c.leg(sideA).Stats(), c.leg(sideB).Stats()
		cdr.A = pbxstore.LegStats{PacketsIn: a.PacketsIn, PacketsOut: a.PacketsOut, BytesIn: a.BytesIn, BytesOut: a.BytesOut}
		cdr.B = pbxstore.LegStats{PacketsIn: b.PacketsIn, PacketsOut: b.PacketsOut, BytesIn: b.BytesIn, BytesOut: b.BytesOut}
		cdr.DroppedForeign = a.DroppedForeign + b.DroppedForeign
		c.m.notifyEnded(c, cdr)
		c.mu.Lock()
		far, keep := c.unspliceLocked(), c.keepBridge
		c.mu.Unlock()
		if far != nil {
			_ = far.Close()
		}
		if !keep {
			_ = c.bridge.Close()
		}
		close(c.done)
		c.cancel()
		c.m.admit.release(c.slot)
		c.endTrunks()
		c.m.untrack(c, ids...)
		c.m.m.ended.WithLabelValues(cause.String()).Inc()
		c.m.m.setups.WithLabelValues(cdr.Disposition).Inc()
		c.m.cdrs.add(cdr)
		c.m.log.Info("call ended", "call", c.id, "tenant", c.tenant, "disposition", cdr.Disposition,
			"hangup_side", side, "cause", cause.String(), "talk_ms", cdr.Talk.Milliseconds(), "a_in", a.PacketsIn, "b_in", b.PacketsIn)
	})
}

// sendBye sends BYE in dialog d and waits for its answer in the background.
func (m *Manager) sendBye(d *dialog) {
	req := d.newRequest(sip.BYE, m.dialogContact(d))
	go func() {
		// Not the call's context: the BYE is sent as the call ends.
		ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
		defer cancel()
		if _, err := m.forward(ctx, d, req); err != nil {
			m.log.Warn("BYE not answered", "call_id", d.callID, "err", err)
		}
	}()
}
