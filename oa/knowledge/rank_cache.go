package knowledge

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
)

// rankInfo is what a search needs of a published article besides its
// postings: where it is, when it is live, how popular it is.
type rankInfo struct {
	base, updated             int64
	effective, expires        int64 // 0: none
	views, helpful, unhelpful int64
}

// liveAt reports whether the article is between its dates at now (ms).
func (r rankInfo) liveAt(now int64) bool {
	return (r.effective == 0 || r.effective <= now) && (r.expires == 0 || r.expires > now)
}

// rankCache holds, per tenant, the rankInfo of every published article.
// A search of common words matches tens of thousands of articles; reading
// each one's row (which carries its body) to check its base and dates
// and to weigh its popularity was most of a search's time at 100 000
// articles. The cache is loaded on a tenant's first search and kept
// exact by refresh, which every transaction that changes what it holds
// (indexing, views, votes, an edit's updated_at) calls once it commits.
type rankCache struct {
	mu      sync.RWMutex
	loading int                            // loads under way
	missed  []int64                        // articles refreshed while loads were under way
	tenants map[string]map[int64]*rankInfo // an entry is never changed, only replaced
}

const (
	rankCols = `id, tenant, base_id, updated_at, IFNULL(effective_at, 0), IFNULL(expires_at, 0), views, helpful, unhelpful`
	ranksSQL = `SELECT ` + rankCols + ` FROM kb_articles WHERE tenant=? AND published_version>0`
)

func scanRank(rows *sql.Rows) (int64, string, rankInfo, error) {
	var id int64
	var tenant string
	var r rankInfo
	err := rows.Scan(&id, &tenant, &r.base, &r.updated, &r.effective, &r.expires, &r.views, &r.helpful, &r.unhelpful)
	return id, tenant, r, err
}

// withRanks calls fn with the tenant's published articles' rankInfo: the
// map only during the call; an entry, which is never changed, for as long
// as the caller likes.
func (s *Service) withRanks(ctx context.Context, tenant string, fn func(map[int64]*rankInfo)) error {
	c := &s.ranks
	c.mu.RLock()
	if m, ok := c.tenants[tenant]; ok {
		defer c.mu.RUnlock()
		fn(m)
		return nil
	}
	c.mu.RUnlock()
	c.mu.Lock()
	c.loading++
	mark := len(c.missed)
	c.mu.Unlock()
	m, err := s.loadRanks(ctx, tenant)
	c.mu.Lock()
	defer c.mu.Unlock()
	// The articles a commit changed while the table was read may be in
	// it as they were before: read them again.
	missed := c.missed[mark:]
	c.loading--
	if c.loading == 0 {
		c.missed = nil
	}
	if err == nil {
		err = s.rereadRanks(ctx, missed, map[string]map[int64]*rankInfo{tenant: m})
	}
	if err != nil {
		return err
	}
	if kept, ok := c.tenants[tenant]; ok { // another search loaded it first
		m = kept
	} else {
		if c.tenants == nil {
			c.tenants = map[string]map[int64]*rankInfo{}
		}
		c.tenants[tenant] = m
	}
	fn(m)
	return nil
}

func (s *Service) loadRanks(ctx context.Context, tenant string) (map[int64]*rankInfo, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, ranksSQL, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]*rankInfo{}
	var block []rankInfo // allocated a thousand at a time
	for rows.Next() {
		id, _, r, err := scanRank(rows)
		if err != nil {
			return nil, err
		}
		if len(block) == cap(block) {
			block = make([]rankInfo, 0, 1000)
		}
		block = append(block, r)
		m[id] = &block[len(block)-1]
	}
	return m, rows.Err()
}

// refreshRanks re-reads the articles ids into the cache once the
// transaction ctx carries commits. The read happens under the cache's
// lock, so of two refreshes of one article the later read is applied
// last, and a load under way learns of it.
func (s *Service) refreshRanks(ctx context.Context, ids ...int64) {
	if len(ids) == 0 {
		return
	}
	ids = slices.Clone(ids)
	s.db.AfterCommit(ctx, func() {
		c := &s.ranks
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.loading > 0 {
			c.missed = append(c.missed, ids...)
		}
		if len(c.tenants) == 0 {
			return
		}
		// The transaction is over, and its context would still carry it.
		bg := context.Background()
		if err := s.rereadRanks(bg, ids, c.tenants); err != nil {
			// The next search reloads from the table.
			s.log.WarnContext(bg, "knowledge rank cache dropped", "err", err)
			clear(c.tenants)
		}
	})
}

// rereadRanks replaces the articles ids in the tenants' maps with what
// the table holds now (removing those no longer published).
func (s *Service) rereadRanks(ctx context.Context, ids []int64, tenants map[string]map[int64]*rankInfo) error {
	for chunk := range slices.Chunk(ids, 500) {
		for _, m := range tenants {
			for _, id := range chunk {
				delete(m, id)
			}
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+rankCols+` FROM kb_articles WHERE published_version>0 AND id IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`, int64Args(chunk)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			id, tenant, r, err := scanRank(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if m, ok := tenants[tenant]; ok {
				m[id] = &r
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
