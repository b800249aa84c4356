package oa

import (
	"context"
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
)

// MergeTicket closes dup as a duplicate of keep (合并重复工单: the same
// fault reported twice, a citizen who called again): a supervisor's
// decision. dup is archived with merged_into set and its clock stopped;
// the two are linked, dup's other related tickets become keep's, and
// whoever followed dup (its watchers, creator and handler) now follows
// keep. Both timelines record it, dup's handler is told, and the audit
// chain has it. keep must be open and not itself merged; dup open.
func (s *Service) MergeTicket(ctx context.Context, tenant string, me Actor, dup, keep int64, comment string) (Ticket, error) {
	comment = strings.TrimSpace(comment)
	switch {
	case !me.Supervisor:
		return Ticket{}, fmt.Errorf("merging tickets is a supervisor's decision: %w", errs.ErrForbidden)
	case keep == dup:
		return Ticket{}, FieldErrors{"into": "a ticket is not merged into itself"}
	case keep <= 0:
		return Ticket{}, FieldErrors{"into": "the ticket to keep is required"}
	case len([]rune(comment)) > 4000:
		return Ticket{}, FieldErrors{"comment": "at most 4000 characters"}
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		d, err := s.Ticket(ctx, tenant, dup)
		if err != nil {
			return err
		}
		k, err := s.Ticket(ctx, tenant, keep)
		if err != nil {
			return FieldErrors{"into": fmt.Sprintf("no ticket %d", keep)}
		}
		if !d.Open {
			return fmt.Errorf("ticket %d is %s already: %w", dup, d.State, errs.ErrConflict)
		}
		if !k.Open || k.MergedInto != 0 {
			return fmt.Errorf("ticket %d, to keep, is closed: %w", keep, errs.ErrConflict)
		}
		now := s.now()
		set := map[string]any{"state": StateArchived, "open": 0, "closed_at": ms(now), "updated_at": ms(now), "merged_into": keep}
		s.stopClock(set)
		if err := s.updateTicket(ctx, dup, set); err != nil {
			return err
		}
		q := s.db.Q(ctx)
		for _, st := range []struct {
			sql  string
			args []any
		}{
			{`INSERT OR IGNORE INTO oa_ticket_watchers(ticket_id, user_id) SELECT ?, user_id FROM oa_ticket_watchers WHERE ticket_id=?`, []any{keep, dup}},
			{`INSERT OR IGNORE INTO oa_ticket_watchers(ticket_id, user_id) SELECT ?, u FROM (SELECT ? AS u UNION SELECT ?) WHERE u<>''`, []any{keep, d.Creator, d.Assignee}},
			{`INSERT OR IGNORE INTO oa_ticket_links(ticket_id, other_id) SELECT ?, other_id FROM oa_ticket_links WHERE ticket_id=? AND other_id<>?`, []any{keep, dup, keep}},
			{`INSERT OR IGNORE INTO oa_ticket_links(ticket_id, other_id) SELECT other_id, ? FROM oa_ticket_links WHERE ticket_id=? AND other_id<>?`, []any{keep, dup, keep}},
			{`INSERT OR IGNORE INTO oa_ticket_links(ticket_id, other_id) VALUES (?,?), (?,?)`, []any{keep, dup, dup, keep}},
		} {
			if _, err := q.ExecContext(ctx, st.sql, st.args...); err != nil {
				return err
			}
		}
		if err := s.appendEvent(ctx, tenant, dup, "merge", d.State, StateArchived, me.UserID, comment, map[string]any{"into": keep}); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tenant, keep, "merged", k.State, k.State, me.UserID, comment, map[string]any{"from": dup}); err != nil {
			return err
		}
		return s.notify(ctx, tenant, d.Assignee, dup, "merge", fmt.Sprintf("工单 #%d 已合并到 #%d %s", dup, keep, k.Title))
	})
	if err != nil {
		return Ticket{}, err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: me.UserID, Action: "oa.ticket.merge", Target: fmt.Sprintf("ticket/%d", keep),
		Detail: fmt.Sprintf("ticket %d merged into %d", dup, keep)})
	return s.Ticket(ctx, tenant, keep)
}

// Related lists the tickets linked to id (Link, MergeTicket), by number.
func (s *Service) Related(ctx context.Context, tenant string, id int64) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT l.other_id FROM oa_ticket_links l JOIN oa_tickets t ON t.id=l.other_id
		WHERE l.ticket_id=? AND t.tenant=? ORDER BY l.other_id`, id, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
