package b2bua

import (
	"strings"

	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/sdp"
)

// SRTPPolicy is what an extension may do about encrypted media (SDES keys,
// RFC 4568, exchanged only over SIP-TLS).
type SRTPPolicy uint8

const (
	// SRTPOptional takes SRTP from a phone that offers it over TLS and
	// calls the phone with plain RTP.
	SRTPOptional SRTPPolicy = iota
	// SRTPOff refuses SRTP offers from the phone (488) and never offers it.
	SRTPOff
	// SRTPRequired refuses plain offers from the phone (488) and calls only
	// its contacts registered over TLS, offering SRTP.
	SRTPRequired
)

// MediaSecurity says each extension's SRTP policy.
type MediaSecurity interface {
	SRTPPolicy(tenant, ext string) SRTPPolicy
}

// SetMediaSecurity installs the SRTP policies; without one every extension
// is SRTPOptional.
func (m *Manager) SetMediaSecurity(s MediaSecurity) { m.security = s }

func (m *Manager) srtpPolicy(tenant, ext string) SRTPPolicy {
	if m.security == nil {
		return SRTPOptional
	}
	return m.security.SRTPPolicy(tenant, ext)
}

// secureTransport reports whether SIP over transport hides an SDP body
// from the network: SDES keys travel in the SDP, so over UDP or TCP they
// are anyone's who can read the packets, and the SRTP they key protects
// nothing.
func secureTransport(transport string) bool {
	return strings.EqualFold(transport, "TLS") || strings.EqualFold(transport, "WSS")
}

// offerRefusal is why an offer (or answer) from ext's phone over transport
// cannot be taken, or "" when it can. The text goes into the 488's Warning
// and the log; it never holds a key.
func (m *Manager) offerRefusal(tenant, ext, transport string, s *sdp.Session) string {
	policy := m.srtpPolicy(tenant, ext)
	// DTLS-SRTP (a browser's leg) is keyed on the media path, not here; it
	// counts as encrypted for a required extension.
	sdes, dtls := s.SDES(), s.DTLS()
	switch {
	case sdes && !secureTransport(transport):
		return "SRTP keys refused over " + strings.ToUpper(transport) + ": use SIP over TLS"
	case sdes && policy == SRTPOff:
		return "SRTP is off for this extension"
	case sdes && chooseCrypto(s) == nil:
		return "no usable a=crypto: the PBX does " + strings.Join(media.SRTPSuites(), ", ") + " without MKI or session parameters"
	case !sdes && !dtls && policy == SRTPRequired:
		return "SRTP required for this extension: offer RTP/SAVP with a=crypto over SIP-TLS"
	}
	return ""
}

// chooseCrypto is the first a=crypto line of s the relay can key a leg
// with, or nil.
func chooseCrypto(s *sdp.Session) *sdp.Crypto {
	if s == nil {
		return nil
	}
	for i := range s.Crypto {
		c := &s.Crypto[i]
		if c.Plain && media.SRTPKeyLen(c.Suite) == len(c.Key) && len(c.Key) > 0 {
			return c
		}
	}
	return nil
}

// keyLeg keys side's relay leg from the SDP that side sent: SRTP with the
// peer's key when the SDP has one we can use, plain RTP otherwise (the
// refusals above have already run). The key we send with stays the same
// while the suite does (the one we offered, or the one already in use);
// a new suite gets a fresh key. Called with c.mu held or before the call
// is shared.
func (c *call) keyLeg(side int, s *sdp.Session) {
	if s.DTLS() {
		return // keyed by its own handshake, not by SDP
	}
	l := c.leg(side)
	cr := chooseCrypto(s)
	if cr == nil {
		l.ClearSRTP()
		return
	}
	send, ok := l.SRTPSend()
	if !ok || send.Suite != cr.Suite {
		if p := c.srtpOffer[side]; p != nil && p.Suite == cr.Suite {
			send = *p
		} else {
			var err error
			if send, err = media.NewSRTPKey(cr.Suite); err != nil {
				c.m.log.Error("SRTP key", "call", c.id, "side", sideNames[side], "err", err)
				return
			}
		}
	}
	if err := l.SetSRTP(send, media.SRTPKey{Suite: cr.Suite, Master: cr.Key, Lifetime: cr.Lifetime}); err != nil {
		c.m.log.Warn("SRTP leg not keyed", "call", c.id, "side", sideNames[side], "suite", cr.Suite, "err", err)
	}
}

// sdesFor puts the key we send to side with into r: the leg's once keyed,
// else the one offered in a fork that has not been answered. In an answer
// the tag is that of the offer's line we took (RFC 4568 §7.1.2).
func (c *call) sdesFor(side int, r *sdp.Rewrite, answerTo *sdp.Session) {
	key, ok := c.leg(side).SRTPSend()
	if !ok {
		p := c.srtpOffer[side]
		if p == nil {
			return
		}
		key = *p
	}
	tag := 1
	if cr := chooseCrypto(answerTo); cr != nil {
		tag = cr.Tag
	}
	r.Proto = sdp.ProtoSAVP
	r.Crypto = &sdp.Crypto{Tag: tag, Suite: key.Suite, Key: key.Master, Plain: true}
}

// offerSRTPTo decides whether a fork to ext at t offers SRTP: only to a
// required extension, and only over TLS. ok is false when the contact must
// not be called at all (required, but registered over UDP or TCP). Called
// with c.mu held.
func (c *call) offerSRTPTo(ext string, t Target) bool { return c.offerSRTPOn(sideB, ext, t) }

// offerSRTPOn is offerSRTPTo for the phone the PBX rings on side: side B
// for a fork, side A for a call the PBX places from an agent's phone
// (click-to-dial, a consultation, a conference's third party, a
// supervisor's tap).
func (c *call) offerSRTPOn(side int, ext string, t Target) bool {
	if t.Encrypted || c.m.srtpPolicy(c.tenant, ext) != SRTPRequired {
		c.srtpOffer[side] = nil
		return true
	}
	if !secureTransport(t.Transport) {
		c.m.log.Warn("contact not called: SRTP required but it registered without TLS", "call", c.id, "ext", ext, "transport", t.Transport)
		return false
	}
	if c.srtpOffer[side] == nil {
		k, err := media.NewSRTPKey(media.SRTPSuites()[0])
		if err != nil {
			c.m.log.Error("SRTP key", "call", c.id, "err", err)
			return false
		}
		c.srtpOffer[side] = &k
	}
	return true
}

// answerRefusal is why a callee's answer cannot be taken, or "": it must
// keep to the media security the fork offered, over the contact's
// transport, under the extension's policy. Called with c.mu held.
func (c *call) answerRefusal(f *fork, ans *sdp.Session) string {
	return c.answerRefusalOn(sideB, f.ext, f.target, ans)
}

// answerRefusalOn is answerRefusal for the phone ext at t the PBX rang on
// side.
func (c *call) answerRefusalOn(side int, ext string, t Target, ans *sdp.Session) string {
	if offered := c.srtpOffer[side] != nil; ans.SDES() != offered {
		return "the answer's media security does not match the offer's"
	}
	if t.Encrypted {
		return "" // encrypted past the relay: no SDES to check
	}
	return c.m.offerRefusal(c.tenant, ext, t.Transport, ans)
}
