package auth

import (
	"net"
	"net/netip"
	"testing"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/keys"
)

// The production types the lead wires in satisfy this package's interfaces.
var (
	_ Sealer  = (*keys.Keyring)(nil)
	_ Auditor = (*audit.Log)(nil)
)

func FuzzSourceSubject(f *testing.F) {
	for _, s := range []string{"192.0.2.1:5060", "[2001:db8::1]:443", "2001:db8::1", "::ffff:10.0.0.1", "host:80", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sub := sourceSubject(s)
		// Two ports of one address are one subject.
		if ap, err := netip.ParseAddrPort(s); err == nil {
			other := net.JoinHostPort(ap.Addr().String(), "1")
			if sourceSubject(other) != sub {
				t.Fatalf("%q and %q differ: %q vs %q", s, other, sub, sourceSubject(other))
			}
		}
	})
}
