package oa

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// SavedQuery is a user's named search (综合查询): the listing it runs on
// and its query string, as the API takes it.
type SavedQuery struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Target string `json:"target"` // tickets, contacts or customers
	Query  string `json:"query"`  // "view=mine&state=handling"
}

var queryTargets = map[string]bool{"tickets": true, "contacts": true, "customers": true}

// SaveQuery stores (or replaces by name) a user's query.
func (s *Service) SaveQuery(ctx context.Context, tenant, user string, q SavedQuery) (SavedQuery, error) {
	bad := FieldErrors{}
	if q.Name = strings.TrimSpace(q.Name); q.Name == "" || len([]rune(q.Name)) > 60 {
		bad["name"] = "required, at most 60 characters"
	}
	if !queryTargets[q.Target] {
		bad["target"] = "tickets, contacts or customers"
	}
	if _, err := url.ParseQuery(q.Query); err != nil || len(q.Query) > 2000 {
		bad["query"] = "a URL query string of at most 2000 bytes"
	}
	if err := bad.err(); err != nil {
		return SavedQuery{}, err
	}
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO oa_saved_queries(tenant, user_id, name, target, query) VALUES (?,?,?,?,?)
		ON CONFLICT(tenant, user_id, name) DO UPDATE SET target=excluded.target, query=excluded.query RETURNING id`,
		tenant, user, q.Name, q.Target, q.Query).Scan(&q.ID)
	return q, err
}

// SavedQueries lists a user's queries by name.
func (s *Service) SavedQueries(ctx context.Context, tenant, user string) ([]SavedQuery, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, name, target, query FROM oa_saved_queries WHERE tenant=? AND user_id=? ORDER BY name`, tenant, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SavedQuery{}
	for rows.Next() {
		var q SavedQuery
		if err := rows.Scan(&q.ID, &q.Name, &q.Target, &q.Query); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// DeleteQuery removes one of a user's queries.
func (s *Service) DeleteQuery(ctx context.Context, tenant, user string, id int64) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM oa_saved_queries WHERE id=? AND tenant=? AND user_id=?`, id, tenant, user)
	if err := affected(res, err, "saved query"); err != nil {
		return fmt.Errorf("saved query %d: %w", id, errs.ErrNotFound)
	}
	return nil
}
