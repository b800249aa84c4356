package recorder

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/gm"
)

// KeyWrapper seals the per-file keys; *keys.Keyring (ring "recordings")
// implements it.
type KeyWrapper interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Sealed file layout:
//
//	"YMR1" | wrapped key length (uint16, big-endian) | wrapped key
//	segment 0 | segment 1 | ...
//
// Each segment is a complete fieldcrypt chunk stream (header, one chunk,
// tag) of segmentBytes plaintext, the last one shorter, under a fresh
// random per-file key bound to "recording|<name>|<segment index>". Sealing
// in independent segments is what makes the file crash-safe: everything
// up to the last whole segment opens after a kill, where one long stream
// would not (its final chunk would never have been sealed). The index in
// the AAD stops segments being reordered; the index row's size and SM3
// stop them being dropped from the end.
const (
	sealedMagic = "YMR1"
	// segmentBytes is a multiple of both frame sizes and a second of
	// G.711 stereo, which bounds what a crash can lose while encrypting.
	segmentBytes = 16000
	segOverhead  = 16 + gm.TagSize // stream header and the chunk's tag
)

type sealedStorage struct {
	plain plainStorage
	keys  KeyWrapper
	seg   int
}

// NewSealedStorage stores recordings under root encrypted with SM4-GCM,
// each file under its own key wrapped by keys.
func NewSealedStorage(root string, keys KeyWrapper) Storage {
	return &sealedStorage{plain: plainStorage{root: root}, keys: keys, seg: segmentBytes}
}

func (s *sealedStorage) Root() string { return s.plain.root }

func keyAAD(name string) []byte { return []byte("recording-key|" + name) }

func segAAD(name string, i int64) []byte {
	return []byte("recording|" + name + "|" + strconv.FormatInt(i, 10))
}

func (s *sealedStorage) Create(_ context.Context, name string) (Sink, error) {
	p, err := s.plain.path(name)
	if err != nil {
		return nil, err
	}
	key := gm.RandomBytes(gm.KeySize)
	wrapped, err := s.keys.Seal(key, keyAAD(name))
	if err != nil {
		return nil, fmt.Errorf("recorder: wrap file key: %w", err)
	}
	prefix := append([]byte(sealedMagic), 0, 0)
	binary.BigEndian.PutUint16(prefix[4:], uint16(len(wrapped)))
	prefix = append(prefix, wrapped...)
	f, err := createFile(p)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(prefix); err != nil {
		f.Close()
		return nil, fmt.Errorf("recorder: %w", err)
	}
	sf := &sealedFile{f: f, key: key, name: name, seg: s.seg, base: int64(len(prefix)), fileSize: int64(len(prefix)), writable: true, cacheIdx: -1}
	return &sealedSink{sealedFile: sf, buf: make([]byte, 0, s.seg)}, nil
}

