package webrtc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/sdp"
)

// sipEndpoint is the browsers' side of their calls towards the B2BUA: a SIP
// user agent on its own UDP socket whose contacts (one per session, by a
// random user part) are what the locator hands out for an extension whose
// agent has a browser session. It answers; it never starts a transaction:
// the B2BUA ends calls for it (CallEnder), so hang-ups keep their causes.
//
// What it does with each request, for a session found by the Request-URI:
// INVITE rings (180) and waits for a NOTIFY Event: talk (the CTI's
// call.answer) or answers at once after AutoAnswer; a re-INVITE is answered
// with the same port and the mirrored direction; BYE ends the session's
// call; INFO and OPTIONS get 200. Anything for an unknown contact is 404/481.
type sipEndpoint struct {
	m    *Manager
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	conn net.PacketConn
	addr netip.AddrPort
}

func newSIPEndpoint(m *Manager, ip netip.Addr) (*sipEndpoint, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, fmt.Errorf("webrtc: sip listen %s: %w: %w", ip, err, errs.ErrUnavailable)
	}
	_ = conn.SetReadBuffer(1 << 20)
	e := &sipEndpoint{m: m, conn: conn, addr: unmapped(conn.LocalAddr().(*net.UDPAddr).AddrPort())}
	if e.ua, err = sipgo.NewUA(sipgo.WithUserAgent("yimen-webrtc"), sipgo.WithUserAgentHostname(ip.String())); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("webrtc: sip: %w", err)
	}
	if e.srv, err = sipgo.NewServer(e.ua); err != nil {
		_ = e.ua.Close()
		_ = conn.Close()
		return nil, fmt.Errorf("webrtc: sip: %w", err)
	}
	e.srv.OnInvite(e.fromPBX(e.onInvite))
	e.srv.OnAck(e.fromPBX(e.onAck))
	e.srv.OnBye(e.fromPBX(e.onBye))
	e.srv.OnNotify(e.fromPBX(e.onNotify))
	e.srv.OnInfo(e.fromPBX(e.ok))
	e.srv.OnOptions(e.fromPBX(e.ok))
	e.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	e.srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil))
	})
	return e, nil
}

// fromPBX lets through only requests from the B2BUA's host.
func (e *sipEndpoint) fromPBX(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		src, err := netip.ParseAddrPort(req.Source())
		if err != nil || src.Addr().Unmap() != e.m.cfg.SignalFrom {
			e.m.log.Warn("webrtc: SIP request from a host other than the PBX refused", "method", req.Method.String(), "source", req.Source())
			_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
			return
		}
		h(req, tx)
	}
}

func (e *sipEndpoint) serve() {
	if err := e.srv.ServeUDP(e.conn); err != nil && !strings.Contains(err.Error(), "closed") {
		e.m.log.Error("webrtc: sip endpoint stopped", "err", err)
	}
}

func (e *sipEndpoint) close() {
	_ = e.ua.Close()
	_ = e.conn.Close()
}

func (e *sipEndpoint) contact(token string) string {
	return "sip:" + token + "@" + e.addr.String()
}

func (e *sipEndpoint) ok(req *sip.Request, tx sip.ServerTransaction) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
}

func (e *sipEndpoint) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	s := e.m.sessionByToken(req.Recipient.User)
	if s == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil || offer.Port == 0 || !offer.Addr.IsValid() {
		e.m.log.Info("webrtc: INVITE without usable SDP", "agent", s.agent, "err", err)
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		e.reinvite(s, req, tx, offer)
		return
	}
	e.invite(s, req, tx, offer)
}

