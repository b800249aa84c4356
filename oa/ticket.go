package oa

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Ticket states (工单状态).
const (
	StateAccepted   = "accepted"   // 受理
	StateDispatched = "dispatched" // 派单
	StateSigned     = "signed"     // 签收
	StateHandling   = "handling"   // 办理
	StateResolved   = "resolved"   // 办结
	StateVisited    = "visited"    // 回访
	StateArchived   = "archived"   // 归档
	StateReturned   = "returned"   // 退单: back with the accepting desk
)

// Priorities.
var priorities = map[string]bool{"low": true, "normal": true, "high": true, "urgent": true}

// Ticket is a work order.
type Ticket struct {
	ID               int64   `json:"id"`
	Title            string  `json:"title"`
	Description      string  `json:"description"`
	CategoryID       int64   `json:"category_id"`
	Priority         string  `json:"priority"`
	State            string  `json:"state"`
	Open             bool    `json:"open"`
	CustomerID       int64   `json:"customer_id,omitempty"`
	ContactID        int64   `json:"contact_id,omitempty"`
	CallID           string  `json:"call_id,omitempty"`
	Caller           string  `json:"caller,omitempty"`
	OutletNo         string  `json:"outlet_no,omitempty"`
	Device           string  `json:"device,omitempty"`
	Fault            string  `json:"fault,omitempty"`
	DepartmentID     int64   `json:"department_id,omitempty"`
	Assignee         string  `json:"assignee,omitempty"`
	Creator          string  `json:"creator"`
	Supervised       bool    `json:"supervised"`
	ExtensionPending bool    `json:"extension_pending"`
	Satisfaction     *int    `json:"satisfaction,omitempty"`
	MergedInto       int64   `json:"merged_into,omitempty"`
	SLA              SLAView `json:"sla"`
	CreatedAt        int64   `json:"created_at"`
	UpdatedAt        int64   `json:"updated_at"`
	ClosedAt         int64   `json:"closed_at,omitempty"`
}

// SLAView is a ticket's running clock as the API shows it.
type SLAView struct {
	Step        string `json:"step,omitempty"`
	StartedAt   int64  `json:"started_at,omitempty"`
	DueAt       int64  `json:"due_at,omitempty"`
	WarnAt      int64  `json:"warn_at,omitempty"`
	Paused      bool   `json:"paused"`
	RemainingMS int64  `json:"remaining_ms,omitempty"`
	State       string `json:"state,omitempty"`
}

// TicketInput creates a ticket.
type TicketInput struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	CategoryID  int64  `json:"category_id"`
	Priority    string `json:"priority"`
	CustomerID  int64  `json:"customer_id"`
	ContactID   int64  `json:"contact_id"`
	OutletNo    string `json:"outlet_no"`
	Device      string `json:"device"`
	Fault       string `json:"fault"`
}

// CreateTicket opens a ticket in 受理 (accepted), by hand or from a call
// (contact_id: the caller and customer come from the contact record).
func (s *Service) CreateTicket(ctx context.Context, tenant, actor string, in TicketInput) (Ticket, error) {
	var id int64
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = s.createTicket(ctx, tenant, actor, in)
		return err
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, tenant, id)
}

