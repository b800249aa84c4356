package registrar

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// ContactPolicy decides where the PBX may send the requests for a binding.
// A Contact is the device's word for where it listens; the address a
// REGISTER came from is the network's. A Contact on another host than the
// REGISTER's source would let any account aim the PBX's INVITEs at an
// internal host, so such a Contact is used only inside Networks; elsewhere
// requests go to the source (which is also what a phone behind NAT needs).
type ContactPolicy struct {
	// Networks are where a Contact may point although the REGISTER came
	// from another address (a phone behind a registering proxy); by
	// default none: only the source address.
	Networks []netip.Prefix
	// Loopback says the PBX itself listens on loopback, where loopback
	// Contacts are the phones next to it (tests, a local gateway).
	Loopback bool
}

// cloudMetadata are the instance-metadata services outside the
// link-local block: Alibaba Cloud's and AWS's IPv6 one.
var cloudMetadata = [...]netip.Addr{netip.MustParseAddr("100.100.100.200"), netip.MustParseAddr("fd00:ec2::254")}

// forbidden says a is never a device's address: unspecified, multicast,
// link-local (169.254.169.254 is every cloud's metadata service), a
// metadata address, or loopback when the PBX is not on loopback itself.
func (p ContactPolicy) forbidden(a netip.Addr) bool {
	a = a.Unmap()
	for _, m := range cloudMetadata {
		if a == m {
			return true
		}
	}
	return a.IsUnspecified() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		(a.IsLoopback() && !p.Loopback)
}

// refuses says a Contact address may not be registered at all from
// source: a forbidden address on another host than the REGISTER's.
func (p ContactPolicy) refuses(contact, source netip.Addr) bool {
	return contact.Unmap() != source.Unmap() && p.forbidden(contact)
}

// usable says requests may go to the Contact's own address: it is the
// REGISTER's source host, or inside Networks and not forbidden.
func (p ContactPolicy) usable(contact, source netip.Addr) bool {
	contact = contact.Unmap()
	if source.IsValid() && contact == source.Unmap() {
		return true
	}
	if p.forbidden(contact) {
		return false
	}
	for _, n := range p.Networks {
		if n.Contains(contact) {
			return true
		}
	}
	return false
}

// Destination is where to send requests for b, whose Contact is u. Stream
// transports reuse the connection the device registered over while alive
// says it is open. Otherwise the Contact's address is used when the policy
// allows it (usually: the device is not behind NAT) and the REGISTER's
// source when not; a stream whose connection is gone and whose Contact may
// not be used has no destination (a new connection to a NAT's port would
// not reach the phone).
func (r *Registrar) Destination(b Binding, u sip.Uri, alive func(network, addr string) bool) (netip.AddrPort, bool) {
	port := u.Port
	if port == 0 {
		port = 5060
	}
	ip, err := hostIP(u.Host)
	usable := err == nil && r.cfg.Contacts.usable(ip, b.Received.Addr())
	contact := netip.AddrPortFrom(ip, uint16(port))
	if !strings.EqualFold(b.Transport, "udp") {
		if b.Received.IsValid() && (alive == nil || alive(strings.ToLower(b.Transport), b.Received.String())) {
			return b.Received, true
		}
		return contact, usable
	}
	if usable {
		return contact, true
	}
	return b.Received, b.Received.IsValid()
}

// hostIP parses a URI host that is an IP address (an IPv6 one in brackets).
func hostIP(host string) (netip.Addr, error) {
	return netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
}
