package fieldcrypt

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

func encryptStream(t testing.TB, pt, key, aad []byte, cs int, writes int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewChunkWriterSize(&buf, key, aad, cs)
	if err != nil {
		t.Fatal(err)
	}
	// Write in uneven pieces so buffering across chunk boundaries is exercised.
	rest := pt
	for i := 0; len(rest) > 0; i++ {
		k := min(len(rest), 1+(i*37)%(max(1, len(pt)/max(1, writes))+1))
		if _, err := w.Write(rest[:k]); err != nil {
			t.Fatal(err)
		}
		rest = rest[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openStream(enc, key, aad []byte) (*ChunkReaderAt, error) {
	return NewChunkReaderAt(bytes.NewReader(enc), int64(len(enc)), key, aad)
}

func TestChunkStreamRoundTripAndRandomReads(t *testing.T) {
	key, aad := gm.RandomBytes(16), []byte("recording|r-1")
	const cs = 100
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, cs - 1, cs, cs + 1, 3 * cs, 3*cs + 17, 1000} {
		pt := gm.RandomBytes(n)
		enc := encryptStream(t, pt, key, aad, cs, 7)
		chunks := max(1, (n+cs-1)/cs)
		if want := headerSize + n + chunks*gm.TagSize; len(enc) != want {
			t.Fatalf("n=%d: encrypted len %d, want %d", n, len(enc), want)
		}
		if bytes.Contains(enc, pt) && n > 8 {
			t.Fatalf("n=%d: plaintext visible", n)
		}
		r, err := openStream(enc, key, aad)
		if err != nil {
			t.Fatalf("n=%d: open: %v", n, err)
		}
		if r.Size() != int64(n) {
			t.Fatalf("n=%d: Size %d", n, r.Size())
		}
		all, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		if err != nil || !bytes.Equal(all, pt) {
			t.Fatalf("n=%d: full read mismatch (%v)", n, err)
		}
		for i := 0; i < 50 && n > 0; i++ {
			off := rng.IntN(n)
			l := rng.IntN(n - off + 5)
			p := make([]byte, l)
			got, err := r.ReadAt(p, int64(off))
			wantN := min(l, n-off)
			if got != wantN || !bytes.Equal(p[:got], pt[off:off+wantN]) {
				t.Fatalf("n=%d ReadAt(%d,%d) = %d, %v", n, l, off, got, err)
			}
			if got < l && err != io.EOF {
				t.Fatalf("short read without EOF: %v", err)
			}
		}
	}
}

func TestChunkStreamServesHTTPRange(t *testing.T) {
	key := gm.RandomBytes(16)
	pt := gm.RandomBytes(5*DefaultChunkSize + 1234)
	var buf bytes.Buffer
	w, _ := NewChunkWriter(&buf, key, nil)
	w.Write(pt)
	w.Close()
	r, err := openStream(buf.Bytes(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/rec.wav", nil)
	start, end := DefaultChunkSize-10, 3*DefaultChunkSize+20 // spans four chunks
	req.Header.Set("Range", "bytes="+strconv.Itoa(start)+"-"+strconv.Itoa(end))
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "rec.wav", time.Time{}, io.NewSectionReader(r, 0, r.Size()))
	if rec.Code != http.StatusPartialContent {
		t.Fatalf("status %d", rec.Code)
	}
	if !bytes.Equal(rec.Body.Bytes(), pt[start:end+1]) {
		t.Fatal("range body differs from plaintext")
	}
}

func TestChunkStreamDetectsTamper(t *testing.T) {
	key, aad := gm.RandomBytes(16), []byte("rec-9")
	const cs = 64
	pt := gm.RandomBytes(4*cs + 10) // 5 chunks
	enc := encryptStream(t, pt, key, aad, cs, 3)
	unit := cs + gm.TagSize
	chunk := func(i int) []byte { return enc[headerSize+i*unit : min(len(enc), headerSize+(i+1)*unit)] }

	cases := map[string]struct {
		data    []byte
		key     []byte
		aad     []byte
		readAll bool // failure shows only when the bad chunk is read
	}{
		"truncated at chunk boundary": {data: enc[:headerSize+4*unit]},
		"truncated mid chunk":         {data: enc[:len(enc)-3]},
		"truncated into tag":          {data: enc[:headerSize+4*unit+5]},
		"header only":                 {data: enc[:headerSize]},
		"extended by a copied chunk":  {data: append(append(bytes.Clone(enc[:headerSize+4*unit]), chunk(3)...), chunk(4)...)},
		"chunks 0 and 1 swapped":      {data: concat(enc[:headerSize], chunk(1), chunk(0), enc[headerSize+2*unit:]), readAll: true},
		"flipped byte in chunk 2":     {data: flip(enc, headerSize+2*unit+5), readAll: true},
		"chunk size in header":        {data: flip(enc, 7)},
		"salt in header":              {data: flip(enc, 12)},
		"wrong key":                   {data: enc, key: gm.RandomBytes(16)},
		"wrong aad":                   {data: enc, aad: []byte("rec-10")},
	}
	for name, c := range cases {
		k, a := key, aad
		if c.key != nil {
			k = c.key
		}
		if c.aad != nil {
			a = c.aad
		}
		r, err := openStream(c.data, k, a)
		if err == nil && c.readAll {
			_, err = io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		}
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	// A writer that is never closed leaves a stream that does not open.
	var buf bytes.Buffer
	w, _ := NewChunkWriterSize(&buf, key, aad, cs)
	w.Write(pt)
	if _, err := openStream(buf.Bytes(), key, aad); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("unclosed stream opened: %v", err)
	}
	w.Close()
	if _, err := w.Write([]byte("x")); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("write after close accepted")
	}
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func FuzzChunkReaderAt(f *testing.F) {
	key := bytes.Repeat([]byte{3}, 16)
	var buf bytes.Buffer
	w, _ := NewChunkWriterSize(&buf, key, nil, 16)
	w.Write([]byte("the quick brown fox jumps over the lazy dog"))
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("YMC1\x00\x00\x00\x10saltsalt"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := openStream(data, key, nil)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("open err %v", err)
			}
			return
		}
		if r.Size() < 0 || r.Size() > int64(len(data)) {
			t.Fatalf("Size %d from %d bytes", r.Size(), len(data))
		}
		p := make([]byte, r.Size())
		if _, err := r.ReadAt(p, 0); err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("read err %v", err)
		}
	})
}
