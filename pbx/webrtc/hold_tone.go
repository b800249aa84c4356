package webrtc

import (
	"math"
	"net"
	"net/netip"
	"time"

	"github.com/yimen/yimen/internal/prompt"
	law "github.com/zaf/g711"
)

// The hold tone a customer hears while the agent's browser is away: 425 Hz
// (the ITU-T E.180 comfort tone frequency) for one second in three, silence
// between, so the customer knows the line is still up and the relay keeps
// seeing RTP (no media timeout).
const (
	holdToneHz     = 425.0
	holdToneOn     = 50  // frames (20 ms) of tone
	holdTonePeriod = 150 // frames in one cycle
	holdToneLevel  = 6000
)

// holdToneFrames is one cycle of the hold tone in codec c.
func holdToneFrames(c g711) [][]byte {
	frames := make([][]byte, holdTonePeriod)
	encode := law.EncodeAlawFrame
	if c == pcmu {
		encode = law.EncodeUlawFrame
	}
	silence := encode(0)
	for i := range frames {
		f := make([]byte, prompt.FrameSamples)
		for j := range f {
			if i >= holdToneOn {
				f[j] = silence
				continue
			}
			n := float64(i*prompt.FrameSamples + j)
			f[j] = encode(int16(holdToneLevel * math.Sin(2*math.Pi*holdToneHz*n/8000)))
		}
		frames[i] = f
	}
	return frames
}

// udpWriter sends RTP from the session's socket to the relay.
type udpWriter struct {
	conn *net.UDPConn
	to   netip.AddrPort
}

func (w udpWriter) WriteRTP(pkt []byte) error {
	_, err := w.conn.WriteToUDPAddrPort(pkt, w.to)
	return err
}

// playHoldTone sends the hold tone from conn to the relay until stop closes.
func playHoldTone(conn *net.UDPConn, to netip.AddrPort, c g711, stop <-chan struct{}) {
	frames := holdToneFrames(c)
	st := prompt.NewStream(udpWriter{conn, to}, c.pt)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		if err := st.Send(frames[i%len(frames)]); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