func (s *Service) createTicket(ctx context.Context, tenant, actor string, in TicketInput) (int64, error) {
	bad := FieldErrors{}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || len([]rune(in.Title)) > 200 {
		bad["title"] = "required, at most 200 characters"
	}
	if len([]rune(in.Description)) > 10000 {
		bad["description"] = "at most 10000 characters"
	}
	if in.Priority == "" {
		in.Priority = "normal"
	}
	if !priorities[in.Priority] {
		bad["priority"] = "low, normal, high or urgent"
	}
	for k, v := range map[string]string{"outlet_no": in.OutletNo, "device": in.Device, "fault": in.Fault} {
		if len([]rune(v)) > 200 {
			bad[k] = "at most 200 characters"
		}
	}
	if in.CategoryID == 0 {
		bad["category_id"] = "required"
	} else if _, err := s.Category(ctx, tenant, in.CategoryID); errors.Is(err, errs.ErrNotFound) {
		bad["category_id"] = "no such category"
	} else if err != nil {
		return 0, err
	}
	var callID, caller string
	if in.ContactID != 0 {
		c, err := s.contact(ctx, tenant, in.ContactID)
		if errors.Is(err, errs.ErrNotFound) {
			bad["contact_id"] = "no such contact record"
		} else if err != nil {
			return 0, err
		} else {
			callID, caller = c.CallID, c.CallerMasked
			if in.CustomerID == 0 {
				in.CustomerID = c.CustomerID
			}
			if in.OutletNo == "" {
				in.OutletNo = c.Vars["outlet"]
			}
		}
	}
	if in.CustomerID != 0 {
		if _, err := s.Customer(ctx, tenant, in.CustomerID, false); errors.Is(err, errs.ErrNotFound) {
			bad["customer_id"] = "no such customer"
		} else if err != nil {
			return 0, err
		}
	}
	if err := bad.err(); err != nil {
		return 0, err
	}
	now := ms(s.now())
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_tickets(tenant, title, description, category_id, priority, state, customer_id, contact_id,
		call_id, caller_masked, outlet_no, device, fault, creator, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		tenant, in.Title, in.Description, in.CategoryID, in.Priority, StateAccepted, nullID(in.CustomerID), nullID(in.ContactID),
		callID, caller, in.OutletNo, in.Device, in.Fault, actor, now, now)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, s.appendEvent(ctx, tenant, id, "create", "", StateAccepted, actor, "", nil)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// appendEvent adds a ticket's event (the table refuses changes to old ones).
func (s *Service) appendEvent(ctx context.Context, tenant string, ticket int64, action, from, to, actor, comment string, detail map[string]any) error {
	d, _ := json.Marshal(detail)
	if detail == nil {
		d = []byte("{}")
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_ticket_events(ticket_id, tenant, action, from_state, to_state, actor, comment, detail, at)
		VALUES (?,?,?,?,?,?,?,?,?)`, ticket, tenant, action, from, to, actor, comment, string(d), ms(s.now()))
	return err
}

const ticketCols = `id, title, description, category_id, priority, state, open, IFNULL(customer_id,0), IFNULL(contact_id,0), call_id, caller_masked,
	outlet_no, device, fault, IFNULL(department_id,0), assignee, creator, supervised, extension_pending, satisfaction, IFNULL(merged_into,0),
	sla_step, IFNULL(sla_started_at,0), IFNULL(sla_due_at,0), IFNULL(sla_warn_at,0), sla_paused_at IS NOT NULL, IFNULL(sla_remaining_ms,0), sla_state,
	created_at, updated_at, IFNULL(closed_at,0)`

func scanTicket(sc interface{ Scan(...any) error }) (Ticket, error) {
	var t Ticket
	var sat sql.NullInt64
	err := sc.Scan(&t.ID, &t.Title, &t.Description, &t.CategoryID, &t.Priority, &t.State, &t.Open, &t.CustomerID, &t.ContactID, &t.CallID, &t.Caller,
		&t.OutletNo, &t.Device, &t.Fault, &t.DepartmentID, &t.Assignee, &t.Creator, &t.Supervised, &t.ExtensionPending, &sat, &t.MergedInto,
		&t.SLA.Step, &t.SLA.StartedAt, &t.SLA.DueAt, &t.SLA.WarnAt, &t.SLA.Paused, &t.SLA.RemainingMS, &t.SLA.State,
		&t.CreatedAt, &t.UpdatedAt, &t.ClosedAt)
	if sat.Valid {
		v := int(sat.Int64)
		t.Satisfaction = &v
	}
	return t, err
}

// Ticket reads one ticket.
func (s *Service) Ticket(ctx context.Context, tenant string, id int64) (Ticket, error) {
	t, err := scanTicket(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+ticketCols+` FROM oa_tickets WHERE id=? AND tenant=?`, id, tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, fmt.Errorf("ticket %d: %w", id, errs.ErrNotFound)
	}
	return t, err
}

// TicketEvent is one entry of a ticket's timeline.
type TicketEvent struct {
	ID      int64          `json:"id"`
	Action  string         `json:"action"`
	From    string         `json:"from"`
	To      string         `json:"to"`
	Actor   string         `json:"actor"`
	Comment string         `json:"comment,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`
	At      int64          `json:"at"`
}

// TicketEvents is a ticket's timeline, oldest first.
func (s *Service) TicketEvents(ctx context.Context, tenant string, id int64) ([]TicketEvent, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, action, from_state, to_state, actor, comment, detail, at FROM oa_ticket_events
		WHERE ticket_id=? AND tenant=? ORDER BY id`, id, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TicketEvent{}
	for rows.Next() {
		var e TicketEvent
		var d string
		if err := rows.Scan(&e.ID, &e.Action, &e.From, &e.To, &e.Actor, &e.Comment, &d, &e.At); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(d), &e.Detail)
		if len(e.Detail) == 0 {
			e.Detail = nil
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// TicketQuery filters tickets (综合查询 and 我的工单).
type TicketQuery struct {
	View       string // mine (assigned to me), department, created, watched; "" all
	State      string
	Open       *bool
	CategoryID int64
	CustomerID int64
	Priority   string
	OutletNo   string
	SLAState   string
	Text       string // in the title
	From, To   int64  // created_at range, ms
	Paging     Paging
}

// Views of 我的工单.
const (
	ViewMine       = "mine"
	ViewDepartment = "department"
	ViewCreated    = "created"
	ViewWatched    = "watched"
)

func (s *Service) ticketWhere(ctx context.Context, tenant string, me Actor, q TicketQuery) (string, []any, error) {
	where := []string{"tenant=?"}
	args := []any{tenant}
	add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
	switch q.View {
	case "":
	case ViewMine:
		add("assignee=?", me.UserID)
	case ViewDepartment:
		add("department_id=?", me.Department)
	case ViewCreated:
		add("creator=?", me.UserID)
	case ViewWatched:
		add("id IN (SELECT ticket_id FROM oa_ticket_watchers WHERE user_id=?)", me.UserID)
	default:
		return "", nil, FieldErrors{"view": "mine, department, created or watched"}
	}
	if q.State != "" {
		add("state=?", q.State)
	}
	if q.Open != nil {
		add("open=?", *q.Open)
	}
	if q.CategoryID != 0 {
		add("category_id=?", q.CategoryID)
	}
	if q.CustomerID != 0 {
		add("customer_id=?", q.CustomerID)
	}
	if q.Priority != "" {
		add("priority=?", q.Priority)
	}
	if q.OutletNo != "" {
		add("outlet_no=?", q.OutletNo)
	}
	if q.SLAState != "" {
		add("sla_state=?", q.SLAState)
	}
	if q.Text != "" {
		add("title LIKE ? ESCAPE '\\'", "%"+strings.TrimSuffix(likePrefix(q.Text), "%")+"%")
	}
	if q.From != 0 {
		add("created_at>=?", q.From)
	}
	if q.To != 0 {
		add("created_at<?", q.To)
	}
	return strings.Join(where, " AND "), args, nil
}

// FindTickets lists tickets, newest first by default.
func (s *Service) FindTickets(ctx context.Context, tenant string, me Actor, q TicketQuery) ([]Ticket, int, error) {
	cond, args, err := s.ticketWhere(ctx, tenant, me, q)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_tickets WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	p := q.Paging.clamp()
	if p.Sort == "" {
		p.Sort, p.Desc = "created_at", true
	}
	order, err := orderBy(p, map[string]string{"created_at": "created_at", "id": "id", "updated_at": "updated_at", "sla_due_at": "sla_due_at", "priority": "priority"})
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+ticketCols+` FROM oa_tickets WHERE `+cond+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// MyCounts are the open tickets of each 我的工单 view.
type MyCounts struct {
	Mine       int `json:"mine"`
	Department int `json:"department"`
	Created    int `json:"created"`
	Watched    int `json:"watched"`
	Overdue    int `json:"overdue"`
}

// CountMine counts me's open tickets per view.
func (s *Service) CountMine(ctx context.Context, tenant string, me Actor) (MyCounts, error) {
	var c MyCounts
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM oa_tickets WHERE tenant=? AND assignee=? AND open=1),
		(SELECT COUNT(*) FROM oa_tickets WHERE tenant=? AND department_id=? AND open=1),
		(SELECT COUNT(*) FROM oa_tickets WHERE tenant=? AND creator=? AND open=1),
		(SELECT COUNT(*) FROM oa_tickets t JOIN oa_ticket_watchers w ON w.ticket_id=t.id WHERE t.tenant=? AND w.user_id=? AND t.open=1),
		(SELECT COUNT(*) FROM oa_tickets WHERE tenant=? AND assignee=? AND open=1 AND sla_state IN ('breached','escalated'))`,
		tenant, me.UserID, tenant, me.Department, tenant, me.UserID, tenant, me.UserID, tenant, me.UserID).
		Scan(&c.Mine, &c.Department, &c.Created, &c.Watched, &c.Overdue)
	return c, err
}

// Watch adds (or with on false removes) me as a watcher of a ticket.
func (s *Service) Watch(ctx context.Context, tenant string, me Actor, id int64, on bool) error {
	if _, err := s.Ticket(ctx, tenant, id); err != nil {
		return err
	}
	q := `INSERT OR IGNORE INTO oa_ticket_watchers(ticket_id, user_id) VALUES (?,?)`
	if !on {
		q = `DELETE FROM oa_ticket_watchers WHERE ticket_id=? AND user_id=?`
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, q, id, me.UserID)
	return err
}

// Link records that two tickets are related (both ways).
func (s *Service) Link(ctx context.Context, tenant string, a, b int64) error {
	if a == b {
		return FieldErrors{"other_id": "a ticket is not related to itself"}
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		for _, id := range []int64{a, b} {
			if _, err := s.Ticket(ctx, tenant, id); err != nil {
				return err
			}
		}
		for _, p := range [][2]int64{{a, b}, {b, a}} {
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT OR IGNORE INTO oa_ticket_links(ticket_id, other_id) VALUES (?,?)`, p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Notification is a message for a user in the UI.
type Notification struct {
	ID       int64  `json:"id"`
	TicketID int64  `json:"ticket_id,omitempty"`
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	Read     bool   `json:"read"`
	At       int64  `json:"at"`
}

func (s *Service) notify(ctx context.Context, tenant, user string, ticket int64, kind, text string) error {
	if user == "" {
		return nil
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_notifications(tenant, user_id, ticket_id, kind, text, created_at) VALUES (?,?,?,?,?,?)`,
		tenant, user, nullID(ticket), kind, text, ms(s.now()))
	if err == nil {
		s.db.AfterCommit(ctx, func() { s.ring(tenant, user) }) // notification_stream.go
	}
	return err
}

// notifyDepartment tells every member of a department.
func (s *Service) notifyDepartment(ctx context.Context, tenant string, dep, ticket int64, kind, text string) error {
	if dep == 0 {
		return nil
	}
	staff, err := s.StaffList(ctx, tenant, dep)
	if err != nil {
		return err
	}
	for _, st := range staff {
		if err := s.notify(ctx, tenant, st.UserID, ticket, kind, text); err != nil {
			return err
		}
	}
	return nil
}

// Notifications lists a user's notifications, unread first, newest first.
func (s *Service) Notifications(ctx context.Context, tenant, user string, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.queryNotifications(ctx, `WHERE tenant=? AND user_id=? ORDER BY read, id DESC LIMIT ?`, tenant, user, limit)
}

// queryNotifications reads the notifications a WHERE … ORDER … LIMIT
// clause picks.
func (s *Service) queryNotifications(ctx context.Context, where string, args ...any) ([]Notification, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, IFNULL(ticket_id,0), kind, text, read, created_at FROM oa_notifications `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.TicketID, &n.Kind, &n.Text, &n.Read, &n.At); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkRead marks a user's notification read.
func (s *Service) MarkRead(ctx context.Context, tenant, user string, id int64) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_notifications SET read=1 WHERE id=? AND tenant=? AND user_id=?`, id, tenant, user)
	return affected(res, err, "notification")
}

func (s *Service) nowTime() time.Time { return s.now() }

// EachTicket calls fn for every ticket the query matches, in its order,
// without paging: for exports of any size (the rows are read as they go).
func (s *Service) EachTicket(ctx context.Context, tenant string, me Actor, q TicketQuery, fn func(Ticket) error) error {
	cond, args, err := s.ticketWhere(ctx, tenant, me, q)
	if err != nil {
		return err
	}
	p := q.Paging
	if p.Sort == "" {
		p.Sort, p.Desc = "created_at", true
	}
	order, err := orderBy(p, map[string]string{"created_at": "created_at", "id": "id", "updated_at": "updated_at", "sla_due_at": "sla_due_at", "priority": "priority"})
	if err != nil {
		return err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+ticketCols+` FROM oa_tickets WHERE `+cond+order, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountTickets counts what a query matches.
func (s *Service) CountTickets(ctx context.Context, tenant string, me Actor, q TicketQuery) (int, error) {
	cond, args, err := s.ticketWhere(ctx, tenant, me, q)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_tickets WHERE `+cond, args...).Scan(&n)
	return n, err
}
