package oa

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// Contact kinds: what became of a call.
const (
	ContactRinging   = "ringing"   // offered to an agent, not ended yet
	ContactAnswered  = "answered"  // an agent talked to the caller
	ContactMissed    = "missed"    // rang, nobody answered
	ContactAbandoned = "abandoned" // the caller hung up waiting
	ContactVoicemail = "voicemail" // the caller left a message
)

// Contact is one call's record.
type Contact struct {
	ID              int64             `json:"id"`
	CallID          string            `json:"call_id"`
	Direction       string            `json:"direction"`
	Kind            string            `json:"kind"`
	CustomerID      int64             `json:"customer_id,omitempty"`
	CallerMasked    string            `json:"caller"`
	Callee          string            `json:"callee,omitempty"`
	Agent           string            `json:"agent,omitempty"`
	Queue           string            `json:"queue,omitempty"`
	Vars            map[string]string `json:"vars,omitempty"`
	StartedAt       int64             `json:"started_at"`
	AnsweredAt      int64             `json:"answered_at,omitempty"`
	EndedAt         int64             `json:"ended_at,omitempty"`
	WaitS           int               `json:"wait_s"`
	TalkS           int               `json:"talk_s"`
	CDRID           string            `json:"cdr_id,omitempty"`
	CDRDisposition  string            `json:"cdr_disposition,omitempty"`
	RecordingID     string            `json:"recording_id,omitempty"`
	RecordingURL    string            `json:"recording_url,omitempty"`
	VoicemailID     string            `json:"voicemail_id,omitempty"`
	DispositionCode string            `json:"disposition_code,omitempty"`
	Notes           string            `json:"notes,omitempty"`
	SurveyScore     *int              `json:"survey_score,omitempty"`
	TicketID        int64             `json:"ticket_id,omitempty"`
}

// Cursor is where the CTI consumer is in a tenant's event stream.
type Cursor struct {
	Epoch string
	Seq   uint64
}

// Cursor reads a tenant's cursor (zero when none was saved).
func (s *Service) Cursor(ctx context.Context, tenant string) (Cursor, error) {
	var c Cursor
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT epoch, seq FROM oa_cti_cursor WHERE tenant=?`, tenant).Scan(&c.Epoch, &c.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, nil
	}
	return c, err
}

// SetCursor saves a tenant's cursor (after a replay gap, a fresh start).
func (s *Service) SetCursor(ctx context.Context, tenant string, c Cursor) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_cti_cursor(tenant, epoch, seq) VALUES (?,?,?)
		ON CONFLICT(tenant) DO UPDATE SET epoch=excluded.epoch, seq=excluded.seq`, tenant, c.Epoch, c.Seq)
	return err
}

// Ringing is a call offered to an agent, for the screen pop.
type Ringing struct {
	Tenant string
	Data   protocol.CallRinging
	At     time.Time
}

// ApplyEvent turns one CTI event into contact records (and a voicemail's
// ticket) and moves the tenant's cursor past it, in one transaction: an
// event is applied exactly once however often it is delivered. An event at
// or before the cursor is skipped. A call.ringing is returned for the
// screen pop.
func (s *Service) ApplyEvent(ctx context.Context, tenant, epoch string, env protocol.Envelope) (*Ringing, error) {
	var ring *Ringing
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.Cursor(ctx, tenant)
		if err != nil {
			return err
		}
		if cur.Epoch == epoch && env.Seq != 0 && env.Seq <= cur.Seq {
			return nil // seen before this restart
		}
		at, err := env.Time()
		if err != nil {
			at = s.now()
		}
		if ring, err = s.apply(ctx, tenant, env, at); err != nil {
			return err
		}
		if s.events != nil {
			if err := s.events.Record(ctx, tenant, env, at); err != nil {
				return err
			}
		}
		if env.Seq == 0 {
			return nil
		}
		return s.SetCursor(ctx, tenant, Cursor{Epoch: epoch, Seq: env.Seq})
	})
	return ring, err
}

