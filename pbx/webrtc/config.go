package webrtc

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Config is what the gateway takes from the process configuration.
type Config struct {
	// UDP is the one port every browser's ICE, DTLS and SRTP arrive on
	// (ICE-lite over a UDP mux); port 0 lets the OS choose (tests).
	UDP netip.AddrPort
	// PublicIP replaces UDP's address in the ICE candidate when the PBX
	// sits behind a 1:1 NAT; zero advertises UDP's own address.
	PublicIP netip.Addr
	// LocalIP is where the gateway's SIP endpoint and its per-session RTP
	// sockets listen: an address the B2BUA and the relay reach (the PBX's
	// SIP address).
	LocalIP netip.Addr
	// SignalFrom is the host the B2BUA's requests come from: the SIP
	// endpoint refuses (403) anyone else, so a stranger who learns a
	// session's contact cannot answer or end its calls. Zero: LocalIP.
	SignalFrom netip.Addr
	// Codecs are the G.711 codecs a browser may use, in preference order
	// (rtp.codecs less anything that is not PCMA or PCMU).
	Codecs []string
	// ReattachTimeout is how long a call waits, its customer on hold, for
	// the agent's browser to come back.
	ReattachTimeout time.Duration
}

// DefaultReattachTimeout is webrtc.reattach_timeout when unset.
const DefaultReattachTimeout = 60 * time.Second

func (c *Config) validate() error {
	bad := func(field, why string) error {
		return fmt.Errorf("webrtc: %s %s: %w", field, why, errs.ErrInvalid)
	}
	if !c.UDP.Addr().IsValid() || c.UDP.Addr().IsUnspecified() {
		return bad("UDP", "needs a concrete address (the candidate browsers connect to)")
	}
	if !c.LocalIP.IsValid() {
		return bad("LocalIP", "is required")
	}
	if !c.SignalFrom.IsValid() || c.SignalFrom.IsUnspecified() {
		c.SignalFrom = c.LocalIP
	}
	c.SignalFrom = c.SignalFrom.Unmap()
	if c.ReattachTimeout <= 0 {
		c.ReattachTimeout = DefaultReattachTimeout
	}
	var kept []string
	for _, n := range c.Codecs {
		if _, ok := g711ByName(n); ok {
			kept = append(kept, n)
		}
	}
	if len(kept) == 0 {
		return bad("Codecs", "holds neither PCMA nor PCMU")
	}
	c.Codecs = kept
	return nil
}
