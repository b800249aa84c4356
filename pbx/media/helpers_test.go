package media

import (
	"hash/fnv"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// patience bounds every wait for a packet or a counter; it is a failure
// deadline for a loaded machine, never a measurement.
const patience = 10 * time.Second

func loopback() netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 0, 1}) }

// testRange gives each test its own 100-port slice of 40000-59999, chosen
// from its name, so tests in parallel processes rarely meet; when they do
// the relay skips the taken ports.
func testRange(t testing.TB) (lo, hi int) {
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	lo = 40000 + int(h.Sum32()%200)*100
	return lo, lo + 99
}

func newTestRelay(t testing.TB, m *Metrics) *Relay {
	t.Helper()
	lo, hi := testRange(t)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: hi}, nil, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// phone is a SIP phone's media side: an RTP and an RTCP socket on loopback.
type phone struct {
	t          testing.TB
	rtp, rtcp  *net.UDPConn
	rtpA, rtcA netip.AddrPort
}

func newPhone(t testing.TB) *phone {
	t.Helper()
	return newPhoneAt(t, loopback())
}

// newPhoneAt is a phone on another loopback host (127.0.0.0/8), a stranger
// to legs whose SDP names 127.0.0.1.
func newPhoneAt(t testing.TB, host netip.Addr) *phone {
	t.Helper()
	p := &phone{t: t, rtp: listenAt(t, host), rtcp: listenAt(t, host)}
	p.rtpA = p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	p.rtcA = p.rtcp.LocalAddr().(*net.UDPAddr).AddrPort()
	return p
}

func listenLoopback(t testing.TB) *net.UDPConn {
	t.Helper()
	return listenAt(t, loopback())
}

func listenAt(t testing.TB, host netip.Addr) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(host, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// attach points leg l at this phone, as its SDP would.
func (p *phone) attach(l *Leg) {
	l.SetRemote(p.rtpA)
	l.SetRemoteRTCP(p.rtcA)
}

func (p *phone) sendRTP(to *Leg, pkt []byte) {
	p.t.Helper()
	if _, err := p.rtp.WriteToUDPAddrPort(pkt, to.LocalAddr()); err != nil {
		p.t.Fatal(err)
	}
}

func (p *phone) sendRTCP(to *Leg, pkt []byte) {
	p.t.Helper()
	if _, err := p.rtcp.WriteToUDPAddrPort(pkt, rtcpAddr(to)); err != nil {
		p.t.Fatal(err)
	}
}

func rtcpAddr(l *Leg) netip.AddrPort {
	return netip.AddrPortFrom(l.LocalAddr().Addr(), l.LocalAddr().Port()+1)
}

// recv reads one datagram or fails the test after patience.
func recv(t testing.TB, c *net.UDPConn) ([]byte, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 2048)
	if err := c.SetReadDeadline(time.Now().Add(patience)); err != nil {
		t.Fatal(err)
	}
	n, src, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no packet on %s: %v", c.LocalAddr(), err)
	}
	return buf[:n], src
}

// waitFor polls cond until it holds; it fails the test after patience.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitGoroutines waits until no more goroutines run than before.
func waitGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// rtpPacket builds a G.711 μ-law packet whose payload encodes seq, so a
// receiver can tell packets apart.
func rtpPacket(t testing.TB, seq uint16) []byte {
	t.Helper()
	return rtpPacketOf(t, 0x1234abcd, seq)
}

// rtpPacketOf is rtpPacket for the stream ssrc.
func rtpPacketOf(t testing.TB, ssrc uint32, seq uint16) []byte {
	t.Helper()
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = byte(int(seq) + i)
	}
	buf, err := (&rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: ssrc},
		Payload: payload,
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

func seqOf(t testing.TB, pkt []byte) uint16 {
	t.Helper()
	var h rtp.Header
	if _, err := h.Unmarshal(pkt); err != nil {
		t.Fatalf("not RTP: %v", err)
	}
	return h.SequenceNumber
}

func rtcpPacket(t testing.TB, ssrc uint32) []byte {
	t.Helper()
	buf, err := (&rtcp.ReceiverReport{SSRC: ssrc}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

// discardWriter stands in for a socket in the forward-path benchmark.
type discardWriter struct {
	packets int
	err     error
}

func (w *discardWriter) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.packets++
	return len(b), nil
}

// socketlessBridge wires a bridge to fake writers so the forward path can
// be driven directly.
func socketlessBridge(m *Metrics) (*Bridge, *discardWriter, *discardWriter) {
	b := newBridge(nil, m)
	wa, wb := &discardWriter{}, &discardWriter{}
	b.A.rtp.init(nil, wa)
	b.A.rtcp.init(nil, wa)
	b.B.rtp.init(nil, wb)
	b.B.rtcp.init(nil, wb)
	return b, wa, wb
}