// invite rings the browser with a new call.
func (e *sipEndpoint) invite(s *session, req *sip.Request, tx sip.ServerTransaction, offer *sdp.Session) {
	s.mu.Lock()
	code, reason := 0, ""
	switch {
	case s.closed || s.state != StateConnected:
		code, reason = 480, "Temporarily Unavailable"
	case s.call != nil:
		code, reason = 486, "Busy Here"
	}
	codec, ok := matchCodec(offer, s.codec)
	if code == 0 && !ok {
		code, reason = 488, "Not Acceptable Here"
	}
	if code != 0 {
		s.mu.Unlock()
		e.m.log.Info("webrtc: call to the browser refused", "agent", s.agent, "code", code, "codec", s.codec.name)
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
		return
	}
	c := &sipCall{id: req.CallID().Value(), localTag: newTag(), invite: req, tx: tx, offer: offer, codec: codec,
		relay: netip.AddrPortFrom(offer.Addr.Unmap(), uint16(offer.Port)), version: 1, sessionID: uint64(time.Now().UnixNano()),
		final: make(chan struct{})}
	s.call = c
	auto := time.Now().Before(s.autoAnswer)
	s.autoAnswer = time.Time{}
	s.refreshLocked()
	s.mu.Unlock()
	e.respond(c, 180, "Ringing", nil)
	if auto {
		e.answer(s, c)
	}
	// sipgo ends the transaction when the handler returns: it waits for
	// the final response (answer, or the session's end) or a CANCEL.
	select {
	case <-c.final:
	case <-tx.Done():
	}
	s.mu.Lock()
	if s.call == c && !c.answered {
		s.call = nil // cancelled, or the B2BUA gave up
		s.refreshLocked()
	}
	s.mu.Unlock()
}

// answer picks up a ringing call.
func (e *sipEndpoint) answer(s *session, c *sipCall) bool {
	s.mu.Lock()
	if s.call != c || c.answered || s.state != StateConnected {
		s.mu.Unlock()
		return false
	}
	c.answered = true
	body := e.sdpFor(s, c, c.offer)
	acked := c.awaitAck(c.invite)
	s.refreshLocked()
	s.mu.Unlock()
	res := e.respond(c, 200, "OK", body)
	go e.resend(c.tx, res, acked)
	e.m.log.Info("webrtc: browser answered", "agent", s.agent, "call", c.id)
	return true
}

// sdpFor is the session's side of c, answering offer. Called with s.mu held.
func (e *sipEndpoint) sdpFor(s *session, c *sipCall, offer *sdp.Session) []byte {
	return sdp.Build(sdp.Rewrite{Addr: s.local.Addr(), Port: int(s.local.Port()), Codecs: []sdp.Codec{c.codec},
		Direction: sdp.AnswerDirection(offer.Direction), SessionID: c.sessionID, Version: c.version,
		Username: "yimen"}, offer)
}