func (s *Service) apply(ctx context.Context, tenant string, env protocol.Envelope, at time.Time) (*Ringing, error) {
	switch env.Type {
	case protocol.EventCallRinging:
		var d protocol.CallRinging
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return nil, s.skip(env, err)
		}
		started := at.Add(-time.Duration(d.WaitS) * time.Second)
		vars, _ := json.Marshal(nonNilMap(d.Vars))
		id, err := s.upsertContact(ctx, tenant, d.Call, d.Caller, started)
		if err != nil {
			return nil, err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET agent=?, queue=?, vars=?, wait_s=MAX(wait_s, ?) WHERE id=?`,
			d.Agent, d.Queue, string(vars), d.WaitS, id)
		if err != nil || (d.Queue == "" && isExtension(d.Caller)) {
			return nil, err // a colleague calling: no customer card to pop
		}
		return &Ringing{Tenant: tenant, Data: d, At: at}, nil
	case protocol.EventCallAnswered:
		var d protocol.CallAnswered
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return nil, s.skip(env, err)
		}
		id, err := s.upsertContact(ctx, tenant, d.Call, d.Caller, at)
		if err != nil {
			return nil, err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET answered_at=IFNULL(answered_at, ?), agent=CASE WHEN ?<>'' THEN ? ELSE agent END,
			queue=CASE WHEN ?<>'' THEN ? ELSE queue END, kind=CASE WHEN kind IN ('ringing') THEN 'answered' ELSE kind END WHERE id=?`,
			ms(at), d.Agent, d.Agent, d.Queue, d.Queue, id)
		return nil, err
	case protocol.EventCallEnded:
		var d protocol.CallEnded
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return nil, s.skip(env, err)
		}
		start := parseTime(d.Start, at)
		id, err := s.upsertContact(ctx, tenant, d.Call, d.Caller, start)
		if err != nil {
			return nil, err
		}
		kind := ContactAnswered
		switch {
		case d.Answer != "":
		case d.HangupSide == "caller" || d.Disposition == "abandoned" || d.Disposition == "cancelled":
			kind = ContactAbandoned
		default:
			kind = ContactMissed
		}
		direction := "inbound"
		if d.Queue == "" && isExtension(d.Caller) && !isExtension(d.Callee) {
			direction = "outbound"
		}
		// The party an extension called out to is a citizen: their
		// number is kept masked like any caller's.
		callee := d.Callee
		if callee != "" && !isExtension(callee) {
			callee = fieldcrypt.Mask(callee)
		}
		var answered any
		if d.Answer != "" {
			answered = ms(parseTime(d.Answer, at))
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET kind=CASE WHEN kind='voicemail' THEN kind ELSE ? END, direction=?,
			started_at=MIN(started_at, ?), answered_at=IFNULL(answered_at, ?), ended_at=?, talk_s=?, wait_s=MAX(wait_s, ?), cdr_id=?, cdr_disposition=?,
			callee=?, agent=CASE WHEN ?<>'' THEN ? ELSE agent END, queue=CASE WHEN ?<>'' THEN ? ELSE queue END WHERE id=?`,
			kind, direction, ms(start), answered, ms(parseTime(d.End, at)), d.TalkS, d.WaitS, d.Call, d.Disposition, callee,
			d.Agent, d.Agent, d.Queue, d.Queue, id)
		return nil, err
	case protocol.EventRecordingReady:
		var d protocol.RecordingReady
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return nil, s.skip(env, err)
		}
		// The recording's caller is masked: the contact is matched by call id only.
		id, err := s.upsertContact(ctx, tenant, d.Call, "", at)
		if err != nil {
			return nil, err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET recording_id=?, recording_url=? WHERE id=?`, d.ID, d.URL, id)
		return nil, err
	case protocol.EventVoicemailRecorded:
		var d protocol.VoicemailRecorded
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return nil, s.skip(env, err)
		}
		id, err := s.upsertContact(ctx, tenant, d.Call, d.Caller, at)
		if err != nil {
			return nil, err
		}
		vars, _ := json.Marshal(nonNilMap(d.Vars))
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET kind='voicemail', voicemail_id=?, vars=? WHERE id=?`, d.ID, string(vars), id); err != nil {
			return nil, err
		}
		return nil, s.voicemailTicket(ctx, tenant, id, d)
	case protocol.EventCallSurvey:
		var d protocol.CallSurvey
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return nil, s.skip(env, err)
		}
		if d.Score == nil {
			return nil, nil
		}
		_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET survey_score=? WHERE tenant=? AND call_id=?`, *d.Score, tenant, d.Call)
		return nil, err
	}
	return nil, nil
}

