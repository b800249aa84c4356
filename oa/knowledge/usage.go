package knowledge

import (
	"context"
	"math"
)

// Heat is 知识热度: max(0, views + 5·helpful − 3·unhelpful). A vote says
// more than a view; an unhelpful vote takes back a little.
func Heat(views, helpful, unhelpful int64) float64 {
	return math.Max(0, float64(views+5*helpful-3*unhelpful))
}

// popularity is the factor heat multiplies a search score by:
// 1 + 0.1·ln(1 + heat), so popularity orders near-equal matches without
// lifting a weak match over a strong one (heat 1000 gives ×1.69).
func popularity(heat float64) float64 { return 1 + 0.1*math.Log1p(heat) }

// View reads a live article for v and counts the view.
func (s *Service) View(ctx context.Context, tenant string, v Viewer, id int64) (Article, error) {
	var a Article
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if a, err = s.Article(ctx, tenant, Viewer{UserID: v.UserID, Department: v.Department}, id); err != nil {
			return err
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_articles SET views=views+1 WHERE id=?`, id); err != nil {
			return err
		}
		s.refreshRanks(ctx, id)
		a.Views++
		a.Heat = Heat(a.Views, a.Helpful, a.Unhelpful)
		return nil
	})
	return a, err
}

// Vote records v's "helpful" (or not) on a live article they read; a
// second vote replaces the first.
func (s *Service) Vote(ctx context.Context, tenant string, v Viewer, id int64, helpful bool) (Article, error) {
	var a Article
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Article(ctx, tenant, Viewer{UserID: v.UserID, Department: v.Department}, id); err != nil {
			return err
		}
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `INSERT INTO kb_votes(article_id, user_id, helpful, at) VALUES (?,?,?,?)
			ON CONFLICT(article_id, user_id) DO UPDATE SET helpful=excluded.helpful, at=excluded.at`, id, v.UserID, helpful, ms(s.now())); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE kb_articles SET helpful=(SELECT COUNT(*) FROM kb_votes WHERE article_id=? AND helpful=1),
			unhelpful=(SELECT COUNT(*) FROM kb_votes WHERE article_id=? AND helpful=0) WHERE id=?`, id, id, id); err != nil {
			return err
		}
		s.refreshRanks(ctx, id)
		var err error
		a, err = s.Article(ctx, tenant, Viewer{All: true}, id)
		a.Pending = nil
		return err
	})
	return a, err
}
