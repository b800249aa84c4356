package guard

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPacketConnRateLimitsEachSourceToItsBurst(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Burst = 5; c.FloodBan = false })
	srv := startUDPServer(t, h.g)
	a, b := srv.udpClient(t, "127.0.0.2"), srv.udpClient(t, "127.0.0.3")
	for range 20 {
		send(t, a, sipRequest(""))
	}
	for range 3 {
		send(t, b, sipRequest(""))
	}
	got := h.await(t, srv, 23)
	if n := countFrom(got, "127.0.0.2"); n != 5 {
		t.Errorf("passed from 127.0.0.2 = %d, want the burst of 5", n)
	}
	if n := countFrom(got, "127.0.0.3"); n != 3 {
		t.Errorf("passed from 127.0.0.3 = %d, want 3 (its own bucket)", n)
	}
	if v := h.dropped(t, "rate"); v != 15 {
		t.Errorf("dropped{rate} = %v, want 15", v)
	}

	// Half a second at 100/s refills 50 tokens, capped at the burst.
	h.clock.Advance(500 * time.Millisecond)
	for range 7 {
		send(t, a, sipRequest(""))
	}
	got = h.await(t, srv, 30)
	if n := countFrom(got, "127.0.0.2"); n != 5 {
		t.Errorf("after refill passed from 127.0.0.2 = %d, want 5", n)
	}
}

func TestPacketConnDropsBannedSourceUntilExpiry(t *testing.T) {
	h := newHarness(t, nil, nil)
	srv := startUDPServer(t, h.g)
	a, b := srv.udpClient(t, "127.0.0.2"), srv.udpClient(t, "127.0.0.3")
	if err := h.g.Ban(context.Background(), netip.MustParseAddr("127.0.0.2"), "test", time.Minute); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		send(t, a, sipRequest(""))
	}
	send(t, b, sipRequest(""))
	got := h.await(t, srv, 5)
	if countFrom(got, "127.0.0.2") != 0 || countFrom(got, "127.0.0.3") != 1 {
		t.Fatalf("passed %v, want only the datagram from 127.0.0.3", got)
	}
	if v := h.dropped(t, "banned"); v != 4 {
		t.Errorf("dropped{banned} = %v, want 4", v)
	}

	h.clock.Advance(time.Minute)
	send(t, a, sipRequest(""))
	got = h.await(t, srv, 6)
	if countFrom(got, "127.0.0.2") != 1 {
		t.Errorf("after the ban expired nothing passed from 127.0.0.2")
	}
}

func TestPacketConnFloodBansSourceThatStaysOverRate(t *testing.T) {
	h := newHarness(t, newFakeStore(), func(c *Config) { c.Burst = 2; c.FloodDrops = 3 })
	srv := startUDPServer(t, h.g)
	a := srv.udpClient(t, "127.0.0.2")
	for range 10 {
		send(t, a, sipRequest(""))
	}
	got := h.await(t, srv, 10)
	if n := countFrom(got, "127.0.0.2"); n != 2 {
		t.Errorf("passed = %d, want 2", n)
	}
	if r, b := h.dropped(t, "rate"), h.dropped(t, "banned"); r != 3 || b != 5 {
		t.Errorf("dropped rate=%v banned=%v, want 3 then banned for the last 5", r, b)
	}
	ip := netip.MustParseAddr("127.0.0.2")
	if !h.g.Banned(ip) {
		t.Fatal("flooding source not banned")
	}
	bans := h.g.Bans()
	if len(bans) != 1 || bans[0].Reason != "flood" || !bans[0].Until.Equal(h.clock.Now().Add(time.Hour)) {
		t.Errorf("bans = %+v, want one flood ban for BanDuration", bans)
	}
	if !strings.Contains(h.logs.String(), `msg="sip ban" ip=127.0.0.2 reason=flood`) {
		t.Errorf("no sip ban line in log:\n%s", h.logs)
	}
	// The packet path only queues the ban; Run's flush saves it.
	if _, ok := h.store.get(ip); ok {
		t.Error("flood ban saved from the packet path")
	}
	h.g.flush(context.Background())
	if _, ok := h.store.get(ip); !ok {
		t.Error("flood ban not saved by flush")
	}
}

func TestPacketConnDropsScannerUserAgents(t *testing.T) {
	h := newHarness(t, nil, nil)
	srv := startUDPServer(t, h.g)
	a, allowed := srv.udpClient(t, "127.0.0.2"), srv.udpClient(t, "127.0.0.9")
	scanners := []string{
		"User-Agent: friendly-scanner\r\n",
		"user-agent: sipcli/v1.8\r\n",
		"USER-AGENT:VaxSIPUserAgent/3.1\r\n",
		"User-Agent \t: SIPVicious 0.3.4\r\n",
		"uSeR-aGeNt: iWar\r\n",
		"User-Agent: sundayddr\n", // bare LF line ends
	}
	normal := []string{
		"User-Agent: Yealink SIP-T46S 66.86.0.15\r\n",
		"",
		"X-User-Agent: friendly-scanner\r\n", // another header, not the UA
		"Subject: friendly-scanner\r\n",
	}
	for _, ua := range scanners {
		send(t, a, sipRequest(ua))
	}
	for _, ua := range normal {
		send(t, a, sipRequest(ua))
	}
	// Trusted peers may run sipsak health checks.
	send(t, allowed, sipRequest("User-Agent: sipsak 0.9.8\r\n"))
	got := h.await(t, srv, len(scanners)+len(normal)+1)
	if v := h.dropped(t, "scanner"); v != float64(len(scanners)) {
		t.Errorf("dropped{scanner} = %v, want %d", v, len(scanners))
	}
	if n := countFrom(got, "127.0.0.2"); n != len(normal) {
		t.Errorf("passed %d normal requests, want %d", n, len(normal))
	}
	if countFrom(got, "127.0.0.9") != 1 {
		t.Error("allow-listed sipsak request dropped")
	}
}

