package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// testWrapper seals file keys under one fixed key, standing in for the
// "recordings" keyring.
type testWrapper struct{ key []byte }

func (w testWrapper) Seal(p, aad []byte) ([]byte, error) { return gm.Seal(w.key, p, aad) }
func (w testWrapper) Open(s, aad []byte) ([]byte, error) { return gm.Open(w.key, s, aad) }

func storages(t *testing.T) map[string]Storage {
	return map[string]Storage{
		"plain":  NewPlainStorage(t.TempDir()),
		"sealed": NewSealedStorage(t.TempDir(), testWrapper{gm.RandomBytes(gm.KeySize)}),
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeAll writes data through a new file in odd-sized pieces.
func writeAll(t *testing.T, s Storage, name string, data []byte) Sink {
	t.Helper()
	sink, err := s.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	for p := data; len(p) > 0; {
		k := min(len(p), 4999)
		if _, err := sink.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	return sink
}

func readAll(t *testing.T, s Storage, name string) []byte {
	t.Helper()
	b, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	out, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStorageRoundTripPatchAndRange(t *testing.T) {
	for kind, s := range storages(t) {
		t.Run(kind, func(t *testing.T) {
			data := randomBytes(2*segmentBytes+7001, 1)
			sink := writeAll(t, s, "demo/2026-01-02/a.wav", data)
			// The header patch at the end touches the first, already sealed segment.
			patch := []byte("HEADER-FIXED")
			if err := sink.Patch(0, patch); err != nil {
				t.Fatal(err)
			}
			// And a patch into the not yet sealed tail.
			if err := sink.Patch(int64(len(data)-3), []byte{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			copy(data, patch)
			copy(data[len(data)-3:], []byte{1, 2, 3})
			if got := readAll(t, s, "demo/2026-01-02/a.wav"); !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes differing from the %d written", len(got), len(data))
			}
			if _, err := s.Create(context.Background(), "demo/2026-01-02/a.wav"); !errors.Is(err, errs.ErrConflict) {
				t.Errorf("second create: %v, want ErrConflict", err)
			}

			blob, err := s.Open(context.Background(), "demo/2026-01-02/a.wav")
			if err != nil {
				t.Fatal(err)
			}
			defer blob.Close()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(blob, 0, blob.Size()))
			}))
			defer srv.Close()
			n := len(data)
			for _, rg := range []struct {
				header     string
				start, end int // inclusive
			}{
				{"bytes=0-99", 0, 99},
				{"bytes=15990-16010", 15990, 16010}, // across a segment boundary
				{fmt.Sprintf("bytes=%d-", n-10), n - 10, n - 1},
				{"bytes=-5", n - 5, n - 1},
			} {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				req.Header.Set("Range", rg.header)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[rg.start:rg.end+1]) {
					t.Errorf("Range %s: %d, %d bytes, want 206 with bytes %d-%d", rg.header, res.StatusCode, len(body), rg.start, rg.end)
				}
			}
		})
	}
}

func TestSealedStorageDetectsTamperingAndReordering(t *testing.T) {
	s := NewSealedStorage(t.TempDir(), testWrapper{gm.RandomBytes(gm.KeySize)})
	data := randomBytes(2*segmentBytes+100, 2)
	if err := writeAll(t, s, "t/x.wav.sm4", data).Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Root(), "t", "x.wav.sm4")
	orig, _ := os.ReadFile(path)
	if bytes.Contains(orig, data[:64]) {
		t.Fatal("plaintext visible in the sealed file")
	}
	unit := segmentBytes + segOverhead
	base := len(orig) - 2*unit - (100 + segOverhead)
	flip := bytes.Clone(orig)
	flip[base+unit+100] ^= 1
	swap := bytes.Clone(orig)
	copy(swap[base:], orig[base+unit:base+2*unit])
	copy(swap[base+unit:], orig[base:base+unit])
	for name, b := range map[string][]byte{"flipped bit": flip, "swapped segments": swap} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		blob, err := s.Open(context.Background(), "t/x.wav.sm4")
		if err == nil {
			_, err = io.ReadAll(io.NewSectionReader(blob, 0, blob.Size()))
			blob.Close()
		}
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: read gave %v, want ErrInvalid", name, err)
		}
	}
	// A file renamed to another recording's name does not open either.
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("t/x.wav.sm4", "t/y.wav.sm4"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), "t/y.wav.sm4"); err == nil {
		t.Error("a sealed file opened under another name")
	}
}

