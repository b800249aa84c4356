package media

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// srtpPhone is the crypto of an SRTP phone: the key it sends with (which
// it put in its SDP) and the key the relay sends it with (from the relay's
// SDP), each a pion context of its own, as the phone would hold them.
type srtpPhone struct {
	sendKey, recvKey SRTPKey
	enc, dec         *srtp.Context
}

func newSRTPPhone(t testing.TB, suite string) *srtpPhone {
	t.Helper()
	p := &srtpPhone{sendKey: mustKey(t, suite), recvKey: mustKey(t, suite)}
	var err error
	if p.enc, err = p.sendKey.context(); err != nil {
		t.Fatal(err)
	}
	if p.dec, err = p.recvKey.context(); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustKey(t testing.TB, suite string) SRTPKey {
	t.Helper()
	k, err := NewSRTPKey(suite)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// legFor sets leg l up for the phone: l encrypts with the phone's receive
// key and decrypts with its send key.
func (p *srtpPhone) legFor(t testing.TB, l *Leg) {
	t.Helper()
	if err := l.SetSRTP(p.recvKey, p.sendKey); err != nil {
		t.Fatal(err)
	}
}

func (p *srtpPhone) encrypt(t testing.TB, plain []byte) []byte {
	t.Helper()
	out, err := p.enc.EncryptRTP(nil, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tapRecorder keeps copies of what a tap saw.
type tapRecorder struct {
	mu   sync.Mutex
	pkts [][]byte
}

func (r *tapRecorder) OnRTP(_ int, pkt []byte) {
	r.mu.Lock()
	r.pkts = append(r.pkts, bytes.Clone(pkt))
	r.mu.Unlock()
}

func (r *tapRecorder) has(pkt []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pkts {
		if bytes.Equal(p, pkt) {
			return true
		}
	}
	return false
}

// An SRTP phone on leg A and a plain one on leg B hear each other through
// a real bridge: A's SRTP arrives at B as the plain packet A encrypted, B's
// RTP arrives at A encrypted with the relay's key for A, and the tap (the
// recorder's place) sees plain RTP both ways; SRTCP likewise.
func TestSRTPLegTalksToAPlainLeg(t *testing.T) {
	for _, suite := range SRTPSuites() {
		t.Run(suite, func(t *testing.T) {
			r := newTestRelay(t, nil)
			br, err := r.NewBridge()
			if err != nil {
				t.Fatal(err)
			}
			defer br.Close()
			pa, pb := newPhone(t), newPhone(t)
			pa.attach(br.A)
			pb.attach(br.B)
			crypto := newSRTPPhone(t, suite)
			crypto.legFor(t, br.A)
			tap := &tapRecorder{}
			br.SetTap(tap)
			br.Start()

			plain := rtpPacket(t, 7)
			enc := crypto.encrypt(t, plain)
			if bytes.Contains(enc, plain[12:40]) {
				t.Fatal("the phone's packet carries its payload in clear")
			}
			pa.sendRTP(br.A, enc)
			got, _ := recv(t, pb.rtp)
			if !bytes.Equal(got, plain) {
				t.Fatalf("B got %x, want the plain packet %x", got[:16], plain[:16])
			}

			back := rtpPacketOf(t, 0x55667788, 9)
			pb.sendRTP(br.B, back)
			got, _ = recv(t, pa.rtp)
			if bytes.Equal(got, back) || bytes.Contains(got, back[12:40]) {
				t.Fatal("A got B's audio in clear on an SRTP leg")
			}
			dec, err := crypto.dec.DecryptRTP(nil, got, nil)
			if err != nil {
				t.Fatalf("A cannot decrypt what the relay sent it: %v", err)
			}
			if !bytes.Equal(dec, back) {
				t.Fatalf("A decrypted %x, want %x", dec[:16], back[:16])
			}
			if !tap.has(plain) || !tap.has(back) {
				t.Fatal("the tap did not see both directions in clear")
			}

			// SRTCP from A reaches B as RTCP; B's RTCP reaches A as SRTCP.
			rr := rtcpPacket(t, 0x1234abcd)
			srtcp, err := crypto.enc.EncryptRTCP(nil, rr, nil)
			if err != nil {
				t.Fatal(err)
			}
			pa.sendRTCP(br.A, srtcp)
			if got, _ := recv(t, pb.rtcp); !bytes.Equal(got, rr) {
				t.Fatalf("B got RTCP %x, want %x", got, rr)
			}
			rrB := rtcpPacket(t, 0x55667788)
			pb.sendRTCP(br.B, rrB)
			got, _ = recv(t, pa.rtcp)
			if bytes.Equal(got, rrB) {
				t.Fatal("A got RTCP in clear on an SRTP leg")
			}
			if dec, err := crypto.dec.DecryptRTCP(nil, got, nil); err != nil || !bytes.Equal(dec, rrB) {
				t.Fatalf("A's SRTCP did not decrypt to B's report: %v", err)
			}
		})
	}
}

// A packet replayed, altered or sealed with another key is dropped and
// counted: it reaches neither the other leg nor the tap, and cannot latch.
func TestSRTPDropsForgedAndReplayedPackets(t *testing.T) {
	br, _, wb := socketlessBridge(NewMetrics(nil))
	phoneAddr := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(phoneAddr)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	crypto := newSRTPPhone(t, SuiteAES128SHA1_80)
	crypto.legFor(t, br.A)
	tap := &tapRecorder{}
	br.SetTap(tap)

	// A forgery first, from the phone's own host on another port: with no
	// key it must not take the latch.
	stranger := newSRTPPhone(t, SuiteAES128SHA1_80)
	forged := stranger.encrypt(t, rtpPacket(t, 1))
	br.forwardRTP(br.A, forged, netip.MustParseAddrPort("192.0.2.1:6666"), 1)
	if st := br.A.Stats(); st.Latched || st.DroppedSRTP != 1 || wb.packets != 0 {
		t.Fatalf("forged packet: latched=%v dropped=%d forwarded=%d", st.Latched, st.DroppedSRTP, wb.packets)
	}

	good := crypto.encrypt(t, rtpPacket(t, 2))
	br.forwardRTP(br.A, good, phoneAddr, 2)
	if wb.packets != 1 || !br.A.Stats().Latched {
		t.Fatalf("genuine packet: forwarded=%d latched=%v", wb.packets, br.A.Stats().Latched)
	}
	br.forwardRTP(br.A, good, phoneAddr, 3) // replayed
	altered := crypto.encrypt(t, rtpPacket(t, 3))
	altered[20] ^= 1
	br.forwardRTP(br.A, altered, phoneAddr, 4)
	if st := br.A.Stats(); st.DroppedSRTP != 3 || wb.packets != 1 || st.PacketsIn != 1 {
		t.Fatalf("replayed and altered: dropped=%d forwarded=%d in=%d, want 3, 1, 1", st.DroppedSRTP, wb.packets, st.PacketsIn)
	}
	if len(tap.pkts) != 1 {
		t.Fatalf("the tap saw %d packets, want only the genuine one", len(tap.pkts))
	}
	// The altered packet's own sequence number is still good when it
	// comes genuine: a failed check does not burn the index.
	br.forwardRTP(br.A, crypto.encrypt(t, rtpPacket(t, 3)), phoneAddr, 5)
	if wb.packets != 2 {
		t.Fatalf("genuine packet after a forgery not forwarded: %d", wb.packets)
	}
}

// A re-INVITE that repeats a leg's keys keeps its streams going (replay
// window and rollover counter intact); a new key from the peer starts over.
func TestSRTPRekeyKeepsUnchangedDirections(t *testing.T) {
	br, _, wb := socketlessBridge(NewMetrics(nil))
	phoneAddr := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(phoneAddr)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	crypto := newSRTPPhone(t, SuiteAES128SHA1_80)
	crypto.legFor(t, br.A)
	first := crypto.encrypt(t, rtpPacket(t, 10))
	br.forwardRTP(br.A, first, phoneAddr, 1)
	crypto.legFor(t, br.A) // same keys again
	br.forwardRTP(br.A, first, phoneAddr, 2)
	if st := br.A.Stats(); st.DroppedSRTP != 1 {
		t.Fatalf("a repeated key reset the replay window: dropped=%d", st.DroppedSRTP)
	}
	next := newSRTPPhone(t, SuiteAES128SHA1_80)
	next.legFor(t, br.A)
	br.forwardRTP(br.A, next.encrypt(t, rtpPacket(t, 11)), phoneAddr, 3)
	br.forwardRTP(br.A, first, phoneAddr, 4) // the old key no longer opens anything
	if st := br.A.Stats(); st.DroppedSRTP != 2 || wb.packets != 2 {
		t.Fatalf("after a new key: dropped=%d forwarded=%d, want 2, 2", st.DroppedSRTP, wb.packets)
	}
	if k, ok := br.A.SRTPSend(); !ok || !k.equal(next.recvKey) {
		t.Fatal("SRTPSend does not give the key the leg encrypts with")
	}
	br.A.ClearSRTP()
	if _, ok := br.A.SRTPSend(); ok {
		t.Fatal("a cleared leg still has a key")
	}
}

func TestSRTPKeysAreFreshAndChecked(t *testing.T) {
	a, b := mustKey(t, SuiteAES128SHA1_80), mustKey(t, SuiteAES128SHA1_80)
	if len(a.Master) != 30 || bytes.Equal(a.Master, b.Master) {
		t.Fatalf("keys: %d bytes, equal=%v", len(a.Master), bytes.Equal(a.Master, b.Master))
	}
	if n := SRTPKeyLen(SuiteAEADAES128GCM); n != 28 {
		t.Fatalf("GCM key length %d, want 28 (RFC 7714)", n)
	}
	if _, err := NewSRTPKey("F8_128_HMAC_SHA1_80"); err == nil {
		t.Fatal("an unsupported suite made a key")
	}
	var l Leg
	if err := l.SetSRTP(SRTPKey{Suite: SuiteAES128SHA1_80, Master: make([]byte, 29)}, a); err == nil {
		t.Fatal("a short key was accepted")
	}
	if _, ok := l.SRTPSend(); ok {
		t.Fatal("a refused key left the leg encrypting")
	}
}

// srtpTraffic pre-encrypts packets as a phone would send them, a batch at
// a time so benchmarks stay out of the phone's own cost.
type srtpTraffic struct {
	phone *srtpPhone
	plain []byte
	seq   uint16
	batch [][]byte
}

func (s *srtpTraffic) fill(t testing.TB) {
	var h rtp.Header
	if _, err := h.Unmarshal(s.plain); err != nil {
		t.Fatal(err)
	}
	for range 4096 {
		s.seq++
		h.SequenceNumber, h.Timestamp = s.seq, uint32(s.seq)*160
		if _, err := h.MarshalTo(s.plain); err != nil {
			t.Fatal(err)
		}
		s.batch = append(s.batch, s.phone.encrypt(t, s.plain))
	}
}

func (s *srtpTraffic) next(t testing.TB) []byte {
	if len(s.batch) == 0 {
		s.fill(t)
	}
	p := s.batch[0]
	s.batch = s.batch[1:]
	return p
}

// BenchmarkRelaySRTP is BenchmarkRelay with SRTP legs, for each suite:
// "decrypt" has leg A speak SRTP and B plain (each packet authenticated,
// replay-checked and decrypted), "encrypt" the other way round (the plain
// phone's packet encrypted for the SRTP one), "both" two SRTP phones
// (decrypt on one leg, encrypt on the other). docs/BENCHMARKS.md turns
// these into a cost per call.
func BenchmarkRelaySRTP(b *testing.B) {
	for _, suite := range SRTPSuites() {
		for _, mode := range []string{"decrypt", "encrypt", "both"} {
			b.Run(mode+"/"+suite, func(b *testing.B) { benchSRTP(b, suite, mode) })
		}
	}
}

func benchSRTP(b *testing.B, suite, mode string) {
	br, _, wb := socketlessBridge(NewMetrics(nil))
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(src)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	crypto := newSRTPPhone(b, suite)
	if mode != "encrypt" {
		crypto.legFor(b, br.A)
	}
	if mode != "decrypt" {
		newSRTPPhone(b, suite).legFor(b, br.B)
	}
	tr := &srtpTraffic{phone: crypto, plain: rtpPacket(b, 0)}
	b.SetBytes(int64(len(tr.plain)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pkt := tr.plain
		if mode != "encrypt" {
			if len(tr.batch) == 0 {
				b.StopTimer()
				tr.fill(b)
				b.StartTimer()
			}
			pkt = tr.next(b)
		}
		br.forwardRTP(br.A, pkt, src, int64(i+1))
	}
	if wb.packets != b.N {
		b.Fatalf("forwarded %d of %d", wb.packets, b.N)
	}
}

func TestSRTPForwardPathDoesNotAllocate(t *testing.T) {
	br, _, wb := socketlessBridge(NewMetrics(nil))
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(src)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	crypto := newSRTPPhone(t, SuiteAES128SHA1_80)
	crypto.legFor(t, br.A)
	newSRTPPhone(t, SuiteAES128SHA1_80).legFor(t, br.B)
	tr := &srtpTraffic{phone: crypto, plain: rtpPacket(t, 0)}
	pkts := make([][]byte, 1100)
	for i := range pkts {
		pkts[i] = tr.next(t)
	}
	br.forwardRTP(br.A, pkts[0], src, 1) // the first packet of a stream sets up its state
	i := 1
	if n := testing.AllocsPerRun(1000, func() {
		br.forwardRTP(br.A, pkts[i], src, int64(i+1))
		i++
	}); n != 0 {
		t.Errorf("%v allocations per SRTP packet, want 0", n)
	}
	if wb.packets < 1000 {
		t.Fatalf("only %d packets forwarded: the loop measured a path that drops", wb.packets)
	}
}

// A key with a lifetime (RFC 4568 §6.1) protects that many packets of the
// peer's and no more: past it each packet is dropped as srtp_key_expired,
// genuine or not, until the peer keys the leg afresh; then its packets go
// through again.
func TestSRTPKeyLifetimeIsEnforced(t *testing.T) {
	m := NewMetrics(nil)
	br, _, wb := socketlessBridge(m)
	phoneAddr := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(phoneAddr)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	phone := newSRTPPhone(t, SuiteAES128SHA1_80)
	limited := phone.sendKey
	limited.Lifetime = 3
	if err := br.A.SetSRTP(phone.recvKey, limited); err != nil {
		t.Fatal(err)
	}
	for seq := uint16(1); seq <= 5; seq++ {
		br.forwardRTP(br.A, phone.encrypt(t, rtpPacket(t, seq)), phoneAddr, int64(seq))
	}
	if wb.packets != 3 {
		t.Errorf("relayed %d packets under a key good for 3", wb.packets)
	}
	if got := testutil.ToFloat64(m.rtpDropped[dropKeyExpired]); got != 2 {
		t.Errorf("srtp_key_expired drops = %v, want 2", got)
	}
	// A re-INVITE with a new key from the phone: a fresh lifetime.
	fresh := newSRTPPhone(t, SuiteAES128SHA1_80)
	renewed := fresh.sendKey
	renewed.Lifetime = 3
	if err := br.A.SetSRTP(phone.recvKey, renewed); err != nil {
		t.Fatal(err)
	}
	br.forwardRTP(br.A, fresh.encrypt(t, rtpPacket(t, 6)), phoneAddr, 6)
	if wb.packets != 4 {
		t.Errorf("after a new key: relayed %d, want 4", wb.packets)
	}
}