func TestPacketConnDropsOversizeDatagrams(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.MaxMessageBytes = 4096 })
	srv := startUDPServer(t, h.g)
	a, allowed := srv.udpClient(t, "127.0.0.2"), srv.udpClient(t, "127.0.0.9")
	big := sipRequest("X-Pad: " + strings.Repeat("a", 5000) + "\r\n")
	exact := sipRequest("X-Pad: " + strings.Repeat("a", 4096-len(sipRequest("X-Pad: \r\n"))) + "\r\n")
	if len(exact) != 4096 {
		t.Fatalf("exact is %d bytes", len(exact))
	}
	send(t, a, big)
	send(t, allowed, big) // the size limit protects the parser from everyone
	send(t, a, exact)
	got := h.await(t, srv, 3)
	if v := h.dropped(t, "too_big"); v != 2 {
		t.Errorf("dropped{too_big} = %v, want 2", v)
	}
	if len(got) != 1 || len(got[0].payload) != 4096 {
		t.Errorf("want only the 4096-byte datagram to pass, got %d datagrams", len(got))
	}
}

func TestFilterDatagramTreatsAFullSmallBufferAsTruncated(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.MaxMessageBytes = 4096 })
	ip := netip.MustParseAddr("192.0.2.1")
	small := make([]byte, 1024)
	if v := h.g.filterDatagram(small, 1024, ip); v != verdictTooBig {
		t.Errorf("full 1 KiB buffer: verdict %d, want too big (the read may have cut it)", v)
	}
	if v := h.g.filterDatagram(small, 1023, ip); v != verdictPass {
		t.Errorf("1023 of 1024 bytes: verdict %d, want pass", v)
	}
}

func TestPacketConnAllowListIsNeverRateLimited(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Burst = 2; c.FloodDrops = 1 })
	srv := startUDPServer(t, h.g)
	allowed := srv.udpClient(t, "127.0.0.9")
	for range 12 {
		send(t, allowed, sipRequest(""))
	}
	got := h.await(t, srv, 12)
	if len(got) != 12 || h.g.Banned(netip.MustParseAddr("127.0.0.9")) {
		t.Errorf("allow-listed source: %d of 12 passed, banned=%v", len(got), h.g.Banned(netip.MustParseAddr("127.0.0.9")))
	}
}

func TestPacketConnWritesPassThrough(t *testing.T) {
	h := newHarness(t, nil, nil)
	srv := startUDPServer(t, h.g)
	a := srv.udpClient(t, "127.0.0.2")
	if _, err := srv.pc.WriteTo([]byte("SIP/2.0 200 OK\r\n\r\n"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := a.Read(buf)
	if err != nil || string(buf[:n]) != "SIP/2.0 200 OK\r\n\r\n" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestCarrierPacketConnLetsOnlyCarriersIn(t *testing.T) {
	h := newHarness(t, nil, nil)
	carriers := []netip.Prefix{netip.MustParsePrefix("127.0.0.16/29")}
	srv := startUDPServerWith(t, func(pc net.PacketConn) net.PacketConn { return h.g.WrapCarrierPacketConn(pc, carriers) })
	carrier, stranger := srv.udpClient(t, "127.0.0.17"), srv.udpClient(t, "127.0.0.30")
	for range 3 {
		send(t, stranger, sipRequest(""))
	}
	send(t, carrier, sipRequest(""))
	got := h.await(t, srv, 4)
	if countFrom(got, "127.0.0.30") != 0 || countFrom(got, "127.0.0.17") != 1 {
		t.Fatalf("passed %v, want only the carrier's datagram", got)
	}
	if v := h.dropped(t, "not_carrier"); v != 3 {
		t.Errorf("dropped{not_carrier} = %v, want 3", v)
	}
	// The carrier is still under the guard's other checks.
	if err := h.g.Ban(context.Background(), netip.MustParseAddr("127.0.0.17"), "test", time.Minute); err != nil {
		t.Fatal(err)
	}
	send(t, carrier, sipRequest(""))
	send(t, stranger, sipRequest(""))
	h.await(t, srv, 6)
	if v := h.dropped(t, "banned"); v != 1 {
		t.Errorf("dropped{banned} = %v, want the banned carrier's datagram", v)
	}
}
