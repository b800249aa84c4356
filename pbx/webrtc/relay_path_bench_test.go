package webrtc

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"
)

// connectedPair is a session's peer (the PBX's, from the engine) connected
// over loopback to a plain pion peer standing for the browser, with the
// PBX's outgoing track bound.
func connectedPair(tb testing.TB) (*outTrack, *pion.PeerConnection) {
	tb.Helper()
	eng, err := newEngine(Config{UDP: netip.MustParseAddrPort("127.0.0.1:0"), LocalIP: netip.MustParseAddr("127.0.0.1"), Codecs: []string{"PCMA"}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = eng.close() })
	var me pion.MediaEngine
	if err := me.RegisterCodec(pcma.parameters(), pion.RTPCodecTypeAudio); err != nil {
		tb.Fatal(err)
	}
	var se pion.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	browser, err := pion.NewAPI(pion.WithMediaEngine(&me), pion.WithSettingEngine(se)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = browser.Close() })
	if _, err := browser.AddTransceiverFromKind(pion.RTPCodecTypeAudio, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionRecvonly}); err != nil {
		tb.Fatal(err)
	}
	browser.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	offer, _ := browser.CreateOffer(nil)
	gathered := pion.GatheringCompletePromise(browser)
	if err := browser.SetLocalDescription(offer); err != nil {
		tb.Fatal(err)
	}
	<-gathered
	m := &Manager{cfg: Config{Codecs: []string{"PCMA"}}, eng: eng}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pc, tracks, answer, err := m.answer(ctx, offered{codec: pcma}, browser.LocalDescription().SDP)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = pc.Close() })
	if err := browser.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer}); err != nil {
		tb.Fatal(err)
	}
	track := tracks.audio
	for track.bound.Load() == nil || pc.ConnectionState() != pion.PeerConnectionStateConnected {
		if ctx.Err() != nil {
			tb.Fatalf("not connected: %s", pc.ConnectionState())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return track, browser
}

// BenchmarkRelayToBrowser is the PBX's cost per packet towards a browser:
// the in-place header rewrite, then pion's SRTP write. Allocations
// reported are pion's (ours are none: TestResequencerAllocatesNothing).
func BenchmarkRelayToBrowser(b *testing.B) {
	track, _ := connectedPair(b)
	bd := track.bound.Load()
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 8
	var rs resequencer
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		rs.rewrite(pkt, bd)
		if _, err := bd.w.Write(pkt); err != nil {
			b.Fatal(err)
		}
	}
}
