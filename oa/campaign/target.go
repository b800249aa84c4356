package campaign

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/oa"
)

// Target states.
const (
	TargetPending  = "pending"  // due at next_at
	TargetReserved = "reserved" // on an agent's preview card
	TargetDialing  = "dialing"  // a call is in progress
	TargetDone     = "done"     // reached, refused or a 回访 recorded
	TargetFailed   = "failed"   // attempts used up, or a wrong number
	TargetSkipped  = "skipped"  // on the do-not-call list when its turn came
)

// Target is one number on a campaign's list (masked).
type Target struct {
	ID          int64  `json:"id"`
	CampaignID  int64  `json:"campaign_id"`
	Line        int    `json:"line,omitempty"`
	Name        string `json:"name,omitempty"`
	Note        string `json:"note,omitempty"`
	Phone       string `json:"phone"`
	CustomerID  int64  `json:"customer_id,omitempty"`
	TicketID    int64  `json:"ticket_id,omitempty"`
	State       string `json:"state"`
	Agent       string `json:"agent,omitempty"`
	Attempts    int    `json:"attempts"`
	NextAt      int64  `json:"next_at,omitempty"`
	Disposition string `json:"disposition,omitempty"`
	VisitResult string `json:"visit_result,omitempty"`
	UpdatedAt   int64  `json:"updated_at"`
}

// NewTarget is a number to put on a list.
type NewTarget struct {
	Line          int    `json:"line,omitempty"`
	Phone         string `json:"phone"`
	Name          string `json:"name,omitempty"`
	Note          string `json:"note,omitempty"`
	CustomerID    int64  `json:"customer_id,omitempty"`
	TicketID      int64  `json:"ticket_id,omitempty"`
	SourceContact int64  `json:"-"`
}

// RowError is one rejected row of a list: its line (1 is a file's header)
// or its place in a request, and why.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Report says what became of a list's rows.
type Report struct {
	Accepted int        `json:"accepted"`
	Rejected []RowError `json:"rejected"`
}

// number checks a number a campaign may call and returns its national form.
func (s *Service) number(raw string) (string, error) {
	n, kind := oa.NormaliseCaller(raw, s.cfg.LocalAreaCode)
	switch kind {
	case oa.NumberMobile, oa.NumberLandline, oa.NumberService:
		return n, nil
	case oa.NumberExtension:
		return "", errors.New("an extension, not a number to call out to")
	case oa.NumberForeign:
		return "", errors.New("numbers abroad are not dialled")
	}
	return "", errors.New("not a telephone number")
}

// checkRow validates a row's fields before anything is stored.
func (s *Service) checkRow(nt *NewTarget) (string, error) {
	nt.Name, nt.Note = strings.TrimSpace(nt.Name), strings.TrimSpace(nt.Note)
	if !utf8.ValidString(nt.Name) || !utf8.ValidString(nt.Note) || !utf8.ValidString(nt.Phone) {
		return "", errors.New("not UTF-8 text (save the file as CSV UTF-8)")
	}
	if strings.TrimSpace(nt.Phone) == "" {
		return "", errors.New("phone: missing")
	}
	n, err := s.number(nt.Phone)
	if err != nil {
		return "", fmt.Errorf("phone: %w", err)
	}
	if len([]rune(nt.Name)) > 60 {
		return "", errors.New("name: at most 60 characters")
	}
	if len([]rune(nt.Note)) > 500 {
		return "", errors.New("note: at most 500 characters")
	}
	return n, nil
}

// AddTargets puts numbers on a campaign's list, each row whole or not at
// all: a row that fails (a bad number, a duplicate, the do-not-call list)
// is reported by its line and leaves nothing behind.
func (s *Service) AddTargets(ctx context.Context, tenant, actor string, id int64, rows []NewTarget) (Report, error) {
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return Report{}, err
	}
	if c.State == StateStopped || c.State == StateDone {
		return Report{}, fmt.Errorf("campaign %d is %s: %w", id, c.State, errs.ErrConflict)
	}
	rep := Report{Rejected: []RowError{}}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		for i := range rows {
			nt := &rows[i]
			if nt.Line == 0 {
				nt.Line = i + 1
			}
			err := s.db.InTx(ctx, func(ctx context.Context) error { return s.addTarget(ctx, tenant, id, *nt) })
			var rowErr rowError
			switch {
			case errors.As(err, &rowErr):
				rep.Rejected = append(rep.Rejected, RowError{Line: nt.Line, Reason: rowErr.Error()})
			case err != nil:
				return err
			default:
				rep.Accepted++
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	if len(rep.Rejected) > 0 {
		s.log.InfoContext(ctx, "campaign rows rejected", "tenant", tenant, "campaign", id, "rejected", len(rep.Rejected), "first_line", rep.Rejected[0].Line,
			"first_reason", rep.Rejected[0].Reason)
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.campaign.targets", Target: "campaign/" + strconv.FormatInt(id, 10),
		Detail: fmt.Sprintf("%d added, %d rejected", rep.Accepted, len(rep.Rejected))})
	s.poke()
	return rep, nil
}

