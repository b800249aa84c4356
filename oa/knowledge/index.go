package knowledge

import (
	"context"
	"encoding/json"
	"strings"
)

// Indexed fields, and their weight in the ranking: a title match counts
// three times a body match, a tag twice.
const (
	fieldTitle = 0
	fieldBody  = 1
	fieldTags  = 2
)

func fieldWeight(field int) float64 {
	switch field {
	case fieldTitle:
		return 3
	case fieldTags:
		return 2
	}
	return 1
}

// index replaces an article's postings with its published text's.
func (s *Service) index(ctx context.Context, id int64) error {
	var title, body, tagsJSON string
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT title, body_text, tags FROM kb_articles WHERE id=?`, id).Scan(&title, &body, &tagsJSON); err != nil {
		return err
	}
	var tags []string
	_ = json.Unmarshal([]byte(tagsJSON), &tags)
	if err := s.unindex(ctx, id); err != nil {
		return err
	}
	q := s.db.Q(ctx)
	lens := [3]int{}
	// Postings go in as multi-row INSERTs: an article has a few hundred.
	const perInsert = 200
	var sqlb strings.Builder
	args := make([]any, 0, 4*perInsert)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := q.ExecContext(ctx, sqlb.String(), args...)
		sqlb.Reset()
		args = args[:0]
		return err
	}
	distinct := map[string]bool{"": true}
	for field, text := range [3]string{fieldTitle: title, fieldBody: body, fieldTags: strings.Join(tags, " ")} {
		counts := map[string]int{}
		ts := terms(s.seg, text)
		lens[field] = len(ts)
		for _, t := range ts {
			counts[t]++
		}
		for t, n := range counts {
			distinct[t] = true
			if len(args) == 0 {
				sqlb.WriteString(`INSERT INTO kb_postings(term, article_id, field, tf) VALUES (?,?,?,?)`)
			} else {
				sqlb.WriteString(`,(?,?,?,?)`)
			}
			args = append(args, t, id, field, n)
			if len(args) == 4*perInsert {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := s.countTerms(ctx, distinct, 1); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO kb_doclen(article_id, title_len, body_len) VALUES (?,?,?)`, id, lens[fieldTitle], lens[fieldBody])
	return err
}

// countTerms adds delta to the document frequency of each term.
func (s *Service) countTerms(ctx context.Context, terms map[string]bool, delta int) error {
	var sqlb strings.Builder
	args := make([]any, 0, 400)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		sqlb.WriteString(` ON CONFLICT(term) DO UPDATE SET df=df+excluded.df`)
		_, err := s.db.Q(ctx).ExecContext(ctx, sqlb.String(), args...)
		sqlb.Reset()
		args = args[:0]
		return err
	}
	for t := range terms {
		if len(args) == 0 {
			sqlb.WriteString(`INSERT INTO kb_terms(term, df) VALUES (?,?)`)
		} else {
			sqlb.WriteString(`,(?,?)`)
		}
		args = append(args, t, delta)
		if len(args) == 400 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func (s *Service) unindex(ctx context.Context, id int64) error {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT DISTINCT term FROM kb_postings WHERE article_id=?`, id)
	if err != nil {
		return err
	}
	had := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		had[t] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(had) > 0 {
		had[""] = true
		if err := s.countTerms(ctx, had, -1); err != nil {
			return err
		}
	}
	if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM kb_postings WHERE article_id=?`, id); err != nil {
		return err
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `DELETE FROM kb_doclen WHERE article_id=?`, id)
	return err
}

// Reindex rebuilds a tenant's index (after the segmenter's dictionary
// came in, or an upgrade that changes how text is cut).
func (s *Service) Reindex(ctx context.Context, tenant string) (int, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id FROM kb_articles WHERE tenant=? AND published_version>0`, tenant)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.db.InTx(ctx, func(ctx context.Context) error { return s.index(ctx, id) }); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
