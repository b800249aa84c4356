package campaign

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/yimen/yimen/oa"
)

// Generated list sources.
const (
	SourceAbandoned = "abandoned" // callers who hung up waiting, today
	SourceVisit     = "visit"     // tickets resolved N days ago awaiting 回访
	SourceCallback  = "callback"  // queue callbacks not answered, the last N days
)

// GenerateInput makes a campaign from the OA's own records.
type GenerateInput struct {
	Source string `json:"source"`
	// Days: for visit, tickets resolved that many days ago (that day
	// only; 0 = today); for callback, requests of the last Days days
	// (0 = today).
	Days     int   `json:"days,omitempty"`
	Campaign Input `json:"campaign"`
}

// Generate creates a campaign whose list is drawn from the OA's records:
// the day's abandoned callers, tickets awaiting 回访 (each number carries
// its ticket; the campaign's purpose is visit), or unanswered callbacks.
// Rows that cannot be called (anonymous, on the do-not-call list, twice)
// are in the report.
func (s *Service) Generate(ctx context.Context, tenant, actor string, in GenerateInput) (Campaign, Report, error) {
	if in.Days < 0 || in.Days > 366 {
		return Campaign{}, Report{}, oa.FieldErrors{"days": "0 to 366"}
	}
	day := s.dayStart(s.now())
	var rows []NewTarget
	var err error
	switch in.Source {
	case SourceAbandoned:
		rows, err = s.abandonedToday(ctx, tenant, day)
	case SourceVisit:
		in.Campaign.Purpose = PurposeVisit
		from := day.AddDate(0, 0, -in.Days)
		rows, err = s.awaitingVisit(ctx, tenant, from, from.AddDate(0, 0, 1))
	case SourceCallback:
		rows, err = s.unansweredCallbacks(ctx, tenant, day.AddDate(0, 0, -in.Days))
	default:
		return Campaign{}, Report{}, oa.FieldErrors{"source": "abandoned, visit or callback"}
	}
	if err != nil {
		return Campaign{}, Report{}, err
	}
	var c Campaign
	var rep Report
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, err = s.create(ctx, tenant, actor, in.Source, in.Campaign); err != nil {
			return err
		}
		rep, err = s.AddTargets(ctx, tenant, actor, c.ID, rows)
		return err
	})
	return c, rep, err
}

// dayStart is the start of t's day in the calendar's zone.
func (s *Service) dayStart(t time.Time) time.Time {
	loc := time.Local
	if cal := s.calendar(); cal != nil {
		loc = cal.Location()
	}
	t = t.In(loc)
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func (s *Service) abandonedToday(ctx context.Context, tenant string, day time.Time) ([]NewTarget, error) {
	var out []NewTarget
	for off := 0; ; off += 500 {
		list, total, err := s.oa.FindContacts(ctx, tenant, oa.ContactQuery{Kind: oa.ContactAbandoned, From: ms(day), To: ms(day.AddDate(0, 0, 1)),
			Paging: oa.Paging{Limit: 500, Offset: off, Sort: "id"}})
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			n, err := s.oa.ContactCaller(ctx, tenant, c.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, NewTarget{Line: len(out) + 1, Phone: n, CustomerID: c.CustomerID, SourceContact: c.ID,
				Note: "放弃来电 " + time.UnixMilli(c.StartedAt).In(day.Location()).Format("15:04")})
		}
		if off+len(list) >= total || len(list) == 0 {
			return out, nil
		}
	}
}

func (s *Service) awaitingVisit(ctx context.Context, tenant string, from, to time.Time) ([]NewTarget, error) {
	tickets, err := s.oa.AwaitingVisit(ctx, tenant, from, to)
	if err != nil {
		return nil, err
	}
	var out []NewTarget
	for _, t := range tickets {
		nt := NewTarget{Line: len(out) + 1, TicketID: t.ID, CustomerID: t.CustomerID, Note: "回访 工单 #" + strconv.FormatInt(t.ID, 10) + " " + t.Title}
		if t.CustomerID != 0 {
			cu, err := s.oa.Customer(ctx, tenant, t.CustomerID, true)
			if err != nil {
				return nil, err
			}
			nt.Name = cu.Name
			if len(cu.Phones) > 0 {
				nt.Phone = cu.Phones[0].Number
			}
		}
		out = append(out, nt) // one with no number is reported, not dropped
	}
	return out, nil
}

func (s *Service) unansweredCallbacks(ctx context.Context, tenant string, since time.Time) ([]NewTarget, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, queue, number_enc, created_at FROM oa_campaign_callbacks WHERE tenant=? AND answered_at IS NULL
		AND created_at>=? ORDER BY id`, tenant, ms(since))
	if err != nil {
		return nil, err
	}
	type cb struct {
		id      int64
		queue   string
		enc     []byte
		created int64
	}
	var list []cb
	for rows.Next() {
		var c cb
		if err := rows.Scan(&c.id, &c.queue, &c.enc, &c.created); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]NewTarget, 0, len(list))
	for _, c := range list {
		n, err := s.fields.Decrypt(ctx, "oa_campaign_callbacks", strconv.FormatInt(c.id, 10), "number", c.enc)
		if err != nil {
			return nil, fmt.Errorf("callback %d: %w", c.id, err)
		}
		out = append(out, NewTarget{Line: len(out) + 1, Phone: string(n), Note: "未接回呼 " + c.queue + " " +
			time.UnixMilli(c.created).In(since.Location()).Format("01-02 15:04")})
	}
	return out, nil
}
