package campaign

import (
	"context"
	"strings"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/oa"
)

// DNCEntry is a number on the do-not-call list (masked).
type DNCEntry struct {
	Phone   string `json:"phone"`
	Reason  string `json:"reason,omitempty"`
	AddedBy string `json:"added_by"`
	AddedAt int64  `json:"added_at"`
}

// onDNC reports whether a number (by its blind index) may not be called.
func (s *Service) onDNC(ctx context.Context, tenant string, bidx []byte) (bool, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_dnc WHERE tenant=? AND phone_bidx=?`, tenant, bidx).Scan(&n)
	return n > 0, err
}

// AddDNC puts a number on the tenant's do-not-call list: no campaign
// imports it or dials it from then on, whatever list it is already on.
// Only its blind index and masked form are kept.
func (s *Service) AddDNC(ctx context.Context, tenant, actor, phone, reason string) (DNCEntry, error) {
	n, err := s.number(phone)
	if err != nil {
		return DNCEntry{}, oa.FieldErrors{"phone": err.Error()}
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 200 {
		return DNCEntry{}, oa.FieldErrors{"reason": "at most 200 characters"}
	}
	e := DNCEntry{Phone: fieldcrypt.Mask(n), Reason: reason, AddedBy: actor, AddedAt: ms(s.now())}
	if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_dnc(tenant, phone_bidx, phone_masked, reason, added_by, added_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT(tenant, phone_bidx) DO UPDATE SET reason=excluded.reason`, tenant, s.oa.PhoneIndex(n), e.Phone, reason, actor, e.AddedAt); err != nil {
		return DNCEntry{}, err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.dnc.add", Target: "dnc/" + e.Phone, Detail: reason})
	return e, nil
}

// RemoveDNC takes a number off the list.
func (s *Service) RemoveDNC(ctx context.Context, tenant, actor, phone string) error {
	n, err := s.number(phone)
	if err != nil {
		return oa.FieldErrors{"phone": err.Error()}
	}
	res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM oa_dnc WHERE tenant=? AND phone_bidx=?`, tenant, s.oa.PhoneIndex(n))
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return oa.FieldErrors{"phone": "not on the do-not-call list"}
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.dnc.remove", Target: "dnc/" + fieldcrypt.Mask(n)})
	return nil
}

// DNC lists the tenant's do-not-call list, newest first.
func (s *Service) DNC(ctx context.Context, tenant string, limit, offset int) ([]DNCEntry, int, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_dnc WHERE tenant=?`, tenant).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT phone_masked, reason, added_by, added_at FROM oa_dnc WHERE tenant=? ORDER BY added_at DESC LIMIT ? OFFSET ?`,
		tenant, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []DNCEntry{}
	for rows.Next() {
		var e DNCEntry
		if err := rows.Scan(&e.Phone, &e.Reason, &e.AddedBy, &e.AddedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
