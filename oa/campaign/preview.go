package campaign

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// Card is what a preview agent sees before dialling: the number masked,
// the customer and the ticket a 回访 is about.
type Card struct {
	Target   Target       `json:"target"`
	Customer *oa.Customer `json:"customer,omitempty"`
	Ticket   *oa.Ticket   `json:"ticket,omitempty"`
}

// Next reserves a preview campaign's next due number for agent and returns
// its card (the agent's own reserved card again if they have one); it
// answers ErrNotFound when nothing is due and ErrConflict outside calling
// hours.
func (s *Service) Next(ctx context.Context, tenant string, id int64, agent string) (Card, error) {
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return Card{}, err
	}
	if c.Mode != ModePreview || c.State != StateRunning {
		return Card{}, fmt.Errorf("campaign %d is a %s campaign, %s: %w", id, c.Mode, c.State, errs.ErrConflict)
	}
	if ok, why := s.callable(c, s.now()); !ok {
		return Card{}, fmt.Errorf("campaign %d: %s: %w", id, why, errs.ErrConflict)
	}
	var target int64
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM oa_campaign_targets WHERE campaign_id=? AND state='reserved' AND agent=? LIMIT 1`,
			id, agent).Scan(&target)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for {
			var bidx []byte
			err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, phone_bidx FROM oa_campaign_targets WHERE campaign_id=? AND state='pending' AND next_at<=?
				ORDER BY attempts = 0, next_at, id LIMIT 1`, id, ms(s.now())).Scan(&target, &bidx)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("campaign %d: no number is due: %w", id, errs.ErrNotFound)
			}
			if err != nil {
				return err
			}
			if skipped, err := s.skipIfDNC(ctx, tenant, id, target, bidx); err != nil {
				return err
			} else if !skipped {
				break
			}
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state='reserved', agent=?, updated_at=? WHERE id=?`, agent, ms(s.now()), target)
		return err
	})
	if err != nil {
		return Card{}, err
	}
	return s.card(ctx, tenant, id, target)
}

func (s *Service) card(ctx context.Context, tenant string, campaign, target int64) (Card, error) {
	t, err := s.Target(ctx, tenant, campaign, target)
	if err != nil {
		return Card{}, err
	}
	card := Card{Target: t}
	if t.CustomerID != 0 {
		if cu, err := s.oa.Customer(ctx, tenant, t.CustomerID, false); err == nil {
			card.Customer = &cu
		}
	}
	if t.TicketID != 0 {
		if tk, err := s.oa.Ticket(ctx, tenant, t.TicketID); err == nil {
			card.Ticket = &tk
		}
	}
	return card, nil
}

// DialCard dials the number on agent's preview card through their phone;
// it answers ErrConflict when the card is not theirs, outside calling
// hours, or while they are on another campaign call.
func (s *Service) DialCard(ctx context.Context, tenant string, id, target int64, agent string) (Attempt, error) {
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return Attempt{}, err
	}
	if c.State != StateRunning {
		return Attempt{}, fmt.Errorf("campaign %d is %s: %w", id, c.State, errs.ErrConflict)
	}
	if ok, why := s.callable(c, s.now()); !ok {
		return Attempt{}, fmt.Errorf("campaign %d: %s: %w", id, why, errs.ErrConflict)
	}
	t, err := s.Target(ctx, tenant, id, target)
	if err != nil {
		return Attempt{}, err
	}
	if t.State != TargetReserved || t.Agent != agent {
		return Attempt{}, fmt.Errorf("number %d is not on your card: %w", target, errs.ErrConflict)
	}
	var bidx []byte
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT phone_bidx FROM oa_campaign_targets WHERE id=?`, target).Scan(&bidx); err != nil {
		return Attempt{}, err
	}
	if skipped, err := s.skipIfDNC(ctx, tenant, id, target, bidx); err != nil {
		return Attempt{}, err
	} else if skipped {
		return Attempt{}, fmt.Errorf("number %d is on the do-not-call list: %w", target, errs.ErrConflict)
	}
	if c.Pacing > 0 && s.inFlight(tenant, id) >= c.Pacing {
		return Attempt{}, fmt.Errorf("campaign %d has %d calls in progress, its pacing: %w", id, c.Pacing, errs.ErrConflict)
	}
	if s.dialer == nil {
		return Attempt{}, fmt.Errorf("no CTI link to the PBX: %w", errs.ErrUnavailable)
	}
	s.mu.Lock()
	st := s.floorOf(tenant).seat(agent)
	busy := st.call != ""
	if !busy {
		st.call, st.campaign = dialing, id
	}
	s.mu.Unlock()
	if busy {
		return Attempt{}, fmt.Errorf("agent %s is on a campaign call: %w", agent, errs.ErrConflict)
	}
	if err := s.place(ctx, tenant, c, agent, target, TargetReserved); err != nil {
		return Attempt{}, err
	}
	list, err := s.attempts(ctx, tenant, `target_id=? ORDER BY id DESC LIMIT 1`, target)
	if err != nil || len(list) == 0 {
		return Attempt{}, errors.Join(err, fmt.Errorf("no attempt of number %d: %w", target, errs.ErrNotFound))
	}
	if list[0].Disposition == DispFailed && list[0].CallID == "" {
		return list[0], fmt.Errorf("the PBX did not place the call (%s): %w", list[0].Comment, errs.ErrUnavailable)
	}
	return list[0], nil
}

// Skip puts a previewed number back on the list without calling it.
func (s *Service) Skip(ctx context.Context, tenant string, id, target int64, agent string) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state='pending', agent='', next_at=?, updated_at=? WHERE id=? AND campaign_id=?
		AND state='reserved' AND agent=?`, ms(s.now()), ms(s.now()), target, id, agent)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("number %d is not on your card: %w", target, errs.ErrConflict)
	}
	return nil
}
