package testpbx

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/zaf/g711"
)

// BrowserPeer is a WebRTC peer that plays an agent's browser in tests and
// benchmarks: it offers (non-trickle, as the agent bar does), runs full ICE
// and DTLS-SRTP against the PBX, sends a tone and keeps what it hears.
type BrowserPeer struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	pt    uint8

	received atomic.Uint64
	sent     atomic.Uint64
	mu       sync.Mutex
	got      []int16
	keep     bool // keep decoded samples (tests); a load client only counts
	stop     chan struct{}
	once     sync.Once
}

// BrowserCodecs are a browser's usual audio codecs, Opus first: the PBX must
// pick a G.711 one out of them.
var BrowserCodecs = []webrtc.RTPCodecParameters{
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
}

// NewBrowserPeer builds a peer offering codecs (BrowserCodecs when none)
// from loopback only. keep makes it decode and keep what it hears (Heard).
func NewBrowserPeer(keep bool, codecs ...webrtc.RTPCodecParameters) (*BrowserPeer, error) {
	if len(codecs) == 0 {
		codecs = BrowserCodecs
	}
	var me webrtc.MediaEngine
	for _, c := range codecs {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() }) // tests touch loopback only
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return nil, err
	}
	b := &BrowserPeer{pc: pc, keep: keep, stop: make(chan struct{})}
	send := codecs[len(codecs)-1]
	for _, c := range codecs {
		if c.MimeType == webrtc.MimeTypePCMA {
			send = c
		}
	}
	b.track, err = webrtc.NewTrackLocalStaticRTP(send.RTPCodecCapability, "audio", "browser")
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	if _, err := pc.AddTrack(b.track); err != nil {
		_ = pc.Close()
		return nil, err
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		var p rtp.Packet
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				return
			}
			b.received.Add(1)
			if !b.keep || p.Unmarshal(buf[:n]) != nil {
				continue
			}
			b.mu.Lock()
			for _, v := range p.Payload {
				if p.PayloadType == 0 {
					b.got = append(b.got, g711.DecodeUlawFrame(v))
				} else {
					b.got = append(b.got, g711.DecodeAlawFrame(v))
				}
			}
			b.mu.Unlock()
		}
	})
	return b, nil
}

// Offer is the peer's complete offer (ICE gathering done).
func (b *BrowserPeer) Offer() (string, error) {
	offer, err := b.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(b.pc)
	if err := b.pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-time.After(2 * time.Second): // what the agent bar waits at most
	}
	return b.pc.LocalDescription().SDP, nil
}

// Accept applies the PBX's answer and waits until DTLS is up.
func (b *BrowserPeer) Accept(ctx context.Context, answer string) error {
	connected := make(chan struct{})
	var once sync.Once
	b.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return err
	}
	if b.pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
		return nil
	}
	select {
	case <-connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("browser peer: not connected (%s): %w", b.pc.ConnectionState(), ctx.Err())
	}
}

// SendTone streams a G.711 tone every 20 ms until the returned stop or Close.
func (b *BrowserPeer) SendTone(freq float64) (stop func()) {
	quit := make(chan struct{})
	var once sync.Once
	pt := uint8(8)
	encode := g711.EncodeAlawFrame
	if b.track.Codec().MimeType == webrtc.MimeTypePCMU {
		pt, encode = 0, g711.EncodeUlawFrame
	}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		payload := make([]byte, 160)
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 0x5eed}}
		for i := 0; ; i++ {
			for j := range payload {
				payload[j] = encode(int16(5000 * math.Sin(2*math.Pi*freq*float64(i*160+j)/8000)))
			}
			p.SequenceNumber, p.Timestamp, p.Payload = uint16(i), uint32(i*160), payload
			if err := b.track.WriteRTP(&p); err == nil {
				b.sent.Add(1)
			} else if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-quit:
				return
			case <-b.stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() { once.Do(func() { close(quit) }) }
}

// Heard is each tone's relative power in what arrived since the last call.
func (b *BrowserPeer) Heard(power func([]int16, float64) float64, freqs ...float64) []float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]float64, len(freqs))
	for i, f := range freqs {
		out[i] = power(b.got, f)
	}
	b.got = b.got[:0]
	return out
}

// Received and Sent count RTP packets.
func (b *BrowserPeer) Received() uint64 { return b.received.Load() }

// Sent counts RTP packets written to the PBX.
func (b *BrowserPeer) Sent() uint64 { return b.sent.Load() }

// Close ends the peer (a closed tab).
func (b *BrowserPeer) Close() {
	b.once.Do(func() {
		close(b.stop)
		_ = b.pc.Close()
	})
}
