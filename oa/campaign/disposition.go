package campaign

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// Disposition codes of an attempt: the first five come from the call's CDR
// as it ends and the agent may correct them (wrong number, refused, call
// back later) while the number is theirs.
const (
	DispReached     = "reached"
	DispNoAnswer    = "no_answer"
	DispBusy        = "busy"
	DispWrongNumber = "wrong_number"
	DispRefused     = "refused"
	DispCallback    = "callback" // call back later, at callback_at
	DispFailed      = "failed"   // the network could not place it
	// DispAgentMissed: the agent's own phone did not answer; the citizen
	// was never rung and the attempt is not counted.
	DispAgentMissed = "agent_missed"
)

// Dispositions lists the codes an agent may set.
func Dispositions() []string {
	return []string{DispReached, DispNoAnswer, DispBusy, DispWrongNumber, DispRefused, DispCallback}
}

// fromCDR reads an ended call's CDR disposition (docs/cdr.md) as a code.
// A placed call's answer time is the agent's phone answering, so only the
// disposition says whether the citizen did.
func fromCDR(cdr string, answered bool) string {
	switch {
	case cdr == "answered" || (cdr == "" && answered):
		return DispReached
	case cdr == "busy":
		return DispBusy
	case cdr == "no_answer" || cdr == "cancelled" || cdr == "unavailable":
		return DispNoAnswer
	case cdr == "not_found":
		return DispWrongNumber
	case cdr == "agent_unavailable":
		return DispAgentMissed
	}
	return DispFailed
}

// settle moves a number on after an attempt with disposition d: finished
// (reached, refused, a wrong number), again after the retry spacing (busy,
// no answer, failed) while attempts are left, at the time asked
// (callback), or at once without counting the attempt (the agent missed
// it).
func (s *Service) settle(ctx context.Context, c Campaign, target int64, d string, callbackAt time.Time) error {
	now := s.now()
	state, next, uncount := TargetPending, int64(0), 0
	switch d {
	case DispReached, DispRefused:
		state = TargetDone
	case DispWrongNumber:
		state = TargetFailed
	case DispCallback:
		next = ms(callbackAt)
	case DispAgentMissed:
		next, uncount = ms(now), 1
	default: // busy, no answer, failed
		var attempts int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT attempts FROM oa_campaign_targets WHERE id=?`, target).Scan(&attempts); err != nil {
			return err
		}
		if attempts >= c.MaxAttempts {
			state = TargetFailed
		} else {
			next = ms(now.Add(c.spacing()))
		}
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state=?, next_at=?, disposition=?, attempts=attempts-?,
		agent=CASE WHEN ?='pending' THEN '' ELSE agent END, updated_at=? WHERE id=?`, state, next, d, uncount, state, ms(now), target)
	return err
}

// Attempt is one call to a number, linked to its contact record (and so
// its CDR and recording: the call id is all three's).
type Attempt struct {
	ID             int64  `json:"id"`
	CampaignID     int64  `json:"campaign_id"`
	TargetID       int64  `json:"target_id"`
	Agent          string `json:"agent"`
	CallID         string `json:"call_id,omitempty"`
	StartedAt      int64  `json:"started_at"`
	AnsweredAt     int64  `json:"answered_at,omitempty"`
	EndedAt        int64  `json:"ended_at,omitempty"`
	CDRDisposition string `json:"cdr_disposition,omitempty"`
	Disposition    string `json:"disposition,omitempty"`
	CallbackAt     int64  `json:"callback_at,omitempty"`
	Comment        string `json:"comment,omitempty"`
	By             string `json:"by,omitempty"`
	ContactID      int64  `json:"contact_id,omitempty"`
	RecordingID    string `json:"recording_id,omitempty"`
}

const attemptCols = `id, campaign_id, target_id, agent, call_id, started_at, IFNULL(answered_at,0), IFNULL(ended_at,0), cdr_disposition, disposition,
	IFNULL(callback_at,0), comment, by_user`

