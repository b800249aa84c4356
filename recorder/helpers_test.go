package recorder

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx/callevent"
)

// fixture is a recorder on a temporary database and directory, with a
// fake clock driving its sessions.
type fixture struct {
	t     *testing.T
	r     *Recorder
	db    *store.DB
	km    *keys.Manager
	cfg   config.Recording
	clock atomic.Int64 // ns since each session's start
	logs  lockedBuffer
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFixture(t *testing.T, mod func(*config.Recording)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "yimen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, err := keys.ParseMasterKey(keys.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km, err := keys.Open(ctx, db, master, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, km: km, cfg: config.Recording{Dir: t.TempDir(), Format: "alaw", Policy: "always"}}
	if mod != nil {
		mod(&f.cfg)
	}
	f.r = f.open()
	return f
}

// open builds a Recorder on the fixture's database and directory, as a
// restart would.
func (f *fixture) open() *Recorder {
	f.t.Helper()
	ctx := context.Background()
	cipher, err := fieldcrypt.New(ctx, f.km)
	if err != nil {
		f.t.Fatal(err)
	}
	ring, err := f.km.Keyring(ctx, "recordings")
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := New(ctx, f.cfg, Deps{DB: f.db, Sealer: cipher, Keys: ring, Log: slog.New(slog.NewTextHandler(&f.logs, nil)), Location: time.UTC,
		AgentOf: func(_, ext string) (string, bool) { return "a" + ext, ext == "1002" || ext == "1003" }})
	if err != nil {
		f.t.Fatal(err)
	}
	r.clock = func(time.Time) func() int64 { return f.clock.Load }
	f.t.Cleanup(r.Close)
	return r
}

// tapHolder stands for a call's media: it keeps the tap attached to it.
type tapHolder struct {
	mu  sync.Mutex
	tap callevent.Tap
}

func (h *tapHolder) SetTap(t callevent.Tap) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tap = t
}

func (h *tapHolder) attached() callevent.Tap {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tap
}

// answer reports c answered on fresh media, and returns the media.
func (f *fixture) answer(c callevent.Call) *tapHolder {
	m := &tapHolder{}
	f.r.CallMedia(callevent.Answered{Call: c}, m)
	return m
}

// session returns the live session of a call.
func (f *fixture) session(id string) *session {
	f.t.Helper()
	f.r.mu.Lock()
	defer f.r.mu.Unlock()
	lc := f.r.calls[id]
	if lc == nil || lc.sess == nil {
		f.t.Fatalf("call %s is not being recorded", id)
	}
	return lc.sess
}

// talk feeds both legs 20 ms packets of their tones from packet from to
// packet to (exclusive), advancing the clock, and keeps the queue from
// overflowing by waiting for the writer.
func (f *fixture) talk(s *session, from, to int, freqs [2]float64, between func(i int)) {
	for i := from; i < to; i++ {
		if between != nil {
			between(i)
		}
		f.clock.Store(int64(i+1) * int64(20*time.Millisecond))
		for leg := range 2 {
			pkt := RTPPacket(ptPCMA, uint16(i), uint32(5000*leg+160*i), uint32(leg+1), ToneALaw(freqs[leg], 8000, 160*i, 160))
			s.OnRTP(leg, pkt)
		}
		for len(s.in) > queueSlots/2 {
			time.Sleep(time.Millisecond)
		}
	}
}

// blob reads a stored recording's plaintext.
func (f *fixture) file(rec Recording) []byte {
	f.t.Helper()
	b, err := f.r.storage.Open(context.Background(), rec.Path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer b.Close()
	out, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}
