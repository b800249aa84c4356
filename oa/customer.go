package oa

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// Phone is one of a customer's numbers. Number is empty when the reader may
// not see it unmasked.
type Phone struct {
	ID     int64  `json:"id,omitempty"`
	Number string `json:"number,omitempty"`
	Masked string `json:"masked"`
	Label  string `json:"label,omitempty"`
}

// Customer is a person or organisation the hotline serves.
type Customer struct {
	ID         int64             `json:"id"`
	Tenant     string            `json:"tenant"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	VIP        bool              `json:"vip"`
	Tags       []string          `json:"tags"`
	Fields     map[string]string `json:"fields"`
	Phones     []Phone           `json:"phones"`
	IDNo       string            `json:"id_no,omitempty"`
	IDNoMasked string            `json:"id_no_masked,omitempty"`
	MergedInto int64             `json:"merged_into,omitempty"`
	CreatedAt  int64             `json:"created_at"`
	UpdatedAt  int64             `json:"updated_at"`
}

// CustomerInput creates or replaces a customer's editable fields.
type CustomerInput struct {
	Name   string            `json:"name"`
	Type   string            `json:"type"`
	VIP    bool              `json:"vip"`
	Tags   []string          `json:"tags"`
	Fields map[string]string `json:"fields"`
	Phones []PhoneInput      `json:"phones"`
	IDNo   string            `json:"id_no"`
	// ContactID creates the customer from a call (the screen pop's new
	// customer): the caller's number, which the agent need not see, is
	// added to the numbers and the call's record is linked to the customer.
	ContactID int64 `json:"contact_id,omitempty"`
	// KeepNumbers leaves the stored numbers and ID number as they are on an
	// update: a reader who sees them masked edits the rest.
	KeepNumbers bool `json:"keep_numbers,omitempty"`
}

// PhoneInput is one number of a CustomerInput.
type PhoneInput struct {
	Number string `json:"number"`
	Label  string `json:"label"`
}

const customerTable = "oa_customers"
const phoneTable = "oa_customer_phones"

func (s *Service) checkCustomer(in *CustomerInput) error {
	bad := FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		bad["name"] = "required, at most 100 characters"
	}
	if in.Type == "" {
		in.Type = "personal"
	}
	if len(in.Phones) > 10 {
		bad["phones"] = "at most 10 numbers"
	}
	for i := range in.Phones {
		n, kind := NormaliseCaller(in.Phones[i].Number, s.cfg.LocalAreaCode)
		// An extension is kept: colleagues call the hotline too.
		if kind == NumberAnonymous {
			bad[fmt.Sprintf("phones[%d].number", i)] = "not a telephone number"
			continue
		}
		in.Phones[i].Number = n
	}
	if in.IDNo = strings.TrimSpace(in.IDNo); in.IDNo != "" && !validIDNo(in.IDNo) {
		bad["id_no"] = "not a resident ID number (18 characters, the last a digit or X)"
	}
	for _, tag := range in.Tags {
		if tag == "" || len([]rune(tag)) > 20 {
			bad["tags"] = "each tag 1 to 20 characters"
		}
	}
	if len(in.Fields) > 50 {
		bad["fields"] = "at most 50 custom fields"
	}
	return bad.err()
}

// validIDNo checks an 18-character resident ID number's form and its
// ISO 7064 MOD 11-2 check character.
func validIDNo(id string) bool {
	if len(id) != 18 {
		return false
	}
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
		sum += int(id[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11] == strings.ToUpper(id[17:])[0]
}

// checkType refuses a customer type the tenant has not declared (the
// built-in "personal" and "organisation" always exist).
func (s *Service) checkType(ctx context.Context, tenant, typ string) error {
	if typ == "personal" || typ == "organisation" {
		return nil
	}
	var n int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_customer_types WHERE tenant=? AND code=?`, tenant, typ).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return FieldErrors{"type": fmt.Sprintf("no customer type %q", typ)}
	}
	return nil
}

