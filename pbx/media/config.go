package media

import (
	"fmt"
	"net/netip"

	"github.com/yimen/yimen/internal/errs"
)

// Config says where the relay binds and which ports it may use.
type Config struct {
	// BindIP is the address the relay sockets bind to, e.g. 127.0.0.1.
	BindIP netip.Addr
	// AdvertiseIP, when valid, replaces BindIP in LocalAddr (the address put
	// into SDP); needed when BindIP is unspecified or behind a static NAT.
	AdvertiseIP netip.Addr
	// PortMin and PortMax bound the inclusive range. RTP uses the even ports
	// (PortMin is rounded up to even) and RTCP the port above each.
	PortMin, PortMax int
	// Kernel asks for in-kernel forwarding of the calls that allow it
	// (offload.go). Where the kernel or the process's privileges refuse it,
	// NewRelay logs why and the relay forwards everything itself.
	Kernel bool
}

// validate checks cfg and reports the first RTP port and the number of pairs.
func (c Config) validate() (first uint16, pairs int, err error) {
	if !c.BindIP.IsValid() {
		return 0, 0, fmt.Errorf("media: bind IP not set: %w", errs.ErrInvalid)
	}
	if c.BindIP.Zone() != "" {
		return 0, 0, fmt.Errorf("media: bind IP %s has a zone: %w", c.BindIP, errs.ErrInvalid)
	}
	if c.AdvertiseIP.IsValid() && c.AdvertiseIP.IsUnspecified() {
		return 0, 0, fmt.Errorf("media: advertise IP %s is unspecified: %w", c.AdvertiseIP, errs.ErrInvalid)
	}
	if c.PortMin < 1 || c.PortMax > 65535 || c.PortMin > c.PortMax {
		return 0, 0, fmt.Errorf("media: port range %d-%d: need 1 <= min <= max <= 65535: %w", c.PortMin, c.PortMax, errs.ErrInvalid)
	}
	lo := c.PortMin + c.PortMin%2
	pairs = (c.PortMax - lo + 1) / 2
	if pairs < 1 {
		return 0, 0, fmt.Errorf("media: port range %d-%d holds no even RTP port with its RTCP port: %w", c.PortMin, c.PortMax, errs.ErrInvalid)
	}
	return uint16(lo), pairs, nil
}

// network is the UDP network matching BindIP's family.
func (c Config) network() string {
	if c.BindIP.Unmap().Is4() {
		return "udp4"
	}
	return "udp6"
}

// advertised is the address peers are told to send to.
func (c Config) advertised() netip.Addr {
	if c.AdvertiseIP.IsValid() {
		return c.AdvertiseIP.Unmap()
	}
	return c.BindIP.Unmap()
}
