package report

import (
	"context"
	"encoding/json"
)

// ticketCursor is where FoldTickets is in oa_ticket_events.
const ticketCursor = "ticket_events"

// clockStarts are the actions that start the clock a later sign or
// resolve is measured against: a breach after the last of them makes the
// sign (or resolve) late.
const (
	signStarts    = `'create','dispatch','transfer','return'`
	resolveStarts = `'create','dispatch','transfer','sign','reopen','return'`
)

// FoldTickets adds the ticket events appended since the last fold to the
// ticket interval facts (by the event's interval, the ticket's category,
// its department now, and its channel), a batch per transaction with the
// cursor, so nothing is counted twice. It returns how many it folded.
func (s *Service) FoldTickets(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.foldBatch(ctx, 1000)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func (s *Service) foldBatch(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var cur int64
		_ = q.QueryRowContext(ctx, `SELECT value FROM rpt_state WHERE key=?`, ticketCursor).Scan(&cur)
		rows, err := q.QueryContext(ctx, `SELECT e.id, e.ticket_id, e.tenant, e.action, e.detail, e.at, t.category_id, IFNULL(t.department_id,0),
			CASE WHEN c.kind='voicemail' THEN 'voicemail' WHEN t.call_id<>'' OR t.contact_id IS NOT NULL THEN 'phone' ELSE 'manual' END
			FROM oa_ticket_events e JOIN oa_tickets t ON t.id=e.ticket_id LEFT JOIN oa_contacts c ON c.id=t.contact_id
			WHERE e.id>? ORDER BY e.id LIMIT ?`, cur, limit)
		if err != nil {
			return err
		}
		type ev struct {
			id, ticket, at, cat, dep int64
			tenant, action, detail   string
			channel                  string
		}
		var evs []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.id, &e.ticket, &e.tenant, &e.action, &e.detail, &e.at, &e.cat, &e.dep, &e.channel); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range evs {
			inc := map[string]int{}
			switch e.action {
			case "create":
				inc["created"] = 1
			case "dispatch":
				inc["dispatched"] = 1
			case "sign":
				inc["signed"] = 1
				late, err := s.lateSince(ctx, e.ticket, e.id, signStarts)
				if err != nil {
					return err
				}
				if late {
					inc["signed_late"] = 1
				}
			case "resolve":
				inc["resolved"] = 1
				late, err := s.lateSince(ctx, e.ticket, e.id, resolveStarts)
				if err != nil {
					return err
				}
				if late {
					inc["resolved_late"] = 1
				}
			case "return":
				inc["returned"] = 1
			case "reopen":
				inc["reopened"] = 1
			case "archive":
				inc["archived"] = 1
			case "visit":
				var d struct {
					Satisfaction int `json:"satisfaction"`
				}
				_ = json.Unmarshal([]byte(e.detail), &d)
				inc["visited"] = 1
				inc["satisfaction_sum"] = d.Satisfaction
				if d.Satisfaction >= 4 {
					inc["satisfied"] = 1
				}
			}
			if len(inc) > 0 {
				if _, err := q.ExecContext(ctx, `INSERT INTO rpt_ticket_interval(tenant, interval_start, category_id, department_id, channel,
					created, dispatched, signed, signed_late, resolved, resolved_late, returned, reopened, archived, visited, satisfied, satisfaction_sum)
					VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET created=created+excluded.created, dispatched=dispatched+excluded.dispatched,
					signed=signed+excluded.signed, signed_late=signed_late+excluded.signed_late, resolved=resolved+excluded.resolved,
					resolved_late=resolved_late+excluded.resolved_late, returned=returned+excluded.returned, reopened=reopened+excluded.reopened,
					archived=archived+excluded.archived, visited=visited+excluded.visited, satisfied=satisfied+excluded.satisfied,
					satisfaction_sum=satisfaction_sum+excluded.satisfaction_sum`,
					e.tenant, floorInterval(e.at), e.cat, e.dep, e.channel, inc["created"], inc["dispatched"], inc["signed"], inc["signed_late"],
					inc["resolved"], inc["resolved_late"], inc["returned"], inc["reopened"], inc["archived"], inc["visited"], inc["satisfied"],
					inc["satisfaction_sum"]); err != nil {
					return err
				}
			}
			cur = e.id
			n++
		}
		if n == 0 {
			return nil
		}
		_, err = q.ExecContext(ctx, `INSERT INTO rpt_state(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, ticketCursor, cur)
		return err
	})
	return n, err
}

// lateSince: did the ticket's SLA clock breach between the last of starts
// before event id and the event?
func (s *Service) lateSince(ctx context.Context, ticket, id int64, starts string) (bool, error) {
	var late bool
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM oa_ticket_events b WHERE b.ticket_id=? AND b.id<? AND b.action IN ('sla.breached','sla.escalated')
		AND b.id > IFNULL((SELECT MAX(c.id) FROM oa_ticket_events c WHERE c.ticket_id=? AND c.id<? AND c.action IN (`+starts+`)), 0))`,
		ticket, id, ticket, id).Scan(&late)
	return late, err
}