// CreateCustomer stores a new customer with its numbers, sealed.
func (s *Service) CreateCustomer(ctx context.Context, tenant, actor string, in CustomerInput) (Customer, error) {
	var id int64
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if in.ContactID != 0 {
			if err := s.addCaller(ctx, tenant, &in); err != nil {
				return err
			}
		}
		if err := s.checkCustomer(&in); err != nil {
			return err
		}
		if err := s.checkType(ctx, tenant, in.Type); err != nil {
			return err
		}
		now := ms(s.now())
		tags, _ := json.Marshal(nonNil(in.Tags))
		fields, _ := json.Marshal(nonNilMap(in.Fields))
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_customers(tenant, name, type, vip, tags, fields, created_by, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?)`, tenant, in.Name, in.Type, in.VIP, string(tags), string(fields), actor, now, now)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if in.ContactID != 0 {
			if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_contacts SET customer_id=? WHERE id=? AND tenant=?`, id, in.ContactID, tenant); err != nil {
				return err
			}
		}
		return s.writeSealed(ctx, tenant, id, in)
	})
	if err != nil {
		return Customer{}, err
	}
	return s.Customer(ctx, tenant, id, true)
}

// addCaller adds the caller of the contact record in.ContactID to in's
// numbers (once), unsealed here and never shown.
func (s *Service) addCaller(ctx context.Context, tenant string, in *CustomerInput) error {
	var enc []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT caller_enc FROM oa_contacts WHERE id=? AND tenant=?`, in.ContactID, tenant).Scan(&enc)
	if errors.Is(err, sql.ErrNoRows) {
		return FieldErrors{"contact_id": "no such contact record"}
	}
	if err != nil {
		return err
	}
	if len(enc) == 0 {
		return FieldErrors{"contact_id": "the call has no caller number"}
	}
	n, err := s.fields.Decrypt(ctx, "oa_contacts", strconv.FormatInt(in.ContactID, 10), "caller", enc)
	if err != nil {
		return err
	}
	for _, p := range in.Phones {
		if q, _ := NormaliseCaller(p.Number, s.cfg.LocalAreaCode); q == string(n) {
			return nil
		}
	}
	in.Phones = append([]PhoneInput{{Number: string(n)}}, in.Phones...)
	return nil
}

// writeSealed (re)writes a customer's numbers and ID number.
func (s *Service) writeSealed(ctx context.Context, tenant string, id int64, in CustomerInput) error {
	q := s.db.Q(ctx)
	row := strconv.FormatInt(id, 10)
	if _, err := q.ExecContext(ctx, `DELETE FROM oa_customer_phones WHERE customer_id=?`, id); err != nil {
		return err
	}
	for _, p := range in.Phones {
		enc, err := s.fields.Encrypt(ctx, phoneTable, row, "phone", []byte(p.Number))
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO oa_customer_phones(customer_id, tenant, phone_enc, phone_bidx, masked, label) VALUES (?,?,?,?,?,?)`,
			id, tenant, enc, s.phoneIndex(p.Number), fieldcrypt.Mask(p.Number), p.Label); err != nil {
			return err
		}
	}
	var enc, bidx any
	masked := ""
	if in.IDNo != "" {
		e, err := s.fields.Encrypt(ctx, customerTable, row, "id_no", []byte(in.IDNo))
		if err != nil {
			return err
		}
		enc, bidx, masked = e, s.fields.BlindIndex("oa.id_no", []byte(in.IDNo)), fieldcrypt.MaskID(in.IDNo)
	}
	_, err := q.ExecContext(ctx, `UPDATE oa_customers SET id_no_enc=?, id_no_bidx=?, id_no_masked=? WHERE id=?`, enc, bidx, masked, id)
	return err
}

// phoneIndex is the blind index of a normalised number: customers' numbers
// and contact records' callers share it, so either finds the other.
func (s *Service) phoneIndex(normalised string) []byte {
	return s.fields.BlindIndex("oa.phone", []byte(normalised))
}

