package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// deletingSuffix marks a file whose row is being deleted (see remove).
const deletingSuffix = ".deleting"

// recover runs at start, before any call: it settles deletions a crash
// interrupted, and repairs every recording left in state "recording" —
// its header is rewritten from the file's size and the row becomes
// "recovered" with the length that survived.
func (r *Recorder) recover(ctx context.Context) error {
	if err := r.settleDeletions(ctx); err != nil {
		return err
	}
	open, err := r.index.inState(ctx, StateRecording)
	if err != nil {
		return err
	}
	for _, rec := range open {
		got, err := r.repair(ctx, rec)
		if err != nil {
			r.log.Error("recording not recoverable", "recording", rec.ID, "err", err)
			got = rec
			got.State = StateFailed
			if errors.Is(err, errs.ErrNotFound) {
				got.Size = 0
			}
		}
		got.Ended = r.now()
		if err := r.index.finish(ctx, got); err != nil {
			return err
		}
		if got.State == StateRecovered {
			r.log.Warn("recording recovered after a crash", "recording", rec.ID, "duration_ms", got.Duration.Milliseconds())
			r.ready(got)
		}
	}
	return nil
}

// repair fixes one interrupted file and returns its row as recovered.
func (r *Recorder) repair(ctx context.Context, rec Recording) (Recording, error) {
	ed, err := r.storage.Repair(ctx, rec.Path)
	if err != nil {
		return rec, err
	}
	frames, err := repairWAV(ed)
	if cerr := ed.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rec, err
	}
	rec.State = StateRecovered
	rec.Duration = time.Duration(frames * nsPerFrame)
	rec.Size, rec.SM3, err = r.checksum(ctx, rec.Path)
	return rec, err
}

// repairWAV rewrites the header of a WAV file this package was writing
// when it was interrupted: the sizes come from the file's length, cut
// down to whole frames. It returns the number of frames kept.
func repairWAV(ed Editor) (int64, error) {
	head := make([]byte, min(ed.Size(), 512))
	if _, err := ed.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("recorder: read header: %w", err)
	}
	info, err := parseWAVHeader(head)
	if err != nil {
		return 0, err
	}
	fb := int64(info.Format.frameBytes())
	frames := (ed.Size() - info.DataOffset) / fb
	if frames < 0 {
		frames = 0
	}
	if end := info.DataOffset + frames*fb; end != ed.Size() {
		if err := ed.Truncate(end); err != nil {
			return 0, err
		}
	}
	hdr := wavHeader(info.Format, frames)
	if int64(len(hdr)) != info.DataOffset {
		return 0, fmt.Errorf("recorder: header of %d bytes is not ours: %w", info.DataOffset, errs.ErrInvalid)
	}
	return frames, ed.Patch(0, hdr)
}

// settleDeletions finishes what a crash interrupted in remove: a renamed
// file whose row is gone is deleted, one whose row survived is restored.
func (r *Recorder) settleDeletions(ctx context.Context) error {
	root := r.storage.Root()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, deletingSuffix) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		orig := strings.TrimSuffix(name, deletingSuffix)
		id := strings.TrimSuffix(strings.TrimSuffix(path.Base(orig), ".sm4"), ".wav")
		ok, err := r.index.exists(ctx, id)
		if err != nil {
			return err
		}
		if ok {
			return r.storage.Rename(name, orig)
		}
		return r.storage.Remove(name)
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("recorder: scan %s: %w", root, err)
	}
	return nil
}
