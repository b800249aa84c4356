package knowledge

import (
	"context"

	"github.com/yimen/yimen/oa"
)

var _ oa.CardArticles = (*Service)(nil)

// CardArticles lists, for the screen pop, the live articles answering the
// caller's open tickets' categories that department reads, most popular
// first: ForCategories as a reader of that department.
func (s *Service) CardArticles(ctx context.Context, tenant string, department int64, categories []int64, limit int) ([]oa.CardArticle, error) {
	list, err := s.ForCategories(ctx, tenant, Viewer{Department: department}, categories, limit)
	if err != nil {
		return nil, err
	}
	out := make([]oa.CardArticle, 0, len(list))
	for _, a := range list {
		out = append(out, oa.CardArticle{ID: a.ID, Title: a.Title, Heat: a.Heat})
	}
	return out, nil
}
