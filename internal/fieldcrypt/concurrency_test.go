package fieldcrypt

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/yimen/yimen/internal/gm"
)

// TestConcurrentUse shares one Cipher and one ChunkReaderAt between
// goroutines, as HTTP handlers do; run with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	key := gm.RandomBytes(16)
	pt := gm.RandomBytes(10*1000 + 7)
	enc := encryptStream(t, pt, key, nil, 1000, 5)
	r, err := openStream(enc, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				off := (g*1237 + i*311) % len(pt)
				p := make([]byte, min(1500, len(pt)-off))
				if _, err := r.ReadAt(p, int64(off)); err != nil || !bytes.Equal(p, pt[off:off+len(p)]) {
					errs <- fmt.Errorf("ReadAt(%d): %v", off, err)
					return
				}
				row := fmt.Sprint(g*100 + i)
				table := []string{"cdr", "voicemail"}[i%2]
				ct, err := e.c.Encrypt(ctx, table, row, "caller", []byte("1380013"+row))
				if err != nil {
					errs <- err
					return
				}
				if back, err := e.c.Decrypt(ctx, table, row, "caller", ct); err != nil || string(back) != "1380013"+row {
					errs <- fmt.Errorf("decrypt: %v", err)
					return
				}
				if !bytes.Equal(e.c.BlindIndex("caller", []byte("1380013"+row)), e.c.BlindIndex("caller", []byte("+86 1380013"+row))) {
					errs <- fmt.Errorf("blind index unstable")
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