// skip logs an event the OA cannot read; it is passed over, not retried.
func (s *Service) skip(env protocol.Envelope, err error) error {
	s.log.Warn("cti event skipped", "type", env.Type, "seq", env.Seq, "err", err)
	return nil
}

func parseTime(v string, def time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t
	}
	return def
}

func isExtension(n string) bool {
	_, kind := NormaliseCaller(n, "")
	return kind == NumberExtension
}

// upsertContact returns the contact of call, creating it with the caller
// sealed and linked to its customer when it is new.
func (s *Service) upsertContact(ctx context.Context, tenant, call, caller string, started time.Time) (int64, error) {
	q := s.db.Q(ctx)
	var id int64
	var hasCaller bool
	err := q.QueryRowContext(ctx, `SELECT id, caller_bidx IS NOT NULL FROM oa_contacts WHERE tenant=? AND call_id=?`, tenant, call).Scan(&id, &hasCaller)
	if err == nil {
		if !hasCaller && caller != "" {
			return id, s.setCaller(ctx, tenant, id, caller)
		}
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	res, err := q.ExecContext(ctx, `INSERT INTO oa_contacts(tenant, call_id, cdr_id, started_at) VALUES (?,?,?,?)`, tenant, call, call, ms(started))
	if err != nil {
		return 0, err
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, err
	}
	if caller != "" {
		return id, s.setCaller(ctx, tenant, id, caller)
	}
	return id, nil
}

func (s *Service) setCaller(ctx context.Context, tenant string, id int64, caller string) error {
	n, kind := NormaliseCaller(caller, s.cfg.LocalAreaCode)
	if kind == NumberAnonymous {
		_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET caller_masked='anonymous' WHERE id=?`, id)
		return err
	}
	enc, err := s.fields.Encrypt(ctx, "oa_contacts", strconv.FormatInt(id, 10), "caller", []byte(n))
	if err != nil {
		return err
	}
	bidx := s.phoneIndex(n)
	var customer sql.NullInt64
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT p.customer_id FROM oa_customer_phones p JOIN oa_customers c ON c.id=p.customer_id
		WHERE p.tenant=? AND p.phone_bidx=? AND c.merged_into IS NULL ORDER BY p.customer_id LIMIT 1`, tenant, bidx).Scan(&customer)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET caller_enc=?, caller_bidx=?, caller_masked=?, customer_id=IFNULL(customer_id, ?) WHERE id=?`,
		enc, bidx, fieldcrypt.Mask(n), customer, id)
	return err
}

// voicemailTicket opens the ticket a voicemail asks for, once.
func (s *Service) voicemailTicket(ctx context.Context, tenant string, contact int64, d protocol.VoicemailRecorded) error {
	var n int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_tickets WHERE contact_id=?`, contact).Scan(&n); err != nil || n > 0 {
		return err
	}
	cat, err := s.defaultCategory(ctx, tenant)
	if err != nil {
		return err
	}
	c, err := s.contact(ctx, tenant, contact)
	if err != nil {
		return err
	}
	in := TicketInput{
		Title:       "留言 " + c.CallerMasked,
		Description: fmt.Sprintf("语音留言 %s（信箱 %s，%.0f 秒）", d.ID, d.Mailbox, d.DurationS),
		CategoryID:  cat, Priority: "normal", CustomerID: c.CustomerID, ContactID: contact,
		OutletNo: d.Vars["outlet"],
	}
	_, err = s.createTicket(ctx, tenant, "system", in)
	return err
}

