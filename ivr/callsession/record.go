package callsession

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/prompt"
	"github.com/yimen/yimen/ivr"
)

// recording collects the caller's G.711 payload for a voicemail, bounded.
type recording struct {
	mu    sync.Mutex
	pt    uint8
	data  []byte
	limit int
}

func (r *recording) add(pkt []byte) {
	if len(pkt) < 12 || pkt[1]&0x7f != r.pt {
		return
	}
	off := 12 + 4*int(pkt[0]&0x0f)
	if off >= len(pkt) {
		return
	}
	r.mu.Lock()
	if len(r.data)+len(pkt)-off <= r.limit {
		r.data = append(r.data, pkt[off:]...)
	}
	r.mu.Unlock()
}

// beep is 300 ms of 1 kHz.
func beep() *prompt.Audio {
	a := &prompt.Audio{Samples: make([]int16, 2400)}
	for i := range a.Samples {
		// a 1 kHz square-ish tone from a fixed 8-sample period
		if i%8 < 4 {
			a.Samples[i] = 6000
		} else {
			a.Samples[i] = -6000
		}
	}
	return a
}

// Record implements ivr.Session: it records the caller until Max, '#', or
// hang-up, writes a G.711 WAV and reports it.
func (s *Session) Record(ctx context.Context, req ivr.RecordRequest) (ivr.RecordResult, error) {
	if err := s.ensureAnswered(ctx); err != nil {
		return ivr.RecordResult{}, err
	}
	if req.Prompt != nil {
		if err := s.Play(ctx, *req.Prompt); err != nil {
			return ivr.RecordResult{}, err
		}
	}
	pt := s.call.PayloadType()
	if req.Beep {
		if _, err := s.stream.Play(ctx, beep().Frames(pt), nil); err != nil {
			return ivr.RecordResult{}, err
		}
	}
	max := req.Max
	if max <= 0 || max > 10*time.Minute {
		max = 2 * time.Minute
	}
	rec := &recording{pt: pt, limit: int(max.Seconds()*8000) + 8000}
	s.drainKeys()
	s.tap.rec.Store(rec)
	start := time.Now()
	t := time.NewTimer(max)
	func() {
		defer t.Stop()
		for {
			select {
			case k := <-s.det.Keys():
				if k == '#' {
					return
				}
			case <-t.C:
				return
			case <-s.call.Done():
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	s.tap.rec.Store(nil)
	dur := time.Since(start)
	rec.mu.Lock()
	data := rec.data
	rec.mu.Unlock()

	var idb [8]byte
	_, _ = rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	dir := filepath.Join(s.d.Voicemail, safeName(req.Mailbox))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ivr.RecordResult{}, err
	}
	path := filepath.Join(dir, time.Now().UTC().Format("20060102T150405Z")+"-"+id+".wav")
	if err := os.WriteFile(path, g711WAV(pt, data), 0o600); err != nil {
		return ivr.RecordResult{}, fmt.Errorf("voicemail: %w", err)
	}
	res := ivr.RecordResult{ID: id, Duration: time.Duration(len(data)) * time.Second / 8000}
	if s.d.Events != nil {
		s.d.Events.Voicemail(context.WithoutCancel(ctx), Voicemail{ID: id, Tenant: s.tenant, CallID: s.callID, Mailbox: req.Mailbox, Caller: s.call.Caller(), Path: path, Duration: res.Duration, Vars: req.Vars})
	}
	s.d.Log.Info("voicemail recorded", "call", s.callID, "mailbox", req.Mailbox, "id", id, "seconds", res.Duration.Seconds(), "wall", dur.Round(time.Millisecond).String())
	return res, nil
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "default"
	}
	return string(b)
}

// g711WAV wraps G.711 payload in a WAV with the A-law (6) or µ-law (7) format tag.
func g711WAV(pt uint8, data []byte) []byte {
	tag := uint16(6)
	if pt == 0 {
		tag = 7
	}
	b := make([]byte, 0, 46+len(data))
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(38+len(data)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 18)
	b = binary.LittleEndian.AppendUint16(b, tag)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 8000)
	b = binary.LittleEndian.AppendUint32(b, 8000)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 8)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