func TestStorageRepairDropsATornTail(t *testing.T) {
	for kind, s := range storages(t) {
		t.Run(kind, func(t *testing.T) {
			data := randomBytes(2*segmentBytes+5000, 3)
			// The process dies: the sink is never closed, and the last write
			// was cut short on disk.
			sink := writeAll(t, s, "d/a.wav", data)
			_ = sink
			path := filepath.Join(s.Root(), "d", "a.wav")
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(randomBytes(segmentBytes/2, 4))
			f.Close()

			ed, err := s.Repair(context.Background(), "d/a.wav")
			if err != nil {
				t.Fatal(err)
			}
			want := data
			if kind == "sealed" {
				want = data[:2*segmentBytes] // the unsealed tail died with the process
			} else {
				want = append(bytes.Clone(data), randomBytes(segmentBytes/2, 4)...)
			}
			got, err := io.ReadAll(io.NewSectionReader(ed, 0, ed.Size()))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after repair: %d bytes (%v), want the %d intact ones", len(got), err, len(want))
			}
			// Cut inside a segment: the new last segment is re-sealed.
			if err := ed.Truncate(segmentBytes + 1234); err != nil {
				t.Fatal(err)
			}
			if err := ed.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, s, "d/a.wav"); !bytes.Equal(got, want[:segmentBytes+1234]) {
				t.Fatalf("after truncate: %d bytes", len(got))
			}
		})
	}
}

func TestRepairWAVTrimsToWholeFramesAndFixesSizes(t *testing.T) {
	for kind, s := range storages(t) {
		t.Run(kind, func(t *testing.T) {
			data := append(wavHeader(FormatPCM, -1), randomBytes(4*1001+3, 5)...)
			sink := writeAll(t, s, "r.wav", data)
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			ed, err := s.Repair(context.Background(), "r.wav")
			if err != nil {
				t.Fatal(err)
			}
			frames, err := repairWAV(ed)
			if err != nil {
				t.Fatal(err)
			}
			ed.Close()
			if frames != 1001 {
				t.Fatalf("frames = %d, want 1001", frames)
			}
			got := readAll(t, s, "r.wav")
			if !bytes.Equal(got[:44], wavHeader(FormatPCM, 1001)) || !bytes.Equal(got[44:], data[44:44+4*1001]) {
				t.Fatalf("repaired file wrong: %d bytes", len(got))
			}
		})
	}
}

func FuzzOpenSealed(f *testing.F) {
	wrapper := testWrapper{key: bytes.Repeat([]byte{7}, gm.KeySize)}
	seedDir := f.TempDir()
	s := NewSealedStorage(seedDir, wrapper).(*sealedStorage)
	s.seg = 64 // small segments so the fuzzer reaches several
	for i, n := range []int{0, 10, 64, 200} {
		name := fmt.Sprintf("seed%d", i)
		sink, err := s.Create(context.Background(), name)
		if err != nil {
			f.Fatal(err)
		}
		sink.Write(append(wavHeader(FormatALaw, -1), randomBytes(n, uint64(i))...))
		sink.Close()
		b, _ := os.ReadFile(filepath.Join(seedDir, name))
		f.Add(b)
		f.Add(b[:len(b)*2/3])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		fs := NewSealedStorage(dir, wrapper).(*sealedStorage)
		fs.seg = 64
		// The name binds the key and segments: fuzz inputs reuse "seed1".
		if err := os.WriteFile(filepath.Join(dir, "seed1"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if blob, err := fs.Open(context.Background(), "seed1"); err == nil {
			// A damaged middle segment is only found when read: an error
			// of kind ErrInvalid, never a panic or a short read.
			if _, err := io.ReadAll(io.NewSectionReader(blob, 0, blob.Size())); err != nil && !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("read: %v", err)
			}
			blob.Close()
		}
		if ed, err := fs.Repair(context.Background(), "seed1"); err == nil {
			if _, err := io.ReadAll(io.NewSectionReader(ed, 0, ed.Size())); err != nil && !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("read after repair: %v", err)
			}
			repairWAV(ed)
			ed.Close()
		}
	})
}
