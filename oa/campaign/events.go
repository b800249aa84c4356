package campaign

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/oa"
)

// Observe takes one CTI event of a tenant (after the OA has applied it,
// so a call's contact record exists): agents' states, the end of
// campaign calls, and queue callbacks for the generated lists. A replayed
// event changes nothing twice.
func (s *Service) Observe(ctx context.Context, tenant string, env protocol.Envelope) error {
	switch env.Type {
	case protocol.EventAgentState:
		var d protocol.AgentState
		if env.Decode(&d) != nil || d.Agent == "" {
			return nil
		}
		s.mu.Lock()
		s.floorOf(tenant).seat(d.Agent).acd = d.State
		s.mu.Unlock()
		if d.State == "ready" {
			s.poke()
		} else {
			s.changed()
		}
	case protocol.EventCallAnswered:
		var d protocol.CallAnswered
		if env.Decode(&d) != nil || d.Call == "" {
			return nil
		}
		// The campaign's clock, as its attempts' start and end are.
		at := s.now()
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_attempts SET answered_at=IFNULL(answered_at, ?) WHERE tenant=? AND call_id=?`,
			ms(at), tenant, d.Call); err != nil {
			return err
		}
		_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_callbacks SET answered_at=IFNULL(answered_at, ?) WHERE tenant=? AND ringing_call=?`,
			ms(at), tenant, d.Call)
		return err
	case protocol.EventCallEnded:
		var d protocol.CallEnded
		if env.Decode(&d) != nil || d.Call == "" {
			return nil
		}
		return s.ended(ctx, tenant, d)
	case protocol.EventCallbackCreated:
		var d protocol.CallbackCreated
		if env.Decode(&d) != nil || d.Call == "" {
			return nil
		}
		at, err := env.Time()
		if err != nil {
			at = s.now()
		}
		return s.callbackCreated(ctx, tenant, d, at)
	case protocol.EventCallRinging:
		var d protocol.CallRinging
		if env.Decode(&d) != nil || d.Call == "" || d.Callback == "" {
			return nil
		}
		n, kind := oa.NormaliseCaller(d.Callback, s.cfg.LocalAreaCode)
		if kind == oa.NumberAnonymous {
			return nil
		}
		_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_callbacks SET ringing_call=? WHERE id=(SELECT id FROM oa_campaign_callbacks
			WHERE tenant=? AND number_bidx=? AND answered_at IS NULL ORDER BY id DESC LIMIT 1)`, d.Call, tenant, s.oa.PhoneIndex(n))
		return err
	}
	return nil
}

// ended closes a campaign call's attempt from its CDR, moves its number on
// and frees the agent after the campaign's wrap-up.
func (s *Service) ended(ctx context.Context, tenant string, d protocol.CallEnded) error {
	var id, campaign, target int64
	var agent string
	var endedAt sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, campaign_id, target_id, agent, ended_at FROM oa_campaign_attempts WHERE tenant=? AND call_id=?`,
		tenant, d.Call).Scan(&id, &campaign, &target, &agent, &endedAt)
	if errors.Is(err, sql.ErrNoRows) {
		s.mu.Lock()
		f := s.floorOf(tenant)
		for _, st := range f.seats {
			if st.call == dialing { // perhaps this call's reply is on its way
				f.early[d.Call] = d
				if len(f.early) > 1000 {
					clear(f.early)
				}
				break
			}
		}
		s.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	if endedAt.Valid {
		return nil // a replay
	}
	c, err := s.Get(ctx, tenant, campaign)
	if err != nil {
		return err
	}
	disp := fromCDR(d.Disposition, d.Answer != "")
	end := s.now() // the campaign's clock, as the attempt's start is
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_attempts SET ended_at=?, cdr_disposition=?, disposition=? WHERE id=?`,
			ms(end), d.Disposition, disp, id); err != nil {
			return err
		}
		return s.settle(ctx, c, target, disp, time.Time{})
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "campaign call ended", "tenant", tenant, "campaign", campaign, "target", target, "agent", agent, "call", d.Call,
		"disposition", disp, "cdr", d.Disposition)
	s.changed()
	s.mu.Lock()
	st := s.floorOf(tenant).seat(agent)
	mine := st.call == d.Call
	s.mu.Unlock()
	if mine {
		pause := c.wrapUp()
		if disp == DispAgentMissed {
			pause = max(pause, placeRetry)
		}
		s.release(tenant, agent, pause)
	}
	return nil
}

// callbackCreated keeps a queue caller's callback request (number sealed)
// for the "unanswered callbacks" list.
func (s *Service) callbackCreated(ctx context.Context, tenant string, d protocol.CallbackCreated, at time.Time) error {
	n, kind := oa.NormaliseCaller(d.Number, s.cfg.LocalAreaCode)
	if kind == oa.NumberAnonymous {
		return nil
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_campaign_callbacks(tenant, queue, call_id, number_bidx, number_masked, created_at)
			VALUES (?,?,?,?,?,?) ON CONFLICT(tenant, call_id) DO NOTHING`, tenant, d.Queue, d.Call, s.oa.PhoneIndex(n), fieldcrypt.Mask(n), ms(at))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		enc, err := s.fields.Encrypt(ctx, "oa_campaign_callbacks", strconv.FormatInt(id, 10), "number", []byte(n))
		if err != nil {
			return err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_callbacks SET number_enc=? WHERE id=?`, enc, id)
		return err
	})
}