func (s *Service) attempts(ctx context.Context, tenant, where string, args ...any) ([]Attempt, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+attemptCols+` FROM oa_campaign_attempts WHERE tenant=? AND `+where, append([]any{tenant}, args...)...)
	if err != nil {
		return nil, err
	}
	var out []Attempt
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.ID, &a.CampaignID, &a.TargetID, &a.Agent, &a.CallID, &a.StartedAt, &a.AnsweredAt, &a.EndedAt, &a.CDRDisposition,
			&a.Disposition, &a.CallbackAt, &a.Comment, &a.By); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out { // the contact record the CTI events made of the call
		if out[i].CallID == "" {
			continue
		}
		if c, err := s.oa.ContactByCall(ctx, tenant, out[i].CallID); err == nil {
			out[i].ContactID, out[i].RecordingID = c.ID, c.RecordingID
		} else if !errors.Is(err, errs.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}

// Attempts lists a campaign's attempts, oldest first (one number's with target).
func (s *Service) Attempts(ctx context.Context, tenant string, campaign, target int64) ([]Attempt, error) {
	if _, err := s.Get(ctx, tenant, campaign); err != nil {
		return nil, err
	}
	where, args := `campaign_id=?`, []any{campaign}
	if target != 0 {
		where, args = where+` AND target_id=?`, append(args, target)
	}
	out, err := s.attempts(ctx, tenant, where+` ORDER BY id`, args...)
	if out == nil {
		out = []Attempt{}
	}
	return out, err
}

// DispositionInput is an agent's word on an attempt.
type DispositionInput struct {
	Disposition string `json:"disposition"`
	CallbackAt  int64  `json:"callback_at,omitempty"` // ms since the epoch, for callback
	Comment     string `json:"comment,omitempty"`
}

// Disposer is who sets a disposition: the user, their agent id (from their
// OA profile) and whether they supervise (anyone's attempts) or not (only
// the attempts of their own agent).
type Disposer struct {
	UserID     string
	Agent      string
	Supervisor bool
}

// SetDisposition records the agent's disposition of an ended attempt, the
// number's latest, and moves the number on by it (a callback at its time,
// a wrong number or a refusal finished).
func (s *Service) SetDisposition(ctx context.Context, tenant string, by Disposer, campaign, attempt int64, in DispositionInput) (Attempt, error) {
	actor := by.UserID
	valid := false
	for _, d := range Dispositions() {
		valid = valid || d == in.Disposition
	}
	bad := oa.FieldErrors{}
	if !valid {
		bad["disposition"] = "one of " + strings.Join(Dispositions(), ", ")
	}
	now := s.now()
	if in.Disposition == DispCallback && (in.CallbackAt == 0 || time.UnixMilli(in.CallbackAt).Before(now)) {
		bad["callback_at"] = "a time ahead (ms since the epoch)"
	}
	if len([]rune(in.Comment)) > 1000 {
		bad["comment"] = "at most 1000 characters"
	}
	if len(bad) > 0 {
		return Attempt{}, bad
	}
	c, err := s.Get(ctx, tenant, campaign)
	if err != nil {
		return Attempt{}, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		list, err := s.attempts(ctx, tenant, `id=? AND campaign_id=?`, attempt, campaign)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return fmt.Errorf("attempt %d: %w", attempt, errs.ErrNotFound)
		}
		a := list[0]
		if !by.Supervisor && (by.Agent == "" || a.Agent != by.Agent) {
			return fmt.Errorf("attempt %d was %s's call: %w", attempt, a.Agent, errs.ErrForbidden)
		}
		if a.EndedAt == 0 {
			return fmt.Errorf("attempt %d: the call has not ended: %w", attempt, errs.ErrConflict)
		}
		var latest int64
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT MAX(id) FROM oa_campaign_attempts WHERE target_id=?`, a.TargetID).Scan(&latest); err != nil {
			return err
		}
		if latest != attempt {
			return fmt.Errorf("attempt %d: the number has been called again since: %w", attempt, errs.ErrConflict)
		}
		var cb any
		if in.Disposition == DispCallback {
			cb = in.CallbackAt
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_attempts SET disposition=?, callback_at=?, comment=?, by_user=? WHERE id=?`,
			in.Disposition, cb, strings.TrimSpace(in.Comment), actor, attempt); err != nil {
			return err
		}
		return s.settle(ctx, c, a.TargetID, in.Disposition, time.UnixMilli(in.CallbackAt))
	})
	if err != nil {
		return Attempt{}, err
	}
	s.changed()
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.campaign.disposition", Target: "campaign/" + strconv.FormatInt(campaign, 10) +
		"/attempt/" + strconv.FormatInt(attempt, 10), Detail: in.Disposition})
	list, err := s.attempts(ctx, tenant, `id=?`, attempt)
	if err != nil || len(list) == 0 {
		return Attempt{}, errors.Join(err, sql.ErrNoRows)
	}
	return list[0], nil
}
