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

	// Video (video.go): the session at the other end of the call when both
	// send video, the browser's video SSRC on the current peer (for PLI),
	// and the way to the browser's video track, written by the other end's
	// reader.
	partner          atomic.Pointer[session]
	vSSRC            atomic.Uint32
	vout             trackWriter
	videoToBrowser   atomic.Uint64 // video packets written to the browser
	videoFromBrowser atomic.Uint64 // video packets passed to the other end

	// The way to the browser's audio: the relay's poller (WriteRTP), a
	// prompt or mix writing to the leg, or readRelay, one at a time.
	out trackWriter

	mu         sync.Mutex
	codec      g711
	owner      uint64 // the CTI connection that opened the current pc
	state      string
	pc         *pion.PeerConnection
	track      *outTrack
	vtrack     *outTrack // nil: the browser sends and receives no video
	call       *sipCall
	hold       chan struct{} // closed to stop the hold tone
	timer      *time.Timer
	autoAnswer time.Time // INVITEs before this are answered at once (call.dial, monitor)
	closed     bool
}

// forwarding is what the packet paths need to know, swapped atomically.
type forwarding struct {
	relay  netip.AddrPort // the relay leg's address (the call's SDP)
	pc     *pion.PeerConnection
	track  *outTrack
	vtrack *outTrack
	pt     uint8
	on     bool // the call is answered and the browser attached
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
	// unacked: the 2xx answers (by the INVITE's CSeq) still waiting for
	// their ACK; each channel is closed when it arrives.
	unacked map[uint32]chan struct{}
}

// refresh rebuilds fwd from the session's state. Called with mu held.
func (s *session) refreshLocked() {
	f := &forwarding{pc: s.pc, track: s.track, vtrack: s.vtrack, pt: s.codec.pt}
	if c := s.call; c != nil {
		f.relay = c.relay
		f.on = c.answered && s.state == StateConnected
	}
	old := s.fwd.Swap(f)
	s.videoChangedLocked(old, f)
}

// WriteRTP sends one packet of the session's call to the browser: the
// relay calls it for the leg whose SDP names the session's socket
// (media.LocalPeer), so the packet reaches pion without a trip through the
// kernel. Packets between calls, while the browser is away, or not of the
// call's codec (RFC 4733 events) are dropped. pkt is copied: the caller's
// buffer is the poller's. One header rewrite in place, then pion's SRTP
// write; nothing allocated here.
func (s *session) WriteRTP(pkt []byte) error {
	f := s.fwd.Load()
	if f == nil || !f.on || len(pkt) < 12 || pkt[1]&0x7f != f.pt {
		return nil
	}
	sent, err := s.out.write(pkt, f.track)
	if sent {
		s.toBrowser.Add(1)
	}
	return err
}

// readRelay takes what reaches the session's socket from the relay leg by
// datagram (a relay that does not hand packets over directly) to the
// browser, for the session's life: one goroutine per session, one buffer.
func (s *session) readRelay() {
	buf := make([]byte, 1500)
	for {
		n, src, err := s.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if f := s.fwd.Load(); f == nil || unmapped(src) != f.relay {
			continue // only the relay leg of the call may speak to the browser
		}
		_ = s.WriteRTP(buf[:n])
	}
}

// readBrowser sends the browser's audio on pc's track to the relay while
// pc is the session's current peer and the call is answered. pion reads
// the track on a goroutine of its own per track.
func (s *session) readBrowser(pc *pion.PeerConnection, tr *pion.TrackRemote) {
	if tr.Kind() == pion.RTPCodecTypeVideo {
		s.readVideo(pc, tr)
		return
	}
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