// open reads the prefix and the segment geometry of an existing file.
func (s *sealedStorage) open(name string, flag int) (*sealedFile, error) {
	p, err := s.plain.path(name)
	if err != nil {
		return nil, err
	}
	f, size, err := openFile(p, flag)
	if err != nil {
		return nil, err
	}
	sf, err := s.parse(f, size, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	return sf, nil
}

func (s *sealedStorage) parse(f *os.File, size int64, name string) (*sealedFile, error) {
	var head [6]byte
	if size < int64(len(head)) {
		return nil, fmt.Errorf("recorder: %s: not a sealed recording: %w", name, errs.ErrInvalid)
	}
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	klen, err := parseSealedPrefix(head[:])
	if err != nil {
		return nil, err
	}
	base := int64(len(head) + klen)
	if size < base {
		return nil, fmt.Errorf("recorder: %s: truncated key: %w", name, errs.ErrInvalid)
	}
	wrapped := make([]byte, klen)
	if _, err := f.ReadAt(wrapped, int64(len(head))); err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	key, err := s.keys.Open(wrapped, keyAAD(name))
	if err != nil {
		return nil, fmt.Errorf("recorder: %s: unwrap file key: %w", name, err)
	}
	sf := &sealedFile{f: f, key: key, name: name, seg: s.seg, base: base, fileSize: size}
	return sf, nil
}

// parseSealedPrefix checks the magic and returns the wrapped key's length.
func parseSealedPrefix(head []byte) (int, error) {
	if len(head) < 6 || string(head[:4]) != sealedMagic {
		return 0, fmt.Errorf("recorder: not a sealed recording: %w", errs.ErrInvalid)
	}
	n := int(binary.BigEndian.Uint16(head[4:6]))
	if n < gm.Overhead || n > 1024 {
		return 0, fmt.Errorf("recorder: sealed recording: wrapped key of %d bytes: %w", n, errs.ErrInvalid)
	}
	return n, nil
}

func (s *sealedStorage) Open(_ context.Context, name string) (Blob, error) {
	sf, err := s.open(name, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	if err := sf.geometry(false); err != nil {
		sf.f.Close()
		return nil, err
	}
	return sf, nil
}

func (s *sealedStorage) Repair(_ context.Context, name string) (Editor, error) {
	sf, err := s.open(name, os.O_RDWR)
	if err != nil {
		return nil, err
	}
	sf.writable = true
	if err := sf.geometry(true); err != nil {
		sf.f.Close()
		return nil, err
	}
	return sf, nil
}

func (s *sealedStorage) Remove(name string) error { return s.plain.Remove(name) }

func (s *sealedStorage) Rename(from, to string) error { return renameIn(s.plain.path, from, to) }

// sealedFile is an existing sealed file: a Blob, and an Editor when
// opened for repair.
type sealedFile struct {
	f        *os.File
	key      []byte
	name     string
	seg      int   // plaintext bytes per full segment
	base     int64 // file offset of segment 0
	fileSize int64
	segs     int64 // segments on disk
	plain    int64 // plaintext bytes on disk
	writable bool

	mu       sync.Mutex
	cacheIdx int64
	cache    []byte
}

func (sf *sealedFile) unit() int64 { return int64(sf.seg) + segOverhead }

// geometry derives the segment count and plaintext size from the file
// size. With dropTorn, a last segment that does not authenticate (a write
// cut short) is cut off instead of failing the open.
func (sf *sealedFile) geometry(dropTorn bool) error {
	sf.cacheIdx = -1
	body := sf.fileSize - sf.base
	if body == 0 {
		sf.segs, sf.plain = 0, 0
		return nil
	}
	n := (body + sf.unit() - 1) / sf.unit()
	last := body - (n-1)*sf.unit()
	sf.segs = n
	sf.plain = (n-1)*int64(sf.seg) + last - segOverhead
	if last >= segOverhead {
		if _, err := sf.segment(n - 1); err == nil {
			return nil
		} else if !dropTorn {
			return err
		}
	} else if !dropTorn {
		return fmt.Errorf("recorder: %s: truncated segment: %w", sf.name, errs.ErrInvalid)
	}
	cut := sf.base + (n-1)*sf.unit()
	if err := sf.f.Truncate(cut); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	sf.fileSize = cut
	sf.segs, sf.plain = n-1, (n-1)*int64(sf.seg)
	sf.cacheIdx = -1
	return nil
}

// segment returns segment i's plaintext, through a one-segment cache that
// serves the sequential reads of http.ServeContent.
func (sf *sealedFile) segment(i int64) ([]byte, error) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.cacheIdx == i {
		return sf.cache, nil
	}
	off := sf.base + i*sf.unit()
	n := min(sf.unit(), sf.fileSize-off)
	if n < segOverhead {
		return nil, fmt.Errorf("recorder: %s segment %d: truncated: %w", sf.name, i, errs.ErrInvalid)
	}
	r, err := fieldcrypt.NewChunkReaderAt(io.NewSectionReader(sf.f, off, n), n, sf.key, segAAD(sf.name, i))
	if err != nil {
		return nil, fmt.Errorf("recorder: %s segment %d: %w", sf.name, i, err)
	}
	pt := make([]byte, r.Size())
	if _, err := r.ReadAt(pt, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("recorder: %s segment %d: %w", sf.name, i, err)
	}
	sf.cacheIdx, sf.cache = i, pt
	return pt, nil
}

// reseal encrypts plain as segment i and writes it in place.
func (sf *sealedFile) reseal(i int64, plain []byte) error {
	ct, err := sealSegment(sf.key, sf.name, i, sf.seg, plain)
	if err != nil {
		return err
	}
	if _, err := sf.f.WriteAt(ct, sf.base+i*sf.unit()); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	sf.mu.Lock()
	sf.cacheIdx = -1
	sf.mu.Unlock()
	return nil
}

func sealSegment(key []byte, name string, i int64, seg int, plain []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(plain) + segOverhead)
	cw, err := fieldcrypt.NewChunkWriterSize(&out, key, segAAD(name, i), seg)
	if err != nil {
		return nil, err
	}
	if _, err := cw.Write(plain); err != nil {
		return nil, err
	}
	if err := cw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (sf *sealedFile) Size() int64 { return sf.plain }

func (sf *sealedFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("recorder: negative offset: %w", errs.ErrInvalid)
	}
	n := 0
	for n < len(p) && off < sf.plain {
		i := off / int64(sf.seg)
		pt, err := sf.segment(i)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], pt[off-i*int64(sf.seg):])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Patch rewrites plaintext in sealed segments by re-sealing each one touched.
