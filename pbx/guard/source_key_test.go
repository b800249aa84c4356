package guard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// 300 OPTIONS pipelined into one TCP segment cost 300 tokens, as they would
// over UDP: the connection is cut instead of every one being answered.
func TestPipelinedTCPMessagesAreChargedEach(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Burst = 20; c.FloodBan = false })
	srv := startTCPServer(t, h.g)
	client := srv.dial(t, "127.0.0.2") // the connection costs a token
	c := srv.next(t)
	burst := strings.Repeat("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h\r\nContent-Length: 0\r\n\r\n", 300)
	if _, err := client.Write([]byte(burst)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	read := 0
	for read < len(burst) {
		n, err := c.Read(buf)
		read += n
		if errors.Is(err, net.ErrClosed) {
			if v := h.dropped(t, "rate"); v < 1 {
				t.Errorf("dropped{rate} = %v, want at least 1", v)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("all %d pipelined messages passed a bucket of 20", 300)
}

func TestMessageEndsCountsAcrossReads(t *testing.T) {
	var m messageEnds
	msg := "OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n"
	if n := m.count([]byte(msg + msg)); n != 2 {
		t.Fatalf("two messages counted as %d", n)
	}
	// A terminator split over reads counts once, in the read that ends it.
	if n := m.count([]byte(msg[:len(msg)-3])); n != 0 {
		t.Fatalf("half a message counted as %d", n)
	}
	if n := m.count([]byte(msg[len(msg)-3:])); n != 1 {
		t.Fatalf("the rest of the message counted as %d", n)
	}
	// Keep-alives (RFC 5626 double CRLF) cost a message each.
	if n := m.count([]byte("\r\n\r\n\r\n\r\n")); n != 2 {
		t.Fatalf("two keep-alives counted as %d", n)
	}
}

// An attacker with an IPv6 /64 cannot escape a ban or the failure count by
// moving to another address of it; a neighbouring /64 is not affected.
func TestIPv6SourcesAreCountedAndBannedPerSlash64(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	for i := range DefaultConfig().AuthFailuresPerIP {
		h.g.AuthFailure(ctx, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, byte(i + 1)}), "1001")
	}
	if !h.g.Banned(netip.MustParseAddr("2001:db8:0:7:ffff::1")) {
		t.Fatal("guesses spread over a /64 did not ban it")
	}
	if h.g.Banned(netip.MustParseAddr("2001:db8:0:8::1")) {
		t.Fatal("the neighbouring /64 was banned too")
	}
	if v := h.g.filterDatagram(make([]byte, 100), 10, netip.MustParseAddr("2001:db8:0:7::abcd")); v != verdictBanned {
		t.Fatalf("datagram from another address of the banned /64: verdict %d", v)
	}
	if err := h.g.Lift(ctx, netip.MustParseAddr("2001:db8:0:7::9")); err != nil {
		t.Fatalf("lifting by any address of the /64: %v", err)
	}
}
