package campaign

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// VisitInput is a 回访's result as the agent records it.
type VisitInput struct {
	Result  string `json:"result"` // satisfied, basically, dissatisfied
	Comment string `json:"comment,omitempty"`
}

// RecordVisit records the result of a 回访 call to a number that carries
// its ticket: the ticket workflow takes it (归档, or 重办 when the citizen
// was dissatisfied, as the ticket's category says) and the number is
// done. The number must have been reached.
func (s *Service) RecordVisit(ctx context.Context, tenant string, me oa.Actor, campaign, target int64, in VisitInput) (oa.Ticket, error) {
	t, err := s.Target(ctx, tenant, campaign, target)
	if err != nil {
		return oa.Ticket{}, err
	}
	if t.TicketID == 0 {
		return oa.Ticket{}, oa.FieldErrors{"target": "this number carries no ticket"}
	}
	if t.VisitResult != "" {
		return oa.Ticket{}, fmt.Errorf("number %d: the 回访 is recorded (%s): %w", target, t.VisitResult, errs.ErrConflict)
	}
	if t.Disposition != DispReached {
		return oa.Ticket{}, fmt.Errorf("number %d has not been reached (%s): %w", target, t.Disposition, errs.ErrConflict)
	}
	var tk oa.Ticket
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if tk, err = s.oa.VisitResult(ctx, tenant, me, t.TicketID, in.Result, in.Comment); err != nil {
			return err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET visit_result=?, state=?, updated_at=? WHERE id=?`,
			in.Result, TargetDone, ms(s.now()), target)
		return err
	})
	if err != nil {
		return oa.Ticket{}, err
	}
	s.changed()
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: me.UserID, Action: "oa.campaign.visit", Target: "ticket/" + strconv.FormatInt(t.TicketID, 10),
		Detail: in.Result + " → " + tk.State})
	return tk, nil
}
