package recorder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
)

// putRecording adds a finished recording row and its file.
func (f *fixture) putRecording(id, tenant, agent string, start time.Time, state string, d time.Duration) Recording {
	f.t.Helper()
	rec := Recording{ID: id, Tenant: tenant, CallerMasked: "1001", Callee: agent, Agent: agent, Start: start, State: state,
		Format: FormatALaw, Path: f.r.fileName(tenant, id, start)}
	ctx := context.Background()
	if err := f.r.index.insert(ctx, rec, "1001"); err != nil {
		f.t.Fatal(err)
	}
	if state != StateFailed {
		if err := writeAll(f.t, f.r.storage, rec.Path, wavHeader(FormatALaw, 0)).Close(); err != nil {
			f.t.Fatal(err)
		}
	}
	if state != StateRecording {
		rec.Duration, rec.Ended = d, start.Add(d)
		if err := f.r.index.finish(ctx, rec); err != nil {
			f.t.Fatal(err)
		}
	}
	return rec
}

func TestRetentionDeletesExactlyTheExpired(t *testing.T) {
	f := newFixture(t, func(c *config.Recording) {
		c.RetentionDays = 90
		c.TenantRetentionDays = map[string]int{"demo": 30, "keepall": 0}
	})
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ago := func(days float64) time.Time { return now.Add(-time.Duration(days * 24 * float64(time.Hour))) }
	type row struct {
		rec     Recording
		expired bool
	}
	rows := []row{
		{f.putRecording("demo31", "demo", "1002", ago(31), StateComplete, time.Minute), true},
		{f.putRecording("demo29", "demo", "1002", ago(29.9), StateComplete, time.Minute), false},
		{f.putRecording("demo40w", "demo", "1002", ago(40), StateRecording, 0), false}, // still being written
		{f.putRecording("demo45f", "demo", "1002", ago(45), StateFailed, 0), true},     // a row without a file
		{f.putRecording("other91", "other", "2001", ago(91), StateRecovered, time.Minute), true},
		{f.putRecording("other60", "other", "2001", ago(60), StateComplete, time.Minute), false},
		{f.putRecording("keep400", "keepall", "3001", ago(400), StateComplete, time.Minute), false},
	}
	ctx := context.Background()
	rule, err := f.r.AddRule(ctx, Rule{Tenant: "demo", Name: "all", Kind: RuleLongCall, MinMinutes: 0 + 1, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.index.insertTask(ctx, Task{Tenant: "demo", RuleID: rule.ID, RecordingID: "demo31", Agent: "1002", Day: "2026-05-01"}, now); err != nil {
		t.Fatal(err)
	}

	n, err := f.r.Sweep(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("swept %d, want 3", n)
	}
	for _, r := range rows {
		_, err := f.r.index.get(ctx, r.rec.ID)
		_, ferr := os.Stat(filepath.Join(f.cfg.Dir, filepath.FromSlash(r.rec.Path)))
		switch {
		case r.expired && !errors.Is(err, errs.ErrNotFound):
			t.Errorf("%s: row survived retention (%v)", r.rec.ID, err)
		case r.expired && !errors.Is(ferr, os.ErrNotExist):
			t.Errorf("%s: file survived retention", r.rec.ID)
		case !r.expired && err != nil:
			t.Errorf("%s: row deleted before its time: %v", r.rec.ID, err)
		case !r.expired && r.rec.State != StateFailed && ferr != nil:
			t.Errorf("%s: file deleted before its time: %v", r.rec.ID, ferr)
		}
	}
	if tasks, _ := f.r.Tasks(ctx, TaskFilter{Tenant: "demo"}); len(tasks) != 0 {
		t.Errorf("tasks of deleted recordings remain: %+v", tasks)
	}
	if n, _ := f.r.Sweep(ctx, now); n != 0 {
		t.Errorf("second sweep deleted %d more", n)
	}
}