func (sf *sealedFile) Patch(off int64, p []byte) error {
	if !sf.writable || off < 0 || off+int64(len(p)) > sf.plain {
		return fmt.Errorf("recorder: patch outside the file: %w", errs.ErrInvalid)
	}
	for len(p) > 0 {
		i := off / int64(sf.seg)
		pt, err := sf.segment(i)
		if err != nil {
			return err
		}
		pt = append([]byte(nil), pt...)
		k := copy(pt[off-i*int64(sf.seg):], p)
		if err := sf.reseal(i, pt); err != nil {
			return err
		}
		p, off = p[k:], off+int64(k)
	}
	return nil
}

// Truncate shortens the plaintext, re-sealing the new last segment.
func (sf *sealedFile) Truncate(n int64) error {
	if !sf.writable || n < 0 || n > sf.plain {
		return fmt.Errorf("recorder: truncate to %d of %d: %w", n, sf.plain, errs.ErrInvalid)
	}
	if n == sf.plain {
		return nil
	}
	i, rem := n/int64(sf.seg), n%int64(sf.seg)
	cut := sf.base + i*sf.unit()
	if rem > 0 {
		pt, err := sf.segment(i)
		if err != nil {
			return err
		}
		if err := sf.reseal(i, append([]byte(nil), pt[:rem]...)); err != nil {
			return err
		}
		cut += rem + segOverhead
		i++
	}
	if err := sf.f.Truncate(cut); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	sf.fileSize, sf.segs, sf.plain = cut, i, n
	return nil
}

func (sf *sealedFile) Close() error {
	var serr error
	if sf.writable {
		serr = sf.f.Sync()
	}
	return errors.Join(serr, sf.f.Close())
}

// sealedSink writes a new sealed file, one segment at a time.
type sealedSink struct {
	*sealedFile
	buf []byte // plaintext not yet sealed, less than one segment
}

func (s *sealedSink) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(s.seg-len(s.buf), len(p))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(s.buf) == s.seg {
			if err := s.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush seals the buffered plaintext as the next segment.
func (s *sealedSink) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	ct, err := sealSegment(s.key, s.name, s.segs, s.seg, s.buf)
	if err != nil {
		return err
	}
	if _, err := s.f.Write(ct); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	s.segs++
	s.plain += int64(len(s.buf))
	s.fileSize += int64(len(ct))
	s.buf = s.buf[:0]
	return nil
}

// Patch edits the unsealed buffer in place, or re-seals written segments.
func (s *sealedSink) Patch(off int64, p []byte) error {
	if off < 0 || off+int64(len(p)) > s.plain+int64(len(s.buf)) {
		return fmt.Errorf("recorder: patch outside the file: %w", errs.ErrInvalid)
	}
	if end := off + int64(len(p)); end > s.plain {
		from := max(off, s.plain)
		copy(s.buf[from-s.plain:], p[from-off:])
		p = p[:from-off]
	}
	if len(p) == 0 {
		return nil
	}
	return s.sealedFile.Patch(off, p)
}

func (s *sealedSink) Close() error {
	err := s.flush()
	return errors.Join(err, s.sealedFile.Close())
}
