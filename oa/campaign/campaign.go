package campaign

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// Dialling modes.
const (
	ModePreview     = "preview"     // the agent sees the card, then dials
	ModeProgressive = "progressive" // the next number rings as an agent becomes ready
)

// Campaign states.
const (
	StateDraft   = "draft"
	StateRunning = "running"
	StatePaused  = "paused"
	StateStopped = "stopped" // for good: nothing more is dialled
	StateDone    = "done"    // every number finished
)

// Purposes: a 回访 campaign's targets carry their ticket.
const (
	PurposeCall  = "call"
	PurposeVisit = "visit"
)

// DefaultHours are the calling hours unless a campaign sets its own.
const DefaultHours = "daily 09:00-20:00"

// Campaign is a call list and how it is dialled.
type Campaign struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	Source        string   `json:"source"`
	Purpose       string   `json:"purpose"`
	Mode          string   `json:"mode"`
	State         string   `json:"state"`
	CallerID      string   `json:"caller_id,omitempty"`
	Agents        []string `json:"agents"`
	Pacing        int      `json:"pacing"`
	MaxAttempts   int      `json:"max_attempts"`
	RetrySpacingS float64  `json:"retry_spacing_s"`
	WrapUpS       float64  `json:"wrap_up_s"`
	Hours         string   `json:"hours"`
	CreatedBy     string   `json:"created_by"`
	CreatedAt     int64    `json:"created_at"`
	UpdatedAt     int64    `json:"updated_at"`
}

func (c Campaign) spacing() time.Duration {
	return time.Duration(c.RetrySpacingS * float64(time.Second))
}

func (c Campaign) wrapUp() time.Duration { return time.Duration(c.WrapUpS * float64(time.Second)) }

// Input creates or changes a campaign.
type Input struct {
	Name          string   `json:"name"`
	Purpose       string   `json:"purpose,omitempty"`
	Mode          string   `json:"mode"`
	CallerID      string   `json:"caller_id,omitempty"`
	Agents        []string `json:"agents"`
	Pacing        int      `json:"pacing,omitempty"`
	MaxAttempts   int      `json:"max_attempts,omitempty"`
	RetrySpacingS float64  `json:"retry_spacing_s,omitempty"`
	WrapUpS       float64  `json:"wrap_up_s,omitempty"`
	Hours         string   `json:"hours,omitempty"`
}

func (in *Input) check() oa.FieldErrors {
	bad := oa.FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		bad["name"] = "required, at most 100 characters"
	}
	if in.Purpose == "" {
		in.Purpose = PurposeCall
	}
	if in.Purpose != PurposeCall && in.Purpose != PurposeVisit {
		bad["purpose"] = "call or visit"
	}
	if in.Mode != ModePreview && in.Mode != ModeProgressive {
		bad["mode"] = "preview or progressive"
	}
	if in.CallerID != "" && !digits(in.CallerID, 3, 20) {
		bad["caller_id"] = "3-20 digits"
	}
	if len(in.Agents) > 500 {
		bad["agents"] = "at most 500 agents"
	}
	seen := map[string]bool{}
	for _, a := range in.Agents {
		if a == "" || len(a) > 64 || seen[a] {
			bad["agents"] = "agent ids, each once"
		}
		seen[a] = true
	}
	if in.Mode == ModeProgressive && len(in.Agents) == 0 {
		bad["agents"] = "a progressive campaign needs its agents"
	}
	if in.Pacing < 0 || in.Pacing > 1000 {
		bad["pacing"] = "0 (one call per ready agent) to 1000"
	}
	if in.MaxAttempts == 0 {
		in.MaxAttempts = 3
	}
	if in.MaxAttempts < 1 || in.MaxAttempts > 20 {
		bad["max_attempts"] = "1 to 20"
	}
	if in.RetrySpacingS == 0 {
		in.RetrySpacingS = 3600
	}
	if in.RetrySpacingS < 0.1 || in.RetrySpacingS > 30*86400 {
		bad["retry_spacing_s"] = "0.1 s to 30 days"
	}
	if in.WrapUpS < 0 || in.WrapUpS > 3600 {
		bad["wrap_up_s"] = "0 to 3600 s"
	}
	if in.Hours == "" {
		in.Hours = DefaultHours
	}
	if _, err := calendar.ParseHours(in.Hours); err != nil {
		bad["hours"] = err.Error()
	}
	return bad
}

func digits(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Create makes a campaign in draft.
func (s *Service) Create(ctx context.Context, tenant, actor string, in Input) (Campaign, error) {
	return s.create(ctx, tenant, actor, "manual", in)
}

func (s *Service) create(ctx context.Context, tenant, actor, source string, in Input) (Campaign, error) {
	if bad := in.check(); len(bad) > 0 {
		return Campaign{}, bad
	}
	agents, _ := json.Marshal(in.Agents)
	now := ms(s.now())
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_campaigns(tenant, name, source, purpose, mode, caller_id, agents, pacing, max_attempts,
		retry_spacing_ms, wrap_up_ms, hours, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		tenant, in.Name, source, in.Purpose, in.Mode, in.CallerID, string(agents), in.Pacing, in.MaxAttempts,
		int64(in.RetrySpacingS*1000), int64(in.WrapUpS*1000), in.Hours, actor, now, now)
	if err != nil {
		return Campaign{}, err
	}
	id, _ := res.LastInsertId()
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.campaign.create", Target: "campaign/" + strconv.FormatInt(id, 10),
		Detail: fmt.Sprintf("%s %s (%s)", in.Mode, in.Name, source)})
	return s.Get(ctx, tenant, id)
}

