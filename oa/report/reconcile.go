package report

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// CDRSource lists the PBX's call records; PBXCDRs implements it.
type CDRSource interface {
	CDRs(ctx context.Context, tenant string, from, to time.Time) ([]CDR, error)
}

// ReconcileResult says what a reconcile pass found.
type ReconcileResult struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Checked   int       `json:"checked"`   // CDRs read
	Added     int       `json:"added"`     // calls the CTI events had missed
	Corrected int       `json:"corrected"` // calls whose figures differed from the CDR
}

// Reconcile compares the calls that started in [from, to) with the PBX's
// CDRs, interval by interval, and stores each CDR the facts lack or state
// differently: the CDRs are the record, so afterwards the interval tables
// say what they say.
func (s *Service) Reconcile(ctx context.Context, tenant string, src CDRSource, from, to time.Time) (ReconcileResult, error) {
	res := ReconcileResult{From: from, To: to}
	for lo := time.UnixMilli(floorInterval(from.UnixMilli())); lo.Before(to); lo = lo.Add(Interval) {
		hi := lo.Add(Interval)
		cdrs, err := src.CDRs(ctx, tenant, lo, hi)
		if err != nil {
			return res, err
		}
		for _, c := range cdrs {
			if c.ID == "" {
				continue
			}
			res.Checked++
			call := c.call()
			differs, missing, err := s.differs(ctx, tenant, call)
			if err != nil {
				return res, err
			}
			if !differs {
				continue
			}
			if missing {
				res.Added++
			} else {
				res.Corrected++
			}
			if err := s.UpsertCall(ctx, tenant, call); err != nil {
				return res, err
			}
		}
	}
	if res.Added+res.Corrected > 0 {
		s.log.Info("report reconcile filled calls from the CDRs", "tenant", tenant, "from", from, "to", to, "added", res.Added, "corrected", res.Corrected)
	}
	return res, nil
}

// differs compares a CDR's facts with the stored call's.
func (s *Service) differs(ctx context.Context, tenant string, c Call) (differs, missing bool, err error) {
	var queue, agent, disp string
	var start, end int64
	var wait, talk, hold, acw int
	var answered, abandoned, overflowed bool
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT queue, agent, disposition, start_ms, end_ms, wait_s, talk_s, hold_s, acw_s, answered, abandoned, overflowed
		FROM rpt_calls WHERE tenant=? AND call_id=?`, tenant, c.ID).Scan(&queue, &agent, &disp, &start, &end, &wait, &talk, &hold, &acw, &answered, &abandoned, &overflowed)
	if errors.Is(err, sql.ErrNoRows) {
		return true, true, nil
	}
	if err != nil {
		return false, false, err
	}
	if disp == "" {
		return true, true, nil // only a survey or transfer had been seen
	}
	d := queue != c.Queue || agent != c.Agent || disp != c.Disposition || floorInterval(start) != floorInterval(c.Start.UnixMilli()) ||
		talk != c.TalkS || hold != c.HoldS || answered != c.Answered || abandoned != c.Abandoned || (c.Overflowed && !overflowed) ||
		(c.Queue != "" && wait != c.WaitS) || (c.ACWS >= 0 && acw != c.ACWS)
	return d, false, nil
}

// reconciledKey is where a tenant's reconcile has reached.
func reconciledKey(tenant string) string { return "reconciled:" + tenant }

// ReconcileDue reconciles a tenant from where the last pass reached (at
// most since ago) to settle ago, so calls still ending are left to the
// next pass; a pass re-checks the last interval it covered.
func (s *Service) ReconcileDue(ctx context.Context, tenant string, src CDRSource, since, settle time.Duration) (ReconcileResult, error) {
	now := s.now()
	to := now.Add(-settle)
	from := now.Add(-since)
	var done int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT value FROM rpt_state WHERE key=?`, reconciledKey(tenant)).Scan(&done)
	if err == nil && time.UnixMilli(done).Add(-Interval).After(from) {
		from = time.UnixMilli(done).Add(-Interval)
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ReconcileResult{}, err
	}
	if !to.After(from) {
		return ReconcileResult{From: from, To: to}, nil
	}
	res, err := s.Reconcile(ctx, tenant, src, from, to)
	if err != nil {
		return res, err
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO rpt_state(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`,
		reconciledKey(tenant), to.UnixMilli())
	return res, err
}

// RunReconcile reconciles each tenant every interval until ctx ends (the
// first pass at once, so a restart fills what the OA missed while down),
// and folds the ticket events on the same beat.
func (s *Service) RunReconcile(ctx context.Context, tenants []string, src CDRSource, every, since time.Duration) {
	if every <= 0 {
		every = 5 * time.Minute
	}
	if since <= 0 {
		since = 24 * time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, tn := range tenants {
			if src != nil {
				if _, err := s.ReconcileDue(ctx, tn, src, since, time.Minute); err != nil && ctx.Err() == nil {
					s.log.Warn("report reconcile failed; next pass retries", "tenant", tn, "err", err)
				}
			}
		}
		if _, err := s.FoldTickets(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ticket facts not folded; next pass retries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
