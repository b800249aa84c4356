package campaign

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// floor is one tenant's agents as the dialler sees them: the ACD's state
// from the CTI, and the campaign call each is on. An agent takes one
// campaign call at a time, so no more calls are placed than there are
// ready agents.
type floor struct {
	seats map[string]*seat
	// early holds call.ended events that arrived before call.dial's reply
	// named their call.
	early map[string]protocol.CallEnded
}

type seat struct {
	acd      string    // the ACD's state for the agent
	call     string    // the campaign call it is on; dialing while call.dial runs
	campaign int64     // whose call it is
	freeAt   time.Time // wrap-up: not offered a call before this
}

const dialing = "(dialing)"

func (s *Service) floorOf(tenant string) *floor {
	f := s.tenants[tenant]
	if f == nil {
		f = &floor{seats: map[string]*seat{}, early: map[string]protocol.CallEnded{}}
		s.tenants[tenant] = f
	}
	return f
}

func (f *floor) seat(agent string) *seat {
	st := f.seats[agent]
	if st == nil {
		st = &seat{}
		f.seats[agent] = st
	}
	return st
}

// Seen tells the dialler the agents' states as a CTI snapshot has them
// (on every connect of the link): agents missing from it are unknown.
func (s *Service) Seen(tenant string, agents []protocol.AgentState) {
	s.mu.Lock()
	f := s.floorOf(tenant)
	for _, st := range f.seats {
		st.acd = ""
	}
	for _, a := range agents {
		f.seat(a.Agent).acd = a.State
	}
	s.mu.Unlock()
	s.poke()
}

// take reserves a free agent of the campaign for a call at now: ready in
// the ACD, on no campaign call, past their wrap-up.
func (s *Service) take(tenant string, c Campaign, agent string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.floorOf(tenant).seat(agent)
	if st.acd != "ready" || st.call != "" || now.Before(st.freeAt) {
		return false
	}
	st.call, st.campaign = dialing, c.ID
	return true
}

// release gives an agent back after a call (or a call that was not placed),
// free again after pause.
func (s *Service) release(tenant, agent string, pause time.Duration) {
	s.mu.Lock()
	st := s.floorOf(tenant).seat(agent)
	st.call, st.campaign, st.freeAt = "", 0, s.now().Add(pause)
	s.mu.Unlock()
	s.poke()
}

// inFlight counts a campaign's calls in progress.
func (s *Service) inFlight(tenant string, campaign int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.floorOf(tenant).seats {
		if st.call != "" && st.campaign == campaign {
			n++
		}
	}
	return n
}

// readyAgents lists a campaign's agents the ACD has ready, and how many of
// them are free now.
func (s *Service) readyAgents(tenant string, c Campaign, now time.Time) (ready, free []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.floorOf(tenant)
	for _, a := range c.Agents {
		st := f.seats[a]
		if st == nil || st.acd != "ready" {
			continue
		}
		ready = append(ready, a)
		if st.call == "" && !now.Before(st.freeAt) {
			free = append(free, a)
		}
	}
	return ready, free
}

// Run dials the running progressive campaigns until ctx ends: at every
// tick, and whenever an agent becomes ready or a call ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		if err := s.Dial(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("campaign dialler", "err", err)
		}
	}
}

// Dial places the calls the running progressive campaigns are due now:
// one per free ready agent, within each campaign's pacing and calling
// hours; a campaign with nothing left to dial or in progress is done.
func (s *Service) Dial(ctx context.Context) error {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+campaignCols+`, tenant FROM oa_campaigns WHERE state='running' ORDER BY id`)
	if err != nil {
		return err
	}
	type running struct {
		c      Campaign
		tenant string
	}
	var list []running
	for rows.Next() {
		c, tenant, err := scanCampaign(rows)
		if err != nil {
			rows.Close()
			return err
		}
		list = append(list, running{c, tenant})
	}
	rows.Close()
	now := s.now()
	for _, r := range list {
		if err := s.reapStale(ctx, r.tenant, r.c, now); err != nil {
			return err
		}
		if err := s.finishIfDone(ctx, r.tenant, r.c); err != nil {
			return err
		}
		if r.c.Mode != ModeProgressive || s.dialer == nil {
			continue
		}
		if ok, _ := s.callable(r.c, now); !ok {
			continue
		}
		_, free := s.readyAgents(r.tenant, r.c, now)
		room := len(free)
		if r.c.Pacing > 0 {
			room = min(room, r.c.Pacing-s.inFlight(r.tenant, r.c.ID))
		}
		for _, agent := range free[:max(room, 0)] {
			placed, err := s.dialNext(ctx, r.tenant, r.c, agent, now)
			if err != nil {
				return err
			}
			if !placed {
				break
			}
		}
	}
	return nil
}

