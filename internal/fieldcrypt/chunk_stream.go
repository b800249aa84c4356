package fieldcrypt

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// Chunked stream format (all integers big-endian):
//
//	header:  "YMC1" | chunk size (uint32) | salt (8 random bytes)
//	chunk i: SM4-GCM ciphertext of plaintext bytes [i*size, (i+1)*size) | 16-byte tag
//
// Chunk i's nonce is salt || uint32(i) and its AAD is header || uint32(i) ||
// final flag || caller AAD. Every chunk but the last is full, so a chunk's
// offset is computable and a Range read decrypts only the chunks it touches.
// The index in the nonce defeats reordering; the final flag defeats
// truncation at a chunk boundary (the new last chunk was sealed as not
// final), and the reader checks it when it opens the stream.

const (
	// DefaultChunkSize is the plaintext size of every chunk but the last.
	DefaultChunkSize = 64 << 10
	// MaxChunkSize bounds the chunk size a reader accepts from a header.
	MaxChunkSize = 16 << 20
	headerSize   = 16
	chunkMagic   = "YMC1"
)

var errChunkAuth = fmt.Errorf("fieldcrypt: encrypted stream: authentication failed: %w", errs.ErrInvalid)

type chunkCodec struct {
	aead   cipher.AEAD
	header [headerSize]byte
	aad    []byte // header | index | final | caller aad; index and flag rewritten per chunk
}

func newChunkCodec(key, aad []byte, header [headerSize]byte) (*chunkCodec, error) {
	a, err := gm.NewAEAD(key)
	if err != nil {
		return nil, err
	}
	c := &chunkCodec{aead: a, header: header}
	c.aad = make([]byte, 0, headerSize+5+len(aad))
	c.aad = append(c.aad, header[:]...)
	c.aad = append(c.aad, 0, 0, 0, 0, 0)
	c.aad = append(c.aad, aad...)
	return c, nil
}

func (c *chunkCodec) nonceAAD(index uint32, final bool, nonce *[gm.NonceSize]byte) []byte {
	copy(nonce[:8], c.header[8:16])
	binary.BigEndian.PutUint32(nonce[8:], index)
	binary.BigEndian.PutUint32(c.aad[headerSize:], index)
	c.aad[headerSize+4] = 0
	if final {
		c.aad[headerSize+4] = 1
	}
	return c.aad
}

// ChunkWriter encrypts a stream in fixed-size chunks. Close must be called
// to write the final chunk; without it the stream does not open.
type ChunkWriter struct {
	w      io.Writer
	codec  *chunkCodec
	buf    []byte // pending plaintext, at most one chunk
	out    []byte
	index  uint32
	size   int
	err    error
	closed bool
}

// NewChunkWriter writes the stream header to w and returns a writer sealing
// DefaultChunkSize chunks under key (16 bytes) bound to aad. Use a fresh
// random key per file, wrapped by a keys.Keyring and stored beside the file.
func NewChunkWriter(w io.Writer, key, aad []byte) (*ChunkWriter, error) {
	return NewChunkWriterSize(w, key, aad, DefaultChunkSize)
}