// reinvite answers a re-INVITE on the session's call (hold, a moved relay leg).
func (e *sipEndpoint) reinvite(s *session, req *sip.Request, tx sip.ServerTransaction, offer *sdp.Session) {
	s.mu.Lock()
	c := s.call
	if c == nil || c.id != req.CallID().Value() || !c.answered {
		s.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	codec, ok := matchCodec(offer, s.codec)
	if !ok {
		s.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c.codec = codec
	c.version++
	if offer.Addr.IsValid() && !offer.Addr.IsUnspecified() {
		c.relay = netip.AddrPortFrom(offer.Addr.Unmap(), uint16(offer.Port))
	}
	body := e.sdpFor(s, c, offer)
	acked := c.awaitAck(req)
	s.refreshLocked()
	s.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	e.finish(res, c.localTag, s.token)
	_ = tx.Respond(res)
	go e.resend(tx, res, acked)
}

// awaitAck notes that the 2xx to req waits for its ACK. Called with s.mu held.
func (c *sipCall) awaitAck(req *sip.Request) <-chan struct{} {
	if c.unacked == nil {
		c.unacked = map[uint32]chan struct{}{}
	}
	ch := make(chan struct{})
	c.unacked[req.CSeq().SeqNo] = ch
	return ch
}

// onAck ends the retransmission of the 2xx it acknowledges.
func (e *sipEndpoint) onAck(req *sip.Request, _ sip.ServerTransaction) {
	s := e.m.sessionByToken(req.Recipient.User)
	if s == nil {
		return
	}
	s.mu.Lock()
	if c := s.call; c != nil && c.id == req.CallID().Value() {
		if ch := c.unacked[req.CSeq().SeqNo]; ch != nil {
			close(ch)
			delete(c.unacked, req.CSeq().SeqNo)
		}
	}
	s.mu.Unlock()
}

// resend retransmits a 2xx to an INVITE at T1, 2·T1 … T2 apart until its
// ACK arrives, for 64·T1 at most (RFC 3261 §13.3.1.4): the server
// transaction does not (RFC 6026), and over UDP a lost 200 would leave the
// B2BUA's leg to the browser unanswered while the browser talks.
func (e *sipEndpoint) resend(tx sip.ServerTransaction, res *sip.Response, acked <-chan struct{}) {
	wait := sip.T1
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	for {
		next := time.NewTimer(wait)
		select {
		case <-acked:
			next.Stop()
			return
		case <-tx.Acks():
			next.Stop()
			return
		case <-giveUp.C:
			next.Stop()
			e.m.log.Warn("webrtc: 200 OK never acknowledged", "call", res.CallID().Value(), "cseq", res.CSeq().SeqNo)
			return
		case <-next.C:
		}
		if err := tx.Respond(res); err != nil {
			return // the transaction is over
		}
		wait = min(2*wait, sip.T2)
	}
}

func (e *sipEndpoint) onBye(req *sip.Request, tx sip.ServerTransaction) {
	s := e.m.sessionByToken(req.Recipient.User)
	if s != nil {
		s.mu.Lock()
		if c := s.call; c != nil && c.id == req.CallID().Value() {
			s.call = nil
			s.stopHoldLocked() // the customer left while the browser was away
			s.refreshLocked()
			s.mu.Unlock()
			_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			return
		}
		s.mu.Unlock()
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

// notifyWait is how long an "answer now" NOTIFY waits for the INVITE it
// answers, when it arrives first.
const notifyWait = 500 * time.Millisecond

// onNotify takes the B2BUA's "answer now" (NOTIFY Event: talk, sent for the
// CTI's call.answer) for the ringing call it names.
func (e *sipEndpoint) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	s := e.m.sessionByToken(req.Recipient.User)
	ev := req.GetHeader("Event")
	if s == nil || ev == nil || !strings.EqualFold(strings.TrimSpace(ev.Value()), "talk") {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Subscription Does Not Exist", nil))
		return
	}
	// The B2BUA sends the NOTIFY right after the INVITE it answers, each
	// handled on a goroutine of its own here: one that overtook its INVITE
	// waits for it a moment rather than being refused.
	var c *sipCall
	var ringing, attached bool
	for wait := time.Now().Add(notifyWait); ; {
		s.mu.Lock()
		c = s.call
		ringing = c != nil && !c.answered && c.id == req.CallID().Value()
		attached = s.state == StateConnected
		s.mu.Unlock()
		if ringing || c != nil || time.Now().After(wait) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	switch {
	case !ringing:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	case !attached:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 480, "Browser Reattaching", nil))
	default:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		e.answer(s, c)
	}
}

// respond answers c's INVITE with the dialog's tag and the session's contact.
func (e *sipEndpoint) respond(c *sipCall, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(c.invite, code, reason, body)
	e.finish(res, c.localTag, c.invite.Recipient.User)
	if err := c.tx.Respond(res); err != nil {
		e.m.log.Debug("webrtc: response not sent", "call", c.id, "code", code, "err", err)
	}
	if code >= 200 {
		c.finalOnce.Do(func() { close(c.final) })
	}
	return res
}

// finish gives a response to an INVITE its To tag, Contact and, with a
// body, its Content-Type.
func (e *sipEndpoint) finish(res *sip.Response, tag, token string) {
	if to := res.To(); to != nil {
		if _, ok := to.Params.Get("tag"); !ok {
			to.Params.Add("tag", tag)
		}
	}
	if res.StatusCode > 100 && res.StatusCode < 300 {
		u := sip.Uri{Scheme: "sip", User: token, Host: e.addr.Addr().String(), Port: int(e.addr.Port())}
		res.AppendHeader(&sip.ContactHeader{Address: u})
	}
	if len(res.Body()) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
}

// matchCodec finds the session's codec among the offer's, at its static
// payload type (a browser session carries the static type only).
func matchCodec(offer *sdp.Session, want g711) (sdp.Codec, bool) {
	for _, c := range offer.Codecs {
		if c.PT == want.pt && (c.Name == "" || strings.EqualFold(c.Name, want.name)) {
			return c, true
		}
	}
	return sdp.Codec{}, false
}

func newTag() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
