package pbx

import (
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/webrtc"
)

// newBrowsers builds the browser agents' media gateway (nil when
// webrtc.disabled). Its SIP endpoint and RTP sockets sit on the relay's
// address, which the B2BUA and the relay reach.
func newBrowsers(cfg config.Config, bindIP, sipIP netip.Addr, relay *media.Relay, ender webrtc.CallEnder, log *slog.Logger) (*webrtc.Manager, error) {
	if cfg.WebRTC.Disabled {
		return nil, nil
	}
	local := bindIP
	if local.IsUnspecified() {
		local = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	// The B2BUA's requests leave from its SIP socket: from its address, or,
	// when that listens on every address, from the one facing local.
	wc := webrtc.Config{UDP: netip.AddrPortFrom(local, 0), LocalIP: local, SignalFrom: sipIP, Codecs: cfg.RTP.Codecs,
		ReattachTimeout: cfg.WebRTC.ReattachTimeout}
	if cfg.WebRTC.UDP != "" {
		ap, err := netip.ParseAddrPort(cfg.WebRTC.UDP)
		if err != nil {
			return nil, fmt.Errorf("webrtc.udp: %w: %w", err, errs.ErrInvalid)
		}
		wc.UDP = ap
	}
	if cfg.WebRTC.PublicIP != "" {
		ip, err := netip.ParseAddr(cfg.WebRTC.PublicIP)
		if err != nil {
			return nil, fmt.Errorf("webrtc.public_ip: %w: %w", err, errs.ErrInvalid)
		}
		wc.PublicIP = ip
	}
	m, err := webrtc.New(wc, ender, nil, log)
	if err != nil {
		return nil, err
	}
	m.SetLocalPeers(relayPeers{relay})
	log.Info("webrtc ready", "ice_udp", m.ICEAddr().String(), "reattach_timeout", wc.ReattachTimeout.String())
	return m, nil
}

// relayPeers hands the relay's RTP for a session's address to the session
// itself (media.LocalPeer), sparing a loopback datagram per packet.
type relayPeers struct{ r *media.Relay }

func (p relayPeers) SetLocalPeer(addr netip.AddrPort, peer webrtc.Peer) {
	if peer == nil {
		p.r.SetLocalPeer(addr, nil)
		return
	}
	p.r.SetLocalPeer(addr, peer)
}

// BridgedPeer lets two browser sessions on one call find each other (video).
func (p relayPeers) BridgedPeer(local netip.AddrPort) (netip.AddrPort, bool) {
	return p.r.BridgedPeer(local)
}

// legHangup ends a browser's call through the B2BUA, with its cause.
type legHangup struct{ m *b2bua.Manager }

func (h *legHangup) HangupLeg(legCallID string, agentGone bool) error {
	cause := b2bua.CauseBye
	if agentGone {
		cause = b2bua.CauseAgentGone
	}
	return h.m.HangupLeg(legCallID, cause)
}

// Browsers is the browser agents' media gateway, nil when webrtc.disabled.
func (s *Server) Browsers() *webrtc.Manager { return s.browsers }

// sipIP is the address the SIP/UDP socket is bound to (unspecified when it
// listens on every address, or when there is no UDP listener).
func (s *Server) sipIP() netip.Addr {
	if s.udp == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(s.udp.LocalAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
