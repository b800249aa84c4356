package knowledge

import (
	"context"
	"fmt"
	"strings"

	"github.com/yimen/yimen/oa"
)

// maxSynonymRunes bounds a synonym term (and so the look-ahead of the
// query's synonym scan).
const maxSynonymRunes = 20

// SetSynonyms replaces a tenant's synonym groups: each group is a set of
// terms that find each other ("彩票站", "投注站", "彩票站点"). A term
// belongs to one group.
func (s *Service) SetSynonyms(ctx context.Context, tenant string, groups [][]string) error {
	seen := map[string]int{}
	bad := oa.FieldErrors{}
	clean := make([][]string, 0, len(groups))
	for i, g := range groups {
		var terms []string
		for _, t := range g {
			t = normalise(strings.TrimSpace(t))
			if t == "" {
				continue
			}
			if n := len([]rune(t)); n > maxSynonymRunes {
				bad[fmt.Sprintf("groups[%d]", i)] = fmt.Sprintf("%q: at most %d characters", t, maxSynonymRunes)
				continue
			}
			if j, dup := seen[t]; dup {
				if j != i {
					bad[fmt.Sprintf("groups[%d]", i)] = fmt.Sprintf("%q is already in group %d", t, j)
				}
				continue
			}
			seen[t] = i
			terms = append(terms, t)
		}
		if len(terms) >= 2 {
			clean = append(clean, terms)
		}
	}
	if len(groups) > 5000 {
		bad["groups"] = "at most 5000"
	}
	if err := check(bad); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM kb_synonyms WHERE tenant=?`, tenant); err != nil {
			return err
		}
		for i, g := range clean {
			for _, t := range g {
				if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_synonyms(tenant, group_id, term) VALUES (?,?,?)`, tenant, i+1, t); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Synonyms lists a tenant's synonym groups.
func (s *Service) Synonyms(ctx context.Context, tenant string) ([][]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT group_id, term FROM kb_synonyms WHERE tenant=? ORDER BY group_id, rowid`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]string{}
	last := int64(-1)
	for rows.Next() {
		var g int64
		var t string
		if err := rows.Scan(&g, &t); err != nil {
			return nil, err
		}
		if g != last {
			out = append(out, nil)
			last = g
		}
		out[len(out)-1] = append(out[len(out)-1], t)
	}
	return out, rows.Err()
}

// synonymSet is a tenant's groups by term, for one query.
type synonymSet map[string][]string

func (s *Service) synonymSet(ctx context.Context, tenant string) (synonymSet, error) {
	groups, err := s.Synonyms(ctx, tenant)
	if err != nil {
		return nil, err
	}
	set := synonymSet{}
	for _, g := range groups {
		for _, t := range g {
			set[t] = g
		}
	}
	return set, nil
}

// longest is the longest synonym term that rs starts with.
func (set synonymSet) longest(rs []rune) (string, bool) {
	for n := min(len(rs), maxSynonymRunes); n >= 2; n-- {
		if _, ok := set[string(rs[:n])]; ok {
			return string(rs[:n]), true
		}
	}
	return "", false
}