// staleAfter is how long an attempt may wait for its call's end: its
// call.ended was lost (the OA was down longer than the PBX keeps events,
// or stopped between placing a call and noting it).
const staleAfter = 4 * time.Hour

// reapStale closes the campaign's attempts whose end never came as failed
// (retried by the rules), so no number stays "dialing" for ever.
func (s *Service) reapStale(ctx context.Context, tenant string, c Campaign, now time.Time) error {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, target_id, agent, call_id FROM oa_campaign_attempts WHERE campaign_id=? AND ended_at IS NULL
		AND started_at<?`, c.ID, ms(now.Add(-staleAfter)))
	if err != nil {
		return err
	}
	type attempt struct {
		id, target  int64
		agent, call string
	}
	var stale []attempt
	for rows.Next() {
		var a attempt
		if err := rows.Scan(&a.id, &a.target, &a.agent, &a.call); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, a)
	}
	rows.Close()
	for _, a := range stale {
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_attempts SET ended_at=?, disposition=?, comment='the call''s end never came'
				WHERE id=?`, ms(now), DispFailed, a.id); err != nil {
				return err
			}
			return s.settle(ctx, c, a.target, DispFailed, time.Time{})
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		held := s.floorOf(tenant).seat(a.agent).call == a.call
		s.mu.Unlock()
		if held && a.call != "" {
			s.release(tenant, a.agent, 0)
		}
		s.log.WarnContext(ctx, "campaign attempt closed without its call's end", "tenant", tenant, "campaign", c.ID, "attempt", a.id, "agent", a.agent)
	}
	return nil
}

// finishIfDone marks a running campaign done once no number is left to
// dial, reserved or in a call.
func (s *Service) finishIfDone(ctx context.Context, tenant string, c Campaign) error {
	var open int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_campaign_targets WHERE campaign_id=? AND state IN ('pending','reserved','dialing')`,
		c.ID).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return nil
	}
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_campaign_targets WHERE campaign_id=?`, c.ID).Scan(&total); err != nil || total == 0 {
		return err
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaigns SET state='done', updated_at=? WHERE id=? AND state='running'`, ms(s.now()), c.ID)
	if err == nil {
		s.log.InfoContext(ctx, "campaign done", "tenant", tenant, "campaign", c.ID)
		s.changed()
	}
	return err
}

// dialNext dials the campaign's next due number through agent; false when
// nothing is due or the agent was taken meanwhile. Numbers tried before
// and due again (a retry, a call back at the time asked) go before new
// ones, which go in list order.
func (s *Service) dialNext(ctx context.Context, tenant string, c Campaign, agent string, now time.Time) (bool, error) {
	if !s.take(tenant, c, agent, now) {
		return false, nil
	}
	for {
		var id int64
		var bidx []byte
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, phone_bidx FROM oa_campaign_targets WHERE campaign_id=? AND state='pending' AND next_at<=?
			ORDER BY attempts = 0, next_at, id LIMIT 1`, c.ID, ms(now)).Scan(&id, &bidx)
		if errors.Is(err, sql.ErrNoRows) {
			s.release(tenant, agent, 0)
			return false, nil
		}
		if err != nil {
			s.release(tenant, agent, 0)
			return false, err
		}
		skipped, err := s.skipIfDNC(ctx, tenant, c.ID, id, bidx)
		if err != nil {
			s.release(tenant, agent, 0)
			return false, err
		}
		if skipped {
			continue
		}
		return true, s.place(ctx, tenant, c, agent, id, TargetPending)
	}
}