// NewChunkWriterSize is NewChunkWriter with a chosen chunk size.
func NewChunkWriterSize(w io.Writer, key, aad []byte, chunkSize int) (*ChunkWriter, error) {
	if chunkSize < 1 || chunkSize > MaxChunkSize {
		return nil, fmt.Errorf("fieldcrypt: chunk size %d out of range: %w", chunkSize, errs.ErrInvalid)
	}
	var h [headerSize]byte
	copy(h[:4], chunkMagic)
	binary.BigEndian.PutUint32(h[4:8], uint32(chunkSize))
	copy(h[8:], gm.RandomBytes(8))
	c, err := newChunkCodec(key, aad, h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &ChunkWriter{
		w: w, codec: c, size: chunkSize,
		buf: make([]byte, 0, chunkSize),
		out: make([]byte, 0, chunkSize+gm.TagSize),
	}, nil
}

// Write buffers p and seals every chunk that is known not to be the last.
func (cw *ChunkWriter) Write(p []byte) (int, error) {
	if cw.err != nil {
		return 0, cw.err
	}
	if cw.closed {
		return 0, fmt.Errorf("fieldcrypt: write after close: %w", errs.ErrInvalid)
	}
	n := 0
	for len(p) > 0 {
		// A full buffer is flushed only once more data arrives, so the
		// chunk sealed at Close is always the real last one.
		if len(cw.buf) == cw.size {
			if err := cw.flush(false); err != nil {
				return n, err
			}
		}
		k := min(cw.size-len(cw.buf), len(p))
		cw.buf = append(cw.buf, p[:k]...)
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close seals the final chunk. It does not close the underlying writer.
func (cw *ChunkWriter) Close() error {
	if cw.closed {
		return cw.err
	}
	cw.closed = true
	if cw.err != nil {
		return cw.err
	}
	return cw.flush(true)
}

func (cw *ChunkWriter) flush(final bool) error {
	if cw.index == ^uint32(0) {
		cw.err = fmt.Errorf("fieldcrypt: stream too long: %w", errs.ErrInvalid)
		return cw.err
	}
	var nonce [gm.NonceSize]byte
	aad := cw.codec.nonceAAD(cw.index, final, &nonce)
	cw.out = cw.codec.aead.Seal(cw.out[:0], nonce[:], cw.buf, aad)
	if _, err := cw.w.Write(cw.out); err != nil {
		cw.err = err
		return err
	}
	cw.index++
	cw.buf = cw.buf[:0]
	return nil
}

// ChunkReaderAt decrypts a chunked stream at random offsets. Wrap it in
// io.NewSectionReader(r, 0, r.Size()) to hand it to http.ServeContent.
// It is safe for concurrent use.
type ChunkReaderAt struct {
	r        io.ReaderAt
	key, aad []byte
	header   [headerSize]byte
	size     int   // chunk size
	chunks   int64 // number of chunks, >= 1
	plain    int64 // plaintext length

	pool sync.Pool // *chunkCodec: its AAD buffer is per-call scratch

	mu       sync.Mutex
	cacheIdx int64
	cache    []byte
}

// NewChunkReaderAt opens a stream of size bytes in r written by ChunkWriter
// with the same key and aad. It authenticates the last chunk up front, so a
// truncated or extended file is rejected here, before any byte is served.
func NewChunkReaderAt(r io.ReaderAt, size int64, key, aad []byte) (*ChunkReaderAt, error) {
	if size < headerSize+gm.TagSize {
		return nil, fmt.Errorf("fieldcrypt: encrypted stream of %d bytes is truncated: %w", size, errs.ErrInvalid)
	}
	var h [headerSize]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("fieldcrypt: read stream header: %w", err)
	}
	if string(h[:4]) != chunkMagic {
		return nil, fmt.Errorf("fieldcrypt: not an encrypted stream: %w", errs.ErrInvalid)
	}
	cs := int64(binary.BigEndian.Uint32(h[4:8]))
	if cs < 1 || cs > MaxChunkSize {
		return nil, fmt.Errorf("fieldcrypt: chunk size %d out of range: %w", cs, errs.ErrInvalid)
	}
	unit := cs + gm.TagSize
	body := size - headerSize
	chunks, rem := body/unit, body%unit
	last := cs
	switch {
	case rem == 0:
	case rem >= gm.TagSize:
		chunks++
		last = rem - gm.TagSize
	default:
		return nil, fmt.Errorf("fieldcrypt: encrypted stream is truncated: %w", errs.ErrInvalid)
	}
	if chunks > 1<<32 {
		return nil, fmt.Errorf("fieldcrypt: encrypted stream too long: %w", errs.ErrInvalid)
	}
	if _, err := newChunkCodec(key, aad, h); err != nil {
		return nil, err
	}
	cr := &ChunkReaderAt{
		r: r, key: append([]byte(nil), key...), aad: append([]byte(nil), aad...),
		header: h, size: int(cs), chunks: chunks, plain: (chunks-1)*cs + last, cacheIdx: -1,
	}
	cr.pool.New = func() any {
		c, _ := newChunkCodec(cr.key, cr.aad, cr.header)
		return c
	}
	if _, err := cr.chunk(chunks - 1); err != nil {
		return nil, err
	}
	return cr, nil
}

// Size is the plaintext length.
func (cr *ChunkReaderAt) Size() int64 { return cr.plain }

// ReadAt reads plaintext at off, decrypting only the chunks it covers.
func (cr *ChunkReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("fieldcrypt: negative offset: %w", errs.ErrInvalid)
	}
	n := 0
	for n < len(p) && off < cr.plain {
		idx := off / int64(cr.size)
		pt, err := cr.chunk(idx)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], pt[off-idx*int64(cr.size):])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// chunk returns the plaintext of chunk idx, from a one-chunk cache that
// serves the sequential small reads http.ServeContent makes.
func (cr *ChunkReaderAt) chunk(idx int64) ([]byte, error) {
	cr.mu.Lock()
	if cr.cacheIdx == idx {
		pt := cr.cache
		cr.mu.Unlock()
		return pt, nil
	}
	cr.mu.Unlock()

	ptLen := int64(cr.size)
	if idx == cr.chunks-1 {
		ptLen = cr.plain - idx*int64(cr.size)
	}
	ct := make([]byte, ptLen+gm.TagSize)
	off := headerSize + idx*int64(cr.size+gm.TagSize)
	// ReaderAt may return io.EOF with a full read at the end of the source.
	if n, err := cr.r.ReadAt(ct, off); n < len(ct) {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, errChunkAuth // shorter than its size claimed
		}
		return nil, fmt.Errorf("fieldcrypt: read chunk %d: %w", idx, err)
	}
	codec := cr.pool.Get().(*chunkCodec)
	var nonce [gm.NonceSize]byte
	aad := codec.nonceAAD(uint32(idx), idx == cr.chunks-1, &nonce)
	pt, err := codec.aead.Open(ct[:0], nonce[:], ct, aad)
	cr.pool.Put(codec)
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: encrypted stream chunk %d: authentication failed: %w", idx, errs.ErrInvalid)
	}
	cr.mu.Lock()
	cr.cacheIdx, cr.cache = idx, pt
	cr.mu.Unlock()
	return pt, nil
}