// UpdateCustomer replaces a customer's editable fields.
func (s *Service) UpdateCustomer(ctx context.Context, tenant string, id int64, in CustomerInput) (Customer, error) {
	if err := s.checkCustomer(&in); err != nil {
		return Customer{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkType(ctx, tenant, in.Type); err != nil {
			return err
		}
		tags, _ := json.Marshal(nonNil(in.Tags))
		fields, _ := json.Marshal(nonNilMap(in.Fields))
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_customers SET name=?, type=?, vip=?, tags=?, fields=?, updated_at=?
			WHERE id=? AND tenant=? AND merged_into IS NULL`, in.Name, in.Type, in.VIP, string(tags), string(fields), ms(s.now()), id, tenant)
		if err := affected(res, err, "customer"); err != nil || in.KeepNumbers {
			return err
		}
		return s.writeSealed(ctx, tenant, id, in)
	})
	if err != nil {
		return Customer{}, err
	}
	return s.Customer(ctx, tenant, id, true)
}

func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, errs.ErrNotFound)
	}
	return nil
}

// Customer reads one customer; pii decrypts its numbers for a reader who
// may see them, otherwise only masked forms are filled in.
func (s *Service) Customer(ctx context.Context, tenant string, id int64, pii bool) (Customer, error) {
	var c Customer
	var tags, fields string
	var enc []byte
	var merged sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, tenant, name, type, vip, tags, fields, id_no_enc, id_no_masked, merged_into, created_at, updated_at
		FROM oa_customers WHERE id=? AND tenant=?`, id, tenant).Scan(&c.ID, &c.Tenant, &c.Name, &c.Type, &c.VIP, &tags, &fields, &enc, &c.IDNoMasked, &merged, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, fmt.Errorf("customer %d: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return Customer{}, err
	}
	c.MergedInto = merged.Int64
	_ = json.Unmarshal([]byte(tags), &c.Tags)
	_ = json.Unmarshal([]byte(fields), &c.Fields)
	row := strconv.FormatInt(id, 10)
	if pii && enc != nil {
		pt, err := s.fields.Decrypt(ctx, customerTable, row, "id_no", enc)
		if err != nil {
			return Customer{}, err
		}
		c.IDNo = string(pt)
	}
	c.Phones, err = s.phones(ctx, id, pii)
	return c, err
}

func (s *Service) phones(ctx context.Context, id int64, pii bool) ([]Phone, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, phone_enc, masked, label FROM oa_customer_phones WHERE customer_id=? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Phone{}
	row := strconv.FormatInt(id, 10)
	for rows.Next() {
		var p Phone
		var enc []byte
		if err := rows.Scan(&p.ID, &enc, &p.Masked, &p.Label); err != nil {
			return nil, err
		}
		if pii {
			pt, err := s.fields.Decrypt(ctx, phoneTable, row, "phone", enc)
			if err != nil {
				return nil, err
			}
			p.Number = string(pt)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CustomerQuery filters a customer search.
type CustomerQuery struct {
	Name   string // prefix
	Phone  string // any form; matched by blind index
	IDNo   string
	Type   string
	Tag    string
	VIP    *bool
	Paging Paging
}

// Paging is a page of a listing.
type Paging struct {
	Limit, Offset int
	Sort          string // a column the listing allows
	Desc          bool
}

func (p Paging) clamp() Paging {
	if p.Limit <= 0 || p.Limit > 500 {
		p.Limit = 50
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// FindCustomers searches customers (masked).
func (s *Service) FindCustomers(ctx context.Context, tenant string, q CustomerQuery) ([]Customer, int, error) {
	where := []string{"c.tenant=?", "c.merged_into IS NULL"}
	args := []any{tenant}
	if q.Name != "" {
		// A range, not LIKE: it uses the name index whatever the script.
		where, args = append(where, "c.name >= ? AND c.name < ?"), append(args, q.Name, q.Name+"\U0010FFFF")
	}
	if q.Phone != "" {
		n, kind := NormaliseCaller(q.Phone, s.cfg.LocalAreaCode)
		if kind == NumberAnonymous {
			return nil, 0, FieldErrors{"phone": "not a telephone number"}
		}
		where = append(where, "c.id IN (SELECT customer_id FROM oa_customer_phones WHERE tenant=? AND phone_bidx=?)")
		args = append(args, tenant, s.phoneIndex(n))
	}
	if q.IDNo != "" {
		where, args = append(where, "c.id_no_bidx=?"), append(args, s.fields.BlindIndex("oa.id_no", []byte(strings.TrimSpace(q.IDNo))))
	}
	if q.Type != "" {
		where, args = append(where, "c.type=?"), append(args, q.Type)
	}
	if q.Tag != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value=?)"), append(args, q.Tag)
	}
	if q.VIP != nil {
		where, args = append(where, "c.vip=?"), append(args, *q.VIP)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_customers c WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	p := q.Paging.clamp()
	order, err := orderBy(p, map[string]string{"": "c.id", "id": "c.id", "name": "c.name", "created_at": "c.created_at", "updated_at": "c.updated_at"})
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT c.id FROM oa_customers c WHERE `+cond+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]Customer, 0, len(ids))
	for _, id := range ids {
		c, err := s.Customer(ctx, tenant, id, false)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, nil
}

func orderBy(p Paging, cols map[string]string) (string, error) {
	col, ok := cols[p.Sort]
	if !ok {
		return "", FieldErrors{"sort": "cannot sort by " + p.Sort}
	}
	if p.Desc {
		return " ORDER BY " + col + " DESC", nil
	}
	return " ORDER BY " + col, nil
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// MergeCustomers folds dup into keep: dup's numbers, contact records,
// tickets and follow-ups move to keep, dup is marked merged, and the audit
// log says what moved.
func (s *Service) MergeCustomers(ctx context.Context, tenant, actor string, keep, dup int64) (Customer, error) {
	if keep == dup {
		return Customer{}, FieldErrors{"duplicate": "cannot merge a customer into itself"}
	}
	var moved [4]int64
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		for _, id := range []int64{keep, dup} {
			var merged sql.NullInt64
			err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT merged_into FROM oa_customers WHERE id=? AND tenant=?`, id, tenant).Scan(&merged)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("customer %d: %w", id, errs.ErrNotFound)
			}
			if err != nil {
				return err
			}
			if merged.Valid {
				return fmt.Errorf("customer %d was merged into %d already: %w", id, merged.Int64, errs.ErrConflict)
			}
		}
		// Numbers are sealed with their customer's row id in the AAD, so
		// they are re-sealed for keep, not moved.
		dupPhones, err := s.phones(ctx, dup, true)
		if err != nil {
			return err
		}
		keepPhones, err := s.phones(ctx, keep, true)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, p := range keepPhones {
			have[p.Number] = true
		}
		row := strconv.FormatInt(keep, 10)
		for _, p := range dupPhones {
			if have[p.Number] {
				continue
			}
			enc, err := s.fields.Encrypt(ctx, phoneTable, row, "phone", []byte(p.Number))
			if err != nil {
				return err
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_customer_phones(customer_id, tenant, phone_enc, phone_bidx, masked, label) VALUES (?,?,?,?,?,?)`,
				keep, tenant, enc, s.phoneIndex(p.Number), p.Masked, p.Label); err != nil {
				return err
			}
			moved[0]++
		}
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `DELETE FROM oa_customer_phones WHERE customer_id=?`, dup); err != nil {
			return err
		}
		for i, stmt := range []string{
			`UPDATE oa_contacts SET customer_id=? WHERE customer_id=?`,
			`UPDATE oa_tickets SET customer_id=? WHERE customer_id=?`,
			`UPDATE oa_followups SET customer_id=? WHERE customer_id=?`,
		} {
			res, err := q.ExecContext(ctx, stmt, keep, dup)
			if err != nil {
				return err
			}
			moved[i+1], _ = res.RowsAffected()
		}
		_, err = q.ExecContext(ctx, `UPDATE oa_customers SET merged_into=?, updated_at=? WHERE id=?`, keep, ms(s.now()), dup)
		return err
	})
	if err != nil {
		return Customer{}, err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.customer.merge", Target: fmt.Sprintf("customer/%d", keep),
		Detail: fmt.Sprintf("merged customer %d: %d numbers, %d contact records, %d tickets, %d follow-ups", dup, moved[0], moved[1], moved[2], moved[3])})
	return s.Customer(ctx, tenant, keep, false)
}

// Followup is a note on a customer.
type Followup struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Author     string `json:"author"`
	Note       string `json:"note"`
	DueAt      int64  `json:"due_at,omitempty"`
	CreatedAt  int64  `json:"created_at"`
}

// AddFollowup records a follow-up on a customer.
func (s *Service) AddFollowup(ctx context.Context, tenant, actor string, customer int64, note string, due int64) (Followup, error) {
	if note = strings.TrimSpace(note); note == "" || len([]rune(note)) > 2000 {
		return Followup{}, FieldErrors{"note": "required, at most 2000 characters"}
	}
	if _, err := s.Customer(ctx, tenant, customer, false); err != nil {
		return Followup{}, err
	}
	f := Followup{CustomerID: customer, Author: actor, Note: note, DueAt: due, CreatedAt: ms(s.now())}
	var dueArg any
	if due > 0 {
		dueArg = due
	}
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_followups(customer_id, tenant, author, note, due_at, created_at) VALUES (?,?,?,?,?,?)`,
		customer, tenant, actor, note, dueArg, f.CreatedAt)
	if err != nil {
		return Followup{}, err
	}
	f.ID, err = res.LastInsertId()
	return f, err
}

// Followups lists a customer's follow-ups, newest first.
func (s *Service) Followups(ctx context.Context, tenant string, customer int64) ([]Followup, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, customer_id, author, note, IFNULL(due_at,0), created_at FROM oa_followups
		WHERE tenant=? AND customer_id=? ORDER BY created_at DESC, id DESC`, tenant, customer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Followup{}
	for rows.Next() {
		var f Followup
		if err := rows.Scan(&f.ID, &f.CustomerID, &f.Author, &f.Note, &f.DueAt, &f.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// CustomerType is a tenant's kind of customer with its custom fields.
type CustomerType struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	Fields []string `json:"fields"`
}

// PutCustomerType declares or changes a customer type.
func (s *Service) PutCustomerType(ctx context.Context, tenant string, t CustomerType) error {
	bad := FieldErrors{}
	if t.Code == "" || len(t.Code) > 32 {
		bad["code"] = "required, at most 32 characters"
	}
	if strings.TrimSpace(t.Name) == "" {
		bad["name"] = "required"
	}
	if err := bad.err(); err != nil {
		return err
	}
	f, _ := json.Marshal(nonNil(t.Fields))
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_customer_types(tenant, code, name, fields) VALUES (?,?,?,?)
		ON CONFLICT(tenant, code) DO UPDATE SET name=excluded.name, fields=excluded.fields`, tenant, t.Code, t.Name, string(f))
	return err
}

// CustomerTypes lists a tenant's customer types, the built-in ones first.
func (s *Service) CustomerTypes(ctx context.Context, tenant string) ([]CustomerType, error) {
	out := []CustomerType{{Code: "personal", Name: "个人", Fields: []string{}}, {Code: "organisation", Name: "单位", Fields: []string{}}}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT code, name, fields FROM oa_customer_types WHERE tenant=? ORDER BY code`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t CustomerType
		var f string
		if err := rows.Scan(&t.Code, &t.Name, &f); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(f), &t.Fields)
		out = append(out, t)
	}
	return out, rows.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
