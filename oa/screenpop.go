package oa

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// Card is what an agent's bar shows when a call rings: who is calling and
// what is open with them.
type Card struct {
	Call         string            `json:"call"`
	Agent        string            `json:"agent"`
	Known        bool              `json:"known"`
	CustomerID   int64             `json:"customer_id,omitempty"`
	Name         string            `json:"name,omitempty"`
	Type         string            `json:"type,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	VIP          bool              `json:"vip"`
	Phone        string            `json:"phone"` // masked
	NumberKind   NumberKind        `json:"number_kind"`
	LastContacts []CardContact     `json:"last_contacts"`
	OpenTickets  []CardTicket      `json:"open_tickets"`
	OpenCount    int               `json:"open_count"`
	Repeat       int               `json:"repeat"` // earlier calls within RepeatDays
	RepeatDays   int               `json:"repeat_days"`
	IVR          map[string]string `json:"ivr,omitempty"`
	Queue        string            `json:"queue,omitempty"`
	// Prefill is the new-customer form's content for an unknown number.
	Prefill map[string]string `json:"prefill,omitempty"`
	// Articles are the knowledge articles answering the open tickets'
	// categories that the agent's department reads (none without a
	// CardArticles source).
	Articles []CardArticle `json:"articles,omitempty"`
}

// CardArticle is one knowledge article on a card.
type CardArticle struct {
	ID    int64   `json:"id"`
	Title string  `json:"title"`
	Heat  float64 `json:"heat"`
}

// CardArticles finds the articles a card shows: the knowledge base
// (oa/knowledge, which imports this package) answers it.
type CardArticles interface {
	CardArticles(ctx context.Context, tenant string, department int64, categories []int64, limit int) ([]CardArticle, error)
}

// cardArticles is how many articles a card carries.
const cardArticles = 5

// CardContact is one recent call on a card.
type CardContact struct {
	ID        int64  `json:"id"`
	At        int64  `json:"at"`
	Kind      string `json:"kind"`
	Queue     string `json:"queue,omitempty"`
	Agent     string `json:"agent,omitempty"`
	Code      string `json:"disposition_code,omitempty"`
	TicketID  int64  `json:"ticket_id,omitempty"`
	Notes     string `json:"notes,omitempty"`
	Direction string `json:"direction"`
}

// CardTicket is one open ticket on a card.
type CardTicket struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	State      string `json:"state"`
	Priority   string `json:"priority"`
	SLAState   string `json:"sla_state,omitempty"`
	CategoryID int64  `json:"category_id,omitempty"`
}

const cardTickets = 5

// BuildCard looks the ringing caller up by blind index and assembles the
// card. Its queries each use one index (oa_customer_phones_bidx,
// oa_contacts_customer or oa_contacts_caller, oa_tickets_customer_open), so
// the lookup stays flat as customers and tickets grow.
func (s *Service) BuildCard(ctx context.Context, tenant string, r protocol.CallRinging, at time.Time) (Card, error) {
	c := Card{Call: r.Call, Agent: r.Agent, Queue: r.Queue, RepeatDays: s.cfg.RepeatDays, IVR: r.Vars,
		LastContacts: []CardContact{}, OpenTickets: []CardTicket{}}
	number, kind := NormaliseCaller(r.Caller, s.cfg.LocalAreaCode)
	c.NumberKind = kind
	if kind == NumberAnonymous {
		c.Phone = "anonymous"
		c.Prefill = map[string]string{}
		return c, nil
	}
	c.Phone = fieldcrypt.Mask(number)
	bidx := s.phoneIndex(number)
	q := s.db.Q(ctx)
	var id int64
	err := q.QueryRowContext(ctx, `SELECT p.customer_id FROM oa_customer_phones p JOIN oa_customers c ON c.id=p.customer_id
		WHERE p.tenant=? AND p.phone_bidx=? AND c.merged_into IS NULL ORDER BY p.customer_id LIMIT 1`, tenant, bidx).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Card{}, err
	}
	since := ms(at.AddDate(0, 0, -s.cfg.RepeatDays))
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_contacts WHERE tenant=? AND caller_bidx=? AND started_at>=? AND call_id<>?`,
		tenant, bidx, since, r.Call).Scan(&c.Repeat); err != nil {
		return Card{}, err
	}
	if id == 0 {
		c.Prefill = map[string]string{"phone": number, "type": "personal"}
		if o := r.Vars["outlet"]; o != "" {
			c.Prefill["outlet_no"] = o
		}
		list, err := s.cardContacts(ctx, `tenant=? AND caller_bidx=? AND call_id<>?`, tenant, bidx, r.Call)
		c.LastContacts = list
		return c, err
	}
	var tags string
	if err := q.QueryRowContext(ctx, `SELECT name, type, vip, tags FROM oa_customers WHERE id=?`, id).Scan(&c.Name, &c.Type, &c.VIP, &tags); err != nil {
		return Card{}, err
	}
	_ = json.Unmarshal([]byte(tags), &c.Tags)
	c.Known, c.CustomerID = true, id
	if c.LastContacts, err = s.cardContacts(ctx, `customer_id=? AND call_id<>?`, id, r.Call); err != nil {
		return Card{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, title, state, priority, sla_state, IFNULL(category_id,0) FROM oa_tickets WHERE customer_id=? AND open=1
		ORDER BY created_at DESC LIMIT ?`, id, cardTickets)
	if err != nil {
		return Card{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var t CardTicket
		if err := rows.Scan(&t.ID, &t.Title, &t.State, &t.Priority, &t.SLAState, &t.CategoryID); err != nil {
			return Card{}, err
		}
		c.OpenTickets = append(c.OpenTickets, t)
	}
	if err := rows.Err(); err != nil {
		return Card{}, err
	}
	c.OpenCount = len(c.OpenTickets)
	if c.OpenCount == cardTickets {
		if err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_tickets WHERE customer_id=? AND open=1`, id).Scan(&c.OpenCount); err != nil {
			return Card{}, err
		}
	}
	c.Articles = s.cardArticles(ctx, tenant, r.Agent, c.OpenTickets)
	return c, nil
}

