package dtmf

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync/atomic"
)

const keys = "0123456789*#ABCD"

// Detector turns telephone-events on one leg into keys on a channel.
type Detector struct {
	leg    int
	pt     atomic.Int32  // telephone-event payload type, -1 when none negotiated
	lastTS atomic.Uint64 // (1<<32 | timestamp) of the last event reported
	out    chan byte
	drops  atomic.Uint64
}

// NewDetector watches leg for telephone-events of payload type pt.
func NewDetector(leg int, pt int) *Detector {
	d := &Detector{leg: leg, out: make(chan byte, 32)}
	d.pt.Store(int32(pt))
	return d
}

// Keys delivers detected keys.
func (d *Detector) Keys() <-chan byte { return d.out }

// Dropped counts keys lost because nobody was reading.
func (d *Detector) Dropped() uint64 { return d.drops.Load() }

// OnRTP implements media.Tap. An event is reported once, on its first packet;
// the repeats and the three end packets share its RTP timestamp.
func (d *Detector) OnRTP(leg int, pkt []byte) {
	if leg != d.leg || len(pkt) < 16 || pkt[0]>>6 != 2 {
		return
	}
	if int32(pkt[1]&0x7f) != d.pt.Load() {
		return
	}
	cc := int(pkt[0] & 0x0f)
	off := 12 + 4*cc
	if pkt[0]&0x10 != 0 { // header extension
		if len(pkt) < off+4 {
			return
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(pkt[off+2:]))
	}
	if len(pkt) < off+4 {
		return
	}
	ev := pkt[off]
	if int(ev) >= len(keys) {
		return
	}
	ts := 1<<32 | uint64(binary.BigEndian.Uint32(pkt[4:8]))
	if d.lastTS.Swap(ts) == ts {
		return
	}
	d.Push(keys[ev])
}

// Push delivers a key from another source (SIP INFO) without blocking.
func (d *Detector) Push(k byte) {
	select {
	case d.out <- k:
	default:
		d.drops.Add(1)
	}
}

// ParseINFO extracts the key of a SIP INFO DTMF body.
func ParseINFO(contentType string, body []byte) (byte, bool) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	var v string
	switch ct {
	case "application/dtmf-relay":
		for _, line := range bytes.Split(body, []byte("\n")) {
			k, val, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
			if ok && strings.EqualFold(string(bytes.TrimSpace(k)), "signal") {
				v = string(bytes.TrimSpace(val))
			}
		}
	case "application/dtmf":
		v = string(bytes.TrimSpace(body))
	default:
		return 0, false
	}
	if len(v) != 1 {
		return 0, false
	}
	c := strings.ToUpper(v)[0]
	if strings.IndexByte(keys, c) < 0 {
		return 0, false
	}
	return c, true
}

// Event builds the RFC 4733 packets for one key: three with the event
// running (the first marked) and three end packets, all with timestamp ts.
func Event(key byte, pt uint8, ssrc uint32, seq uint16, ts uint32) ([][]byte, uint16) {
	ev := strings.IndexByte(keys, key)
	if ev < 0 {
		return nil, seq
	}
	var out [][]byte
	for i, dur := range []uint16{160, 320, 480, 640, 640, 640} {
		p := make([]byte, 16)
		p[0], p[1] = 0x80, pt
		if i == 0 {
			p[1] |= 0x80
		}
		binary.BigEndian.PutUint16(p[2:], seq)
		binary.BigEndian.PutUint32(p[4:], ts)
		binary.BigEndian.PutUint32(p[8:], ssrc)
		p[12] = byte(ev)
		p[13] = 10 // volume -10 dBm0
		if i >= 3 {
			p[13] |= 0x80 // end
		}
		binary.BigEndian.PutUint16(p[14:], dur)
		seq++
		out = append(out, p)
	}
	return out, seq
}
