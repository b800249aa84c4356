package recorder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// sweepBatch bounds the rows one retention query loads.
const sweepBatch = 500

// Delete removes a finished recording: its file and its row together.
func (r *Recorder) Delete(ctx context.Context, id string) error {
	rec, err := r.index.get(ctx, id)
	if err != nil {
		return err
	}
	return r.remove(ctx, rec)
}

// remove deletes a recording's file and row together. The file is first
// renamed aside, then the row deleted, then the file; a crash between the
// steps is settled at the next start (settleDeletions), and a failed row
// delete puts the file back.
func (r *Recorder) remove(ctx context.Context, rec Recording) error {
	if rec.State == StateRecording {
		return fmt.Errorf("recorder: recording %s is still being written: %w", rec.ID, errs.ErrConflict)
	}
	aside := rec.Path + deletingSuffix
	err := r.storage.Rename(rec.Path, aside)
	missing := errors.Is(err, errs.ErrNotFound)
	if err != nil && !missing {
		return err
	}
	if err := r.index.delete(ctx, rec.ID); err != nil {
		if !missing {
			if rerr := r.storage.Rename(aside, rec.Path); rerr != nil {
				return errors.Join(err, rerr)
			}
		}
		return err
	}
	if !missing {
		if err := r.storage.Remove(aside); err != nil {
			r.log.Warn("recording file left to remove at next start", "recording", rec.ID, "err", err)
		}
	}
	return nil
}

// retentionDays is how long a tenant keeps recordings; 0 is forever.
func (r *Recorder) retentionDays(tenant string) int {
	if d, ok := r.cfg.TenantRetentionDays[tenant]; ok {
		return d
	}
	return r.cfg.RetentionDays
}

// Sweep deletes every finished recording that started longer ago than
// its tenant's retention, as of now, and returns how many it deleted.
// Recordings still being written are never touched.
func (r *Recorder) Sweep(ctx context.Context, now time.Time) (int, error) {
	tenants, err := r.index.tenants(ctx)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, t := range tenants {
		days := r.retentionDays(t)
		if days <= 0 {
			continue
		}
		cutoff := now.AddDate(0, 0, -days)
		for {
			list, err := r.index.expired(ctx, t, cutoff, sweepBatch)
			if err != nil {
				return deleted, err
			}
			for _, rec := range list {
				if err := r.remove(ctx, rec); err != nil && !errors.Is(err, errs.ErrNotFound) {
					return deleted, err
				}
				deleted++
			}
			if len(list) < sweepBatch {
				break
			}
		}
	}
	return deleted, nil
}

// Run does the daily work until ctx ends: the retention sweep, and QA
// tasks for the day before. The first round runs a minute after start.
func (r *Recorder) Run(ctx context.Context) error {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := r.now()
		if n, err := r.Sweep(ctx, now); err != nil {
			r.log.Error("retention sweep", "err", err)
		} else if n > 0 {
			r.log.Info("retention sweep", "deleted", n)
		}
		day := now.In(r.loc).AddDate(0, 0, -1)
		if n, err := r.GenerateAllTasks(ctx, day); err != nil {
			r.log.Error("qa tasks", "err", err)
		} else if n > 0 {
			r.log.Info("qa tasks", "created", n, "day", day.Format(time.DateOnly))
		}
		t.Reset(24 * time.Hour)
	}
}