// skipIfDNC takes a number off a list when it is on the do-not-call list.
func (s *Service) skipIfDNC(ctx context.Context, tenant string, campaign, id int64, bidx []byte) (bool, error) {
	on, err := s.onDNC(ctx, tenant, bidx)
	if err != nil || !on {
		return false, err
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state=?, disposition='dnc', agent='', updated_at=? WHERE id=?`,
		TargetSkipped, ms(s.now()), id)
	if err == nil {
		s.log.InfoContext(ctx, "campaign number skipped: do not call", "tenant", tenant, "campaign", campaign, "target", id)
		s.changed()
	}
	return true, err
}

// place dials one number (in state from) through agent, whose seat the
// caller has taken; the seat is given back if the call is not placed.
func (s *Service) place(ctx context.Context, tenant string, c Campaign, agent string, target int64, from string) error {
	now := s.now()
	var attempt int64
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state=?, agent=?, attempts=attempts+1, updated_at=? WHERE id=? AND state=?`,
			TargetDialing, agent, ms(now), target, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("campaign number %d is no longer %s: %w", target, from, errs.ErrConflict)
		}
		res, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_campaign_attempts(campaign_id, target_id, tenant, agent, started_at) VALUES (?,?,?,?,?)`,
			c.ID, target, tenant, agent, ms(now))
		if err != nil {
			return err
		}
		attempt, err = res.LastInsertId()
		return err
	})
	if err != nil {
		s.release(tenant, agent, 0)
		if errors.Is(err, errs.ErrConflict) {
			return nil
		}
		return err
	}
	number, err := s.targetNumber(ctx, target)
	call := ""
	if err == nil {
		call, err = s.dialer.Dial(ctx, tenant, agent, number, c.CallerID)
	}
	if err != nil {
		// Not the citizen's doing: the attempt is not counted, the number
		// waits a little, the agent too (their phone may be away).
		s.log.WarnContext(ctx, "campaign call not placed", "tenant", tenant, "campaign", c.ID, "target", target, "agent", agent, "err", err)
		_ = s.db.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_attempts SET ended_at=?, disposition=?, comment=? WHERE id=?`,
				ms(s.now()), DispFailed, truncate(err.Error(), 200), attempt); err != nil {
				return err
			}
			_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state='pending', agent='', attempts=attempts-1, next_at=?, updated_at=? WHERE id=?`,
				ms(s.now().Add(placeRetry)), ms(s.now()), target)
			return err
		})
		s.release(tenant, agent, placeRetry)
		return nil
	}
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_attempts SET call_id=? WHERE id=?`, call, attempt); err != nil {
		return err
	}
	s.mu.Lock()
	f := s.floorOf(tenant)
	f.seat(agent).call = call
	ended, early := f.early[call]
	delete(f.early, call)
	s.mu.Unlock()
	s.log.InfoContext(ctx, "campaign call placed", "tenant", tenant, "campaign", c.ID, "target", target, "agent", agent, "call", call)
	s.changed()
	if p, ok := s.dialer.(Popper); ok {
		go s.pop(context.WithoutCancel(ctx), p, tenant, c, agent, call, target)
	}
	if early {
		return s.ended(ctx, tenant, ended)
	}
	return nil
}

// pop shows the agent the number's card as their phone rings for it.
func (s *Service) pop(ctx context.Context, p Popper, tenant string, c Campaign, agent, call string, target int64) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	card, err := s.card(ctx, tenant, c.ID, target)
	if err == nil {
		err = p.ScreenPop(ctx, tenant, popOf(c, agent, call, card))
	}
	if err != nil {
		s.log.WarnContext(ctx, "campaign screen pop failed", "tenant", tenant, "campaign", c.ID, "target", target, "agent", agent, "err", err)
	}
}

// popOf is a campaign call's screen pop: the campaign, the number
// (masked), who it is and the ticket a 回访 is about.
func popOf(c Campaign, agent, call string, card Card) protocol.ScreenPop {
	who := card.Target.Name
	if who == "" {
		who = card.Target.Phone
	}
	f := map[string]string{"campaign": c.Name, "campaign_id": strconv.FormatInt(c.ID, 10), "target_id": strconv.FormatInt(card.Target.ID, 10),
		"phone": card.Target.Phone, "name": card.Target.Name, "attempt": strconv.Itoa(card.Target.Attempts)}
	if card.Customer != nil {
		f["customer"], f["customer_id"] = card.Customer.Name, strconv.FormatInt(card.Customer.ID, 10)
	}
	if card.Ticket != nil {
		f["ticket_id"], f["ticket"] = strconv.FormatInt(card.Ticket.ID, 10), card.Ticket.Title
	}
	if b, err := json.Marshal(card); err == nil && len(b) < 12<<10 {
		f["card"] = string(b)
	}
	return protocol.ScreenPop{Agent: agent, Call: call, Title: "外呼 " + c.Name + " · " + who, Fields: f}
}

// placeRetry is how long a number and an agent wait after the PBX did not
// take a call.
const placeRetry = 5 * time.Second

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// agentsOn lists the agents with a campaign call in progress (tests,
// monitoring).
func (s *Service) agentsOn(tenant string, campaign int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for a, st := range s.floorOf(tenant).seats {
		if st.call != "" && st.campaign == campaign {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}
