package media

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestValidRTP(t *testing.T) {
	withExt := func(words uint16, total int) []byte {
		p := make([]byte, total)
		p[0] = 0x90 // V=2, X=1
		binary.BigEndian.PutUint16(p[12:], 0xbede)
		binary.BigEndian.PutUint16(p[14:], words)
		return p
	}
	padded := func(total int, pad byte) []byte {
		p := make([]byte, total)
		p[0] = 0xa0 // V=2, P=1
		p[total-1] = pad
		return p
	}
	for _, tc := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"bare header", append([]byte{0x80, 0}, make([]byte, 10)...), true},
		{"11 bytes", append([]byte{0x80, 0}, make([]byte, 9)...), false},
		{"version 0", make([]byte, 172), false},
		{"version 1", append([]byte{0x40, 0}, make([]byte, 170)...), false},
		{"version 3", append([]byte{0xc0, 0}, make([]byte, 170)...), false},
		{"15 CSRCs fit", append([]byte{0x8f, 0}, make([]byte, 10+60)...), true},
		{"15 CSRCs cut short", append([]byte{0x8f, 0}, make([]byte, 10+59)...), false},
		{"extension fits", withExt(2, 12+4+8), true},
		{"extension cut short", withExt(2, 12+4+7), false},
		{"extension head cut short", withExt(0, 12+4)[:15], false},
		{"padding fits", padded(16, 4), true},
		{"padding eats header", padded(16, 5), false},
		{"padding zero", padded(16, 0), false},
		{"empty", nil, false},
	} {
		if got := validRTP(tc.pkt); got != tc.want {
			t.Errorf("%s: validRTP = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidRTCP(t *testing.T) {
	rr, err := (&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	compound, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.SenderReport{SSRC: 1},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 1, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "x"}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lying := append([]byte(nil), rr...)
	binary.BigEndian.PutUint16(lying[2:], uint16(len(rr)/4)) // one word longer than sent
	for _, tc := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"receiver report", rr, true},
		{"SR + SDES", compound, true},
		{"length beyond datagram", lying, false},
		{"header only", rr[:4], false},
		{"RTP packet", rtpPacket(t, 1), false},
		{"version 1", append([]byte{0x40}, rr[1:]...), false},
	} {
		if got := validRTCP(tc.pkt); got != tc.want {
			t.Errorf("%s: validRTCP = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzValidRTP checks the in-place header check against pion's full parser:
// whatever pion parses as a version 2 packet must pass, and whatever passes
// must parse, except for pion's stricter reading of extension elements.
func FuzzValidRTP(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 1, 0xff})
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0})
	f.Add([]byte{0xa1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 9, 2})
	f.Add([]byte{0x40, 0, 0, 1})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		got := validRTP(pkt)
		var p rtp.Packet
		err := p.Unmarshal(pkt)
		pionOK := err == nil && p.Version == 2
		if pionOK && !got {
			t.Fatalf("pion parses %x as RTP v2 but validRTP rejects it", pkt)
		}
		if got && !pionOK && !elementExtension(pkt) {
			t.Fatalf("validRTP accepts %x but pion says %v", pkt, err)
		}
	})
}

// elementExtension reports whether a header-valid pkt carries an RFC 8285
// extension, whose elements pion parses and the relay deliberately does not.
func elementExtension(pkt []byte) bool {
	if pkt[0]&0x10 == 0 {
		return false
	}
	profile := binary.BigEndian.Uint16(pkt[12+4*int(pkt[0]&0x0f):])
	return profile == rtp.ExtensionProfileOneByte || profile == rtp.ExtensionProfileTwoByte
}

// FuzzValidRTCP checks that what passes starts with a parseable RTCP header
// whose first packet fits.
func FuzzValidRTCP(f *testing.F) {
	f.Add([]byte{0x80, 201, 0, 1, 0, 0, 0, 1})
	f.Add([]byte{0x81, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if !validRTCP(pkt) {
			return
		}
		var h rtcp.Header
		if err := h.Unmarshal(pkt); err != nil {
			t.Fatalf("validRTCP accepts %x but pion says %v", pkt, err)
		}
		if int(h.Length+1)*4 > len(pkt) || h.Type < 192 || h.Type > 223 {
			t.Fatalf("validRTCP accepts %x: %+v", pkt, h)
		}
	})
}

// FuzzForward drives the forward path with arbitrary datagrams from two
// sources: it must not panic, and every datagram is either relayed or
// counted as dropped exactly once.
func FuzzForward(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 1, 0xff}, false, false)
	f.Add([]byte{0x80, 201, 0, 1, 0, 0, 0, 1}, true, true)
	f.Add([]byte("garbage"), false, true)
	m := NewMetrics(nil) // shared: building collectors would dwarf the work under test
	f.Fuzz(func(t *testing.T, pkt []byte, asRTCP, fromStranger bool) {
		b, _, wb := socketlessBridge(m)
		b.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
		owner := netip.MustParseAddrPort("192.0.2.1:4000")
		b.A.SetRemote(owner)
		src := owner
		if fromStranger {
			src = netip.MustParseAddrPort("198.51.100.9:4000")
		}
		for _, from := range []netip.AddrPort{owner, src} {
			if asRTCP {
				b.forwardRTCP(b.A, pkt, from)
			} else {
				b.forwardRTP(b.A, pkt, from, 1)
			}
		}
		var dropped uint64
		s := &b.A.rtp
		if asRTCP {
			s = &b.A.rtcp
		}
		for i := range s.dropped {
			dropped += s.dropped[i].Load()
		}
		if relayed := s.relayed.Load(); relayed+dropped != 2 || relayed != uint64(wb.packets) {
			t.Fatalf("relayed %d + dropped %d != 2 datagrams (writes %d)", relayed, dropped, wb.packets)
		}
	})
}