// Update changes a campaign's settings (not its list or state).
func (s *Service) Update(ctx context.Context, tenant, actor string, id int64, in Input) (Campaign, error) {
	if bad := in.check(); len(bad) > 0 {
		return Campaign{}, bad
	}
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return Campaign{}, err
	}
	if c.State == StateStopped || c.State == StateDone {
		return Campaign{}, fmt.Errorf("campaign %d is %s: %w", id, c.State, errs.ErrConflict)
	}
	agents, _ := json.Marshal(in.Agents)
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaigns SET name=?, purpose=?, mode=?, caller_id=?, agents=?, pacing=?, max_attempts=?,
		retry_spacing_ms=?, wrap_up_ms=?, hours=?, updated_at=? WHERE id=? AND tenant=?`, in.Name, in.Purpose, in.Mode, in.CallerID, string(agents),
		in.Pacing, in.MaxAttempts, int64(in.RetrySpacingS*1000), int64(in.WrapUpS*1000), in.Hours, ms(s.now()), id, tenant); err != nil {
		return Campaign{}, err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.campaign.update", Target: "campaign/" + strconv.FormatInt(id, 10),
		Detail: fmt.Sprintf("%s pacing %d attempts %d spacing %gs hours %s", in.Mode, in.Pacing, in.MaxAttempts, in.RetrySpacingS, in.Hours)})
	s.poke()
	return s.Get(ctx, tenant, id)
}

const campaignCols = `id, name, source, purpose, mode, state, caller_id, agents, pacing, max_attempts, retry_spacing_ms, wrap_up_ms, hours,
	created_by, created_at, updated_at`

func scanCampaign(sc interface{ Scan(...any) error }) (Campaign, string, error) {
	var c Campaign
	var agents, tenant string
	var spacing, wrap int64
	err := sc.Scan(&c.ID, &c.Name, &c.Source, &c.Purpose, &c.Mode, &c.State, &c.CallerID, &agents, &c.Pacing, &c.MaxAttempts, &spacing, &wrap,
		&c.Hours, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &tenant)
	_ = json.Unmarshal([]byte(agents), &c.Agents)
	if c.Agents == nil {
		c.Agents = []string{}
	}
	c.RetrySpacingS, c.WrapUpS = float64(spacing)/1000, float64(wrap)/1000
	return c, tenant, err
}

// Get reads one campaign.
func (s *Service) Get(ctx context.Context, tenant string, id int64) (Campaign, error) {
	c, _, err := scanCampaign(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+campaignCols+`, tenant FROM oa_campaigns WHERE id=? AND tenant=?`, id, tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, fmt.Errorf("campaign %d: %w", id, errs.ErrNotFound)
	}
	return c, err
}

// List lists a tenant's campaigns, newest first.
func (s *Service) List(ctx context.Context, tenant, state string, limit, offset int) ([]Campaign, int, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := `tenant=?`, []any{tenant}
	if state != "" {
		where, args = where+` AND state=?`, append(args, state)
	}
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_campaigns WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+campaignCols+`, tenant FROM oa_campaigns WHERE `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		c, _, err := scanCampaign(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// Control actions on a campaign.
const (
	ActStart  = "start"
	ActPause  = "pause"
	ActResume = "resume"
	ActStop   = "stop"
)

var controlFrom = map[string][]string{
	ActStart:  {StateDraft},
	ActPause:  {StateRunning},
	ActResume: {StatePaused},
	ActStop:   {StateDraft, StateRunning, StatePaused},
}

var controlTo = map[string]string{ActStart: StateRunning, ActPause: StatePaused, ActResume: StateRunning, ActStop: StateStopped}

// Control starts, pauses, resumes or stops a campaign (audited). Calls in
// progress finish; a paused or stopped campaign places no new ones, and a
// stopped one's numbers not yet finished are left as they are.
func (s *Service) Control(ctx context.Context, tenant, actor string, id int64, action string) (Campaign, error) {
	from, ok := controlFrom[action]
	if !ok {
		return Campaign{}, oa.FieldErrors{"action": "start, pause, resume or stop"}
	}
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return Campaign{}, err
	}
	allowed := false
	for _, f := range from {
		allowed = allowed || f == c.State
	}
	if !allowed {
		return Campaign{}, fmt.Errorf("cannot %s a campaign that is %s: %w", action, c.State, errs.ErrConflict)
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaigns SET state=?, updated_at=? WHERE id=? AND tenant=?`, controlTo[action], ms(s.now()), id, tenant); err != nil {
			return err
		}
		if action == ActStop || action == ActPause {
			// A preview card held by an agent goes back on the list.
			_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_campaign_targets SET state='pending', agent='' WHERE campaign_id=? AND state='reserved'`, id)
			return err
		}
		return nil
	})
	if err != nil {
		return Campaign{}, err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.campaign." + action, Target: "campaign/" + strconv.FormatInt(id, 10),
		Detail: c.State + " → " + controlTo[action]})
	s.log.InfoContext(ctx, "campaign "+action, "tenant", tenant, "campaign", id, "actor", actor)
	s.poke()
	return s.Get(ctx, tenant, id)
}