// cardArticles lists the articles for the open tickets' categories that
// the ringing agent's department reads. A failure costs the card its
// articles, never the pop: it is logged and the card goes without.
func (s *Service) cardArticles(ctx context.Context, tenant, agent string, open []CardTicket) []CardArticle {
	if s.kb == nil {
		return nil
	}
	var cats []int64
	for _, t := range open {
		if t.CategoryID != 0 && !slices.Contains(cats, t.CategoryID) {
			cats = append(cats, t.CategoryID)
		}
	}
	if len(cats) == 0 {
		return nil
	}
	var dep int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT IFNULL(department_id,0) FROM oa_staff WHERE tenant=? AND agent=? AND agent<>'' ORDER BY user_id LIMIT 1`,
		tenant, agent).Scan(&dep)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		s.log.Warn("card articles: the agent's department", "agent", agent, "err", err)
		return nil
	}
	list, err := s.kb.CardArticles(ctx, tenant, dep, cats, cardArticles)
	if err != nil {
		s.log.Warn("card articles", "agent", agent, "err", err)
		return nil
	}
	return list
}

// SetCardArticles names where cards find their knowledge articles; it is
// set once at start-up, before the CTI links pop anything.
func (s *Service) SetCardArticles(k CardArticles) { s.kb = k }

func (s *Service) cardContacts(ctx context.Context, cond string, args ...any) ([]CardContact, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, started_at, kind, queue, agent, disposition_code, notes, direction,
		IFNULL((SELECT t.id FROM oa_tickets t WHERE t.contact_id=oa_contacts.id),0)
		FROM oa_contacts WHERE `+cond+` ORDER BY started_at DESC LIMIT 5`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CardContact{}
	for rows.Next() {
		var c CardContact
		if err := rows.Scan(&c.ID, &c.At, &c.Kind, &c.Queue, &c.Agent, &c.Code, &c.Notes, &c.Direction, &c.TicketID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ScreenPop renders a card as the CTI's screenpop command: a title, a link
// into the OA, and flat fields for bars that show text only, with the whole
// card as JSON in "card" for one that renders it.
func (s *Service) ScreenPop(c Card) protocol.ScreenPop {
	base := strings.TrimSuffix(s.cfg.BaseURL, "/")
	p := protocol.ScreenPop{Agent: c.Agent, Call: c.Call, Fields: map[string]string{
		"phone": c.Phone, "known": strconv.FormatBool(c.Known), "repeat": strconv.Itoa(c.Repeat),
	}}
	if c.Known {
		p.Title = fmt.Sprintf("%s · %d 个未结工单", c.Name, c.OpenCount)
		if c.VIP {
			p.Title = "VIP " + p.Title
		}
		p.URL = fmt.Sprintf("%s/#/customers/%d?call=%s", base, c.CustomerID, c.Call)
		p.Fields["customer"], p.Fields["customer_id"], p.Fields["type"] = c.Name, strconv.FormatInt(c.CustomerID, 10), c.Type
		p.Fields["tags"], p.Fields["vip"], p.Fields["tickets"] = strings.Join(c.Tags, ","), strconv.FormatBool(c.VIP), strconv.Itoa(c.OpenCount)
	} else {
		p.Title = "新客户 " + c.Phone
		p.URL = fmt.Sprintf("%s/#/customers/new?call=%s", base, c.Call)
	}
	if o := c.IVR["outlet"]; o != "" {
		p.Fields["outlet"] = o
	}
	if b, err := json.Marshal(c); err == nil && len(b) < 12<<10 {
		p.Fields["card"] = string(b)
	}
	return p
}
