package oa

import (
	"context"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/calendar"
)

// businessCalendar is the holiday calendar clocks run on now.
func (s *Service) businessCalendar() *calendar.Calendar { return s.cal.Load() }

// BusinessCalendar is the holiday calendar in force (campaigns' calling
// days follow it as it changes).
func (s *Service) BusinessCalendar() *calendar.Calendar { return s.businessCalendar() }

// recomputeBatch is how many tickets one transaction of SetCalendar moves.
const recomputeBatch = 500

// Recomputed is what SetCalendar did.
type Recomputed struct {
	Checked int `json:"checked"` // running clocks looked at
	Moved   int `json:"moved"`   // tickets with a deadline, warning or escalation moved
}

// SetCalendar replaces the holiday calendar the SLA clocks run on (a
// calendar file changed: next year's holidays announced, a correction) and
// moves every running clock onto it. What a clock had left at now, in
// business time on the old calendar, is counted forward on the new one:
// time already spent is history and is not recounted, so a deadline moves
// only by the days whose status changed between now and it. The same holds
// for a pending warning and a pending escalation (督办) of a breached
// ticket. Paused clocks (延期) keep business time, not a date, and need
// nothing. Each moved ticket gets an sla.recomputed event with its old and
// new deadline; one audit entry says how many moved. actor is who changed
// the calendar ("system" for a file the OA noticed).
func (s *Service) SetCalendar(ctx context.Context, actor string, cal *calendar.Calendar) (Recomputed, error) {
	old := s.cal.Swap(cal)
	now := s.now()
	var r Recomputed
	after := int64(0)
	for {
		type clock struct {
			id                     int64
			tenant, state          string
			due, warn, escalate    int64
			newDue, newWarn, newEs int64
		}
		var batch []clock
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, tenant, state, IFNULL(sla_due_at,0), IFNULL(sla_warn_at,0), IFNULL(sla_escalate_at,0)
			FROM oa_tickets WHERE open = 1 AND sla_paused_at IS NULL AND id > ?
			AND (sla_due_at > ? OR sla_warn_at > ? OR sla_escalate_at > ?) ORDER BY id LIMIT ?`, after, ms(now), ms(now), ms(now), recomputeBatch)
		if err != nil {
			return r, err
		}
		for rows.Next() {
			var c clock
			if err := rows.Scan(&c.id, &c.tenant, &c.state, &c.due, &c.warn, &c.escalate); err != nil {
				rows.Close()
				return r, err
			}
			batch = append(batch, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, err
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1].id
		r.Checked += len(batch)
		move := func(at int64) int64 {
			if at <= ms(now) {
				return at // passed already: history
			}
			left := Remaining(now, fromMS(at), s.cfg.Hours, old)
			return ms(Resume(now, left, s.cfg.Hours, cal))
		}
		err = s.db.InTx(ctx, func(ctx context.Context) error {
			for _, c := range batch {
				c.newDue, c.newWarn, c.newEs = move(c.due), move(c.warn), move(c.escalate)
				if c.newDue == c.due && c.newWarn == c.warn && c.newEs == c.escalate {
					continue
				}
				set := map[string]any{"updated_at": ms(now)}
				detail := map[string]any{"calendar": calendarName(cal)}
				for _, f := range []struct {
					col        string
					was, now   int64
					oldK, newK string
				}{{"sla_due_at", c.due, c.newDue, "old_due_at", "due_at"}, {"sla_warn_at", c.warn, c.newWarn, "old_warn_at", "warn_at"},
					{"sla_escalate_at", c.escalate, c.newEs, "old_escalate_at", "escalate_at"}} {
					if f.was != f.now {
						set[f.col], detail[f.oldK], detail[f.newK] = f.now, f.was, f.now
					}
				}
				if err := s.updateTicket(ctx, c.id, set); err != nil {
					return err
				}
				if err := s.appendEvent(ctx, c.tenant, c.id, "sla.recomputed", c.state, c.state, actor, "", detail); err != nil {
					return err
				}
				r.Moved++
			}
			return nil
		})
		if err != nil {
			return r, err
		}
	}
	s.log.InfoContext(ctx, "business calendar replaced; SLA clocks recomputed", "calendar", calendarName(cal),
		"checked", r.Checked, "moved", r.Moved)
	s.record(ctx, audit.Entry{Actor: actor, Action: "oa.sla.recompute", Target: "calendar/" + calendarName(cal),
		Detail: fmt.Sprintf("calendar %s replaced %s: %d running clocks checked, %d tickets' deadlines moved", calendarName(cal), calendarName(old), r.Checked, r.Moved)})
	return r, nil
}

func calendarName(c *calendar.Calendar) string {
	if c == nil {
		return "(weekdays only)"
	}
	return c.Name()
}

// WatchCalendar calls load every interval and, when what it returns
// differs from the calendar in force (its fingerprint changed: a calendar
// file was edited), puts it in force with SetCalendar. A load that fails
// is logged and the calendar in force kept.
func (s *Service) WatchCalendar(ctx context.Context, every time.Duration, load func() (*calendar.Calendar, string, error)) {
	_, last, err := load()
	if err != nil {
		s.log.WarnContext(ctx, "calendar watch: cannot read the calendar", "err", err)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cal, sum, err := load()
		switch {
		case err != nil:
			s.log.WarnContext(ctx, "calendar watch: the changed calendar does not load; the one in force stays", "err", err)
		case sum != last:
			last = sum
			if _, err := s.SetCalendar(ctx, "system", cal); err != nil {
				s.log.ErrorContext(ctx, "calendar watch: recomputing the SLA clocks", "err", err)
			}
		}
	}
}