// rowError is a row's own fault, reported rather than failing the list.
type rowError struct{ error }

func (s *Service) addTarget(ctx context.Context, tenant string, campaign int64, nt NewTarget) error {
	n, err := s.checkRow(&nt)
	if err != nil {
		return rowError{err}
	}
	bidx := s.oa.PhoneIndex(n)
	q := s.db.Q(ctx)
	var line int
	err = q.QueryRowContext(ctx, `SELECT line FROM oa_campaign_targets WHERE campaign_id=? AND phone_bidx=?`, campaign, bidx).Scan(&line)
	if err == nil {
		if line > 0 {
			return rowError{fmt.Errorf("phone: already on the list (line %d)", line)}
		}
		return rowError{errors.New("phone: already on the list")}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if on, err := s.onDNC(ctx, tenant, bidx); err != nil {
		return err
	} else if on {
		return rowError{errors.New("phone: on the do-not-call list")}
	}
	if nt.CustomerID != 0 {
		if _, err := s.oa.Customer(ctx, tenant, nt.CustomerID, false); errors.Is(err, errs.ErrNotFound) {
			return rowError{errors.New("customer_id: no such customer")}
		} else if err != nil {
			return err
		}
	}
	if nt.TicketID != 0 {
		if _, err := s.oa.Ticket(ctx, tenant, nt.TicketID); errors.Is(err, errs.ErrNotFound) {
			return rowError{errors.New("ticket_id: no such ticket")}
		} else if err != nil {
			return err
		}
	}
	res, err := q.ExecContext(ctx, `INSERT INTO oa_campaign_targets(campaign_id, tenant, line, name, note, phone_bidx, phone_masked, customer_id, ticket_id,
		source_contact_id, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`, campaign, tenant, nt.Line, nt.Name, nt.Note, bidx, fieldcrypt.Mask(n),
		nullID(nt.CustomerID), nullID(nt.TicketID), nullID(nt.SourceContact), ms(s.now()))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	enc, err := s.fields.Encrypt(ctx, "oa_campaign_targets", strconv.FormatInt(id, 10), "phone", []byte(n))
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE oa_campaign_targets SET phone_enc=? WHERE id=?`, enc, id)
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// targetNumber opens a target's sealed number.
func (s *Service) targetNumber(ctx context.Context, id int64) (string, error) {
	var enc []byte
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT phone_enc FROM oa_campaign_targets WHERE id=?`, id).Scan(&enc); err != nil {
		return "", err
	}
	b, err := s.fields.Decrypt(ctx, "oa_campaign_targets", strconv.FormatInt(id, 10), "phone", enc)
	return string(b), err
}

const targetCols = `id, campaign_id, line, name, note, phone_masked, IFNULL(customer_id,0), IFNULL(ticket_id,0), state, agent, attempts, next_at,
	disposition, visit_result, updated_at`

func scanTarget(sc interface{ Scan(...any) error }) (Target, error) {
	var t Target
	err := sc.Scan(&t.ID, &t.CampaignID, &t.Line, &t.Name, &t.Note, &t.Phone, &t.CustomerID, &t.TicketID, &t.State, &t.Agent, &t.Attempts,
		&t.NextAt, &t.Disposition, &t.VisitResult, &t.UpdatedAt)
	return t, err
}

// Targets lists a campaign's numbers (masked) in list order.
func (s *Service) Targets(ctx context.Context, tenant string, id int64, state string, limit, offset int) ([]Target, int, error) {
	if _, err := s.Get(ctx, tenant, id); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := `campaign_id=?`, []any{id}
	if state != "" {
		where, args = where+` AND state=?`, append(args, state)
	}
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_campaign_targets WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+targetCols+` FROM oa_campaign_targets WHERE `+where+` ORDER BY id LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Target{}
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// Target reads one number of a campaign.
func (s *Service) Target(ctx context.Context, tenant string, campaign, id int64) (Target, error) {
	t, err := scanTarget(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+targetCols+` FROM oa_campaign_targets WHERE id=? AND campaign_id=? AND tenant=?`,
		id, campaign, tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return Target{}, fmt.Errorf("campaign %d number %d: %w", campaign, id, errs.ErrNotFound)
	}
	return t, err
}
