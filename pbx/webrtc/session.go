package webrtc

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	pion "github.com/pion/webrtc/v4"
	"github.com/yimen/yimen/pbx/sdp"
)

// Session states, as the CTI's webrtc.state event carries them.
const (
	StateConnected   = "connected"
	StateReattaching = "reattaching"
	StateClosed      = "closed"
)

// session is one browser agent's persistent media: the current peer
// connection (replaced by every webrtc.open), the socket that faces the
// relay (kept for the session's life), and the SIP call it is on, if any.
//
// What holds, under mu: state is connected only with a live pc; call is
// the one SIP call the browser is on (ringing or answered), nil between
// calls; hold is non-nil exactly while an answered call waits for the
// browser (state reattaching); timer runs exactly while reattaching.
// The packet paths read fwd, a snapshot rebuilt under mu at each change,
// with one atomic load and no lock.
type session struct {
	m      *Manager
	tenant string
	agent  string
	ext    string
	token  string // the user part of the session's SIP contact
	rtp    *net.UDPConn
	local  netip.AddrPort // rtp's address, as the SIP answer gives it

	fwd atomic.Pointer[forwarding]

	toBrowser   atomic.Uint64 // RTP packets written to the browser
	fromBrowser atomic.Uint64 // RTP packets sent on to the relay

	mu         sync.Mutex
	codec      g711
	owner      uint64 // the CTI connection that opened the current pc
	state      string
	pc         *pion.PeerConnection
	track      *outTrack
	call       *sipCall
	hold       chan struct{} // closed to stop the hold tone
	timer      *time.Timer
	autoAnswer time.Time // INVITEs before this are answered at once (call.dial, monitor)
	closed     bool
}

// forwarding is what the packet paths need to know, swapped atomically.
type forwarding struct {
	relay netip.AddrPort // the relay leg's address (the call's SDP)
	pc    *pion.PeerConnection
	track *outTrack
	pt    uint8
	on    bool // the call is answered and the browser attached
}

// sipCall is the SIP call the session's browser is on.
type sipCall struct {
	id        string // Call-ID
	localTag  string
	invite    *sip.Request
	tx        sip.ServerTransaction
	offer     *sdp.Session
	codec     sdp.Codec
	relay     netip.AddrPort
	answered  bool
	final     chan struct{} // closed once the INVITE has its final response
	finalOnce sync.Once
	sessionID uint64 // o= of the session's SDP, fixed for the call
	version   uint64
}

// refresh rebuilds fwd from the session's state. Called with mu held.
func (s *session) refreshLocked() {
	f := &forwarding{pc: s.pc, track: s.track, pt: s.codec.pt}
	if c := s.call; c != nil {
		f.relay = c.relay
		f.on = c.answered && s.state == StateConnected
	}
	s.fwd.Store(f)
}

// readRelay copies what the relay sends the session's socket to the
// browser, for the session's life. One goroutine per session; the buffer
// is reused, and a packet costs one read, an in-place header rewrite and
// pion's SRTP write.
func (s *session) readRelay() {
	buf := make([]byte, 1500)
	var rs resequencer
	for {
		n, src, err := s.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f := s.fwd.Load()
		if f == nil || !f.on || n < 12 || buf[0]>>6 != 2 || buf[1]&0x7f != f.pt {
			continue // between calls, on hold for the browser, or not the call's codec (RFC 4733 events)
		}
		if unmapped(src) != f.relay {
			continue // only the relay leg of the call may speak to the browser
		}
		b := f.track.bound.Load()
		if b == nil {
			continue
		}
		rs.rewrite(buf[:n], b)
		if _, err := b.w.Write(buf[:n]); err == nil {
			s.toBrowser.Add(1)
		}
	}
}

// readBrowser sends the browser's audio on pc's track to the relay while
// pc is the session's current peer and the call is answered. pion reads
// the track on a goroutine of its own per track.
func (s *session) readBrowser(pc *pion.PeerConnection, tr *pion.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		f := s.fwd.Load()
		if f == nil || !f.on || f.pc != pc || n < 12 || buf[1]&0x7f != f.pt {
			continue
		}
		if _, err := s.rtp.WriteToUDPAddrPort(buf[:n], f.relay); err == nil {
			s.fromBrowser.Add(1)
		}
	}
}

// startHoldLocked plays the hold tone to the customer of an answered call.
func (s *session) startHoldLocked() {
	if s.hold != nil || s.call == nil || !s.call.answered {
		return
	}
	s.hold = make(chan struct{})
	go playHoldTone(s.rtp, s.call.relay, s.codec, s.hold)
}

func (s *session) stopHoldLocked() {
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

func unmapped(a netip.AddrPort) netip.AddrPort {
	if a.Addr().Is4In6() {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	return a
}