// ContactQuery filters contact records.
type ContactQuery struct {
	Customer int64
	Agent    string
	Queue    string
	Kind     string
	Phone    string
	CallID   string // the PBX's call id (the screen pop links by it)
	From, To int64  // started_at range, ms
	Paging   Paging
}

// FindContacts lists contact records, newest first by default.
func (s *Service) FindContacts(ctx context.Context, tenant string, q ContactQuery) ([]Contact, int, error) {
	where := []string{"tenant=?"}
	args := []any{tenant}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if q.Customer != 0 {
		add("customer_id=?", q.Customer)
	}
	if q.Agent != "" {
		add("agent=?", q.Agent)
	}
	if q.Queue != "" {
		add("queue=?", q.Queue)
	}
	if q.Kind != "" {
		add("kind=?", q.Kind)
	}
	if q.CallID != "" {
		add("call_id=?", q.CallID)
	}
	if q.Phone != "" {
		n, kind := NormaliseCaller(q.Phone, s.cfg.LocalAreaCode)
		if kind == NumberAnonymous {
			return nil, 0, FieldErrors{"phone": "not a telephone number"}
		}
		add("caller_bidx=?", s.phoneIndex(n))
	}
	if q.From != 0 {
		add("started_at>=?", q.From)
	}
	if q.To != 0 {
		add("started_at<?", q.To)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_contacts WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	p := q.Paging.clamp()
	if p.Sort == "" {
		p.Sort, p.Desc = "started_at", true
	}
	order, err := orderBy(p, map[string]string{"started_at": "started_at", "id": "id", "talk_s": "talk_s", "wait_s": "wait_s"})
	if err != nil {
		return nil, 0, err
	}
	list, err := s.contacts(ctx, `WHERE `+cond+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	return list, total, err
}

const contactCols = `id, call_id, direction, kind, IFNULL(customer_id,0), caller_masked, callee, agent, queue, vars, started_at,
	IFNULL(answered_at,0), IFNULL(ended_at,0), wait_s, talk_s, cdr_id, cdr_disposition, recording_id, recording_url, voicemail_id,
	disposition_code, notes, survey_score, IFNULL((SELECT t.id FROM oa_tickets t WHERE t.contact_id=oa_contacts.id),0)`

func (s *Service) contacts(ctx context.Context, tail string, args ...any) ([]Contact, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+contactCols+` FROM oa_contacts `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Contact{}
	for rows.Next() {
		var c Contact
		var vars string
		var score sql.NullInt64
		if err := rows.Scan(&c.ID, &c.CallID, &c.Direction, &c.Kind, &c.CustomerID, &c.CallerMasked, &c.Callee, &c.Agent, &c.Queue, &vars,
			&c.StartedAt, &c.AnsweredAt, &c.EndedAt, &c.WaitS, &c.TalkS, &c.CDRID, &c.CDRDisposition, &c.RecordingID, &c.RecordingURL,
			&c.VoicemailID, &c.DispositionCode, &c.Notes, &score, &c.TicketID); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(vars), &c.Vars)
		if score.Valid {
			v := int(score.Int64)
			c.SurveyScore = &v
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Service) contact(ctx context.Context, tenant string, id int64) (Contact, error) {
	list, err := s.contacts(ctx, `WHERE tenant=? AND id=?`, tenant, id)
	if err != nil {
		return Contact{}, err
	}
	if len(list) == 0 {
		return Contact{}, fmt.Errorf("contact %d: %w", id, errs.ErrNotFound)
	}
	return list[0], nil
}

// Contact reads one contact record.
func (s *Service) Contact(ctx context.Context, tenant string, id int64) (Contact, error) {
	return s.contact(ctx, tenant, id)
}

// ContactByCall reads the contact record of a call.
func (s *Service) ContactByCall(ctx context.Context, tenant, call string) (Contact, error) {
	list, err := s.contacts(ctx, `WHERE tenant=? AND call_id=?`, tenant, call)
	if err != nil {
		return Contact{}, err
	}
	if len(list) == 0 {
		return Contact{}, fmt.Errorf("contact of call %s: %w", call, errs.ErrNotFound)
	}
	return list[0], nil
}

// ContactUpdate is what an agent writes on a contact after the call.
type ContactUpdate struct {
	Notes           *string `json:"notes"`
	DispositionCode *string `json:"disposition_code"`
	CustomerID      *int64  `json:"customer_id"`
}

// UpdateContact saves an agent's notes, disposition code or the customer
// the call was about.
func (s *Service) UpdateContact(ctx context.Context, tenant string, id int64, u ContactUpdate) (Contact, error) {
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		bad := FieldErrors{}
		if u.Notes != nil && len([]rune(*u.Notes)) > 4000 {
			bad["notes"] = "at most 4000 characters"
		}
		if u.DispositionCode != nil && *u.DispositionCode != "" {
			var n int
			if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_disposition_codes WHERE tenant=? AND code=?`, tenant, *u.DispositionCode).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				bad["disposition_code"] = "no such disposition code"
			}
		}
		if u.CustomerID != nil {
			if _, err := s.Customer(ctx, tenant, *u.CustomerID, false); errors.Is(err, errs.ErrNotFound) {
				bad["customer_id"] = "no such customer"
			} else if err != nil {
				return err
			}
		}
		if err := bad.err(); err != nil {
			return err
		}
		q := s.db.Q(ctx)
		if _, err := s.contact(ctx, tenant, id); err != nil {
			return err
		}
		if u.Notes != nil {
			if _, err := q.ExecContext(ctx, `UPDATE oa_contacts SET notes=? WHERE id=?`, *u.Notes, id); err != nil {
				return err
			}
		}
		if u.DispositionCode != nil {
			if _, err := q.ExecContext(ctx, `UPDATE oa_contacts SET disposition_code=? WHERE id=?`, *u.DispositionCode, id); err != nil {
				return err
			}
		}
		if u.CustomerID != nil {
			if _, err := q.ExecContext(ctx, `UPDATE oa_contacts SET customer_id=? WHERE id=?`, *u.CustomerID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Contact{}, err
	}
	return s.contact(ctx, tenant, id)
}

// DispositionCode is a tenant's code for how a call ended, business-wise.
type DispositionCode struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// PutDispositionCode declares or renames a disposition code.
func (s *Service) PutDispositionCode(ctx context.Context, tenant string, d DispositionCode) error {
	bad := FieldErrors{}
	if d.Code == "" || len(d.Code) > 32 {
		bad["code"] = "required, at most 32 characters"
	}
	if strings.TrimSpace(d.Name) == "" {
		bad["name"] = "required"
	}
	if err := bad.err(); err != nil {
		return err
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_disposition_codes(tenant, code, name) VALUES (?,?,?)
		ON CONFLICT(tenant, code) DO UPDATE SET name=excluded.name`, tenant, d.Code, d.Name)
	return err
}

// DispositionCodes lists a tenant's disposition codes.
func (s *Service) DispositionCodes(ctx context.Context, tenant string) ([]DispositionCode, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT code, name FROM oa_disposition_codes WHERE tenant=? ORDER BY code`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []DispositionCode{}
	for rows.Next() {
		var d DispositionCode
		if err := rows.Scan(&d.Code, &d.Name); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UseOnce records a single-use token id until it expires; a second use is
// refused with errs.ErrConflict.
func (s *Service) UseOnce(ctx context.Context, id string, expires time.Time) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `DELETE FROM oa_sso_seen WHERE expires_at<?`, ms(s.now())); err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO oa_sso_seen(jti, expires_at) VALUES (?,?)`, id, ms(expires))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %s was used before: %w", id, errs.ErrConflict)
	}
	return nil
}
