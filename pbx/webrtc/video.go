package webrtc

import (
	"net/netip"
	"time"

	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"
)

// Video between two browser agents on one call. The SIP side of a call
// stays audio only (the B2BUA, the relay, the recorder and the taps never
// see video); when both ends of a bridge are browser sessions that offered
// video, each session's incoming video is written to the other's outgoing
// video track, as it came, with its header made that track's own: no
// decoding, no transcoding. Every session's video is VP8, which every
// browser sends and receives, so the two ends always agree.

// vp8 is the video codec sessions carry, with the feedback a receiver uses
// to ask for a key frame (PLI, FIR), passed on to the sender's browser.
var vp8 = pion.RTPCodecParameters{
	RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000,
		RTCPFeedback: []pion.RTCPFeedback{{Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}},
	PayloadType: 96,
}

func videoTrack() *outTrack {
	return &outTrack{mime: vp8.MimeType, name: "VP8", kind: pion.RTPCodecTypeVideo}
}

// videoStep is the timestamp gap the video resequencer puts between two
// streams: one frame at 30 frames a second on the 90 kHz clock.
const videoStep = 90000 / 30

// Linking: how often, and how long, a session whose call was answered
// looks for the other end of its bridge (the other leg may be answered a
// moment later; that end then links both).
const (
	linkEvery = 200 * time.Millisecond
	linkTries = 10
)

// BridgedPeers finds where the other leg of a relay bridge sends media;
// *media.Relay does it (through pbx).
type BridgedPeers interface {
	BridgedPeer(local netip.AddrPort) (netip.AddrPort, bool)
}

// videoChangedLocked follows a change of the session's forwarding: a call
// that is no longer on (ended, the browser away) or moved to another
// relay leg, or a new peer connection, unlinks the session; a call that is
// on with video looks for its other end. Called with s.mu held.
func (s *session) videoChangedLocked(old, f *forwarding) {
	moved := old == nil || !old.on || old.relay != f.relay || old.pc != f.pc
	if !f.on || f.vtrack == nil || moved {
		s.unlink()
	}
	if f.on && f.vtrack != nil && moved {
		go s.m.link(s)
	}
}

// unlink ends the session's video pairing, on both sides.
func (s *session) unlink() {
	if p := s.partner.Swap(nil); p != nil {
		p.partner.CompareAndSwap(s, nil)
	}
}

// link pairs s with the browser session at the other end of its call, if
// there is one with video on.
func (m *Manager) link(s *session) {
	bp, ok := m.peers.(BridgedPeers)
	if !ok {
		return
	}
	for try := 0; try < linkTries; try++ {
		if try > 0 {
			time.Sleep(linkEvery)
		}
		f := s.fwd.Load()
		if f == nil || !f.on || f.vtrack == nil || s.partner.Load() != nil {
			return
		}
		to, ok := bp.BridgedPeer(f.relay)
		if !ok {
			continue // the other leg has no address yet
		}
		m.mu.Lock()
		p := m.byLocal[to]
		m.mu.Unlock()
		if p == nil || p == s || p.tenant != s.tenant {
			return // the other end is not a browser session
		}
		pf := p.fwd.Load()
		if pf == nil || !pf.on || pf.vtrack == nil {
			return // it links when its side is on
		}
		s.partner.Store(p)
		p.partner.Store(s)
		// The key frames each browser sent before the link were dropped.
		s.keyFrame()
		p.keyFrame()
		m.log.Info("webrtc video linked", "tenant", s.tenant, "agent", s.agent, "with", p.agent)
		return
	}
}

// readVideo sends the browser's video on pc's track to the session at the
// other end of the call, while pc is the session's current peer, the call
// is answered and the other end is linked. pion reads the track on a
// goroutine of its own.
func (s *session) readVideo(pc *pion.PeerConnection, tr *pion.TrackRemote) {
	s.vSSRC.Store(uint32(tr.SSRC()))
	pt := uint8(tr.PayloadType())
	s.keyFrame() // the other end may be waiting already
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		f := s.fwd.Load()
		if f == nil || !f.on || f.pc != pc || n < 12 || buf[1]&0x7f != pt {
			continue
		}
		if p := s.partner.Load(); p != nil && p.writeVideo(buf[:n]) {
			s.videoFromBrowser.Add(1)
		}
	}
}

// writeVideo sends one packet of the other end's video to this session's
// browser; false when it has nowhere to go. pkt is copied.
func (s *session) writeVideo(pkt []byte) bool {
	f := s.fwd.Load()
	if f == nil || !f.on || f.vtrack == nil {
		return false
	}
	sent, _ := s.vout.write(pkt, f.vtrack)
	if sent {
		s.videoToBrowser.Add(1)
	}
	return sent
}

// keyFrame asks the session's browser for a key frame of its video.
func (s *session) keyFrame() {
	f := s.fwd.Load()
	ssrc := s.vSSRC.Load()
	if f == nil || f.pc == nil || ssrc == 0 {
		return
	}
	_ = f.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
}

// readFeedback passes a browser's requests for a key frame of the video it
// receives (PLI, FIR on the video sender) to the browser that sends it.
func (s *session) readFeedback(sender *pion.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if o := s.partner.Load(); o != nil {
					o.keyFrame()
				}
			}
		}
	}
}
