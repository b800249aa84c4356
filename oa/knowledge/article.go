package knowledge

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/microcosm-cc/bluemonday"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// Version states.
const (
	StateDraft      = "draft"
	StateReview     = "review"
	StatePublished  = "published"
	StateRejected   = "rejected"
	StateSuperseded = "superseded"
)

// ArticleInput is what an editor writes: a new version's content.
type ArticleInput struct {
	BaseID      int64    `json:"base_id"`
	DirID       int64    `json:"dir_id,omitempty"`
	CategoryID  int64    `json:"category_id,omitempty"` // the ticket category it answers
	Title       string   `json:"title"`
	BodyHTML    string   `json:"body_html"` // sanitised on input: scripts, handlers and foreign frames are dropped
	Tags        []string `json:"tags,omitempty"`
	EffectiveAt int64    `json:"effective_at,omitempty"` // ms; 0: at once
	ExpiresAt   int64    `json:"expires_at,omitempty"`   // ms; 0: never
	Note        string   `json:"note,omitempty"`         // what changed, for the reviewer
}

// Article is an article with its published content and usage.
type Article struct {
	ID               int64    `json:"id"`
	BaseID           int64    `json:"base_id"`
	DirID            int64    `json:"dir_id,omitempty"`
	CategoryID       int64    `json:"category_id,omitempty"`
	Title            string   `json:"title"`
	BodyHTML         string   `json:"body_html"`
	Tags             []string `json:"tags"`
	PublishedVersion int      `json:"published_version"`
	EffectiveAt      int64    `json:"effective_at,omitempty"`
	ExpiresAt        int64    `json:"expires_at,omitempty"`
	Views            int64    `json:"views"`
	Helpful          int64    `json:"helpful"`
	Unhelpful        int64    `json:"unhelpful"`
	Heat             float64  `json:"heat"` // 知识热度 (docs/oa.md gives the formula)
	Author           string   `json:"author"`
	CreatedAt        int64    `json:"created_at"`
	UpdatedAt        int64    `json:"updated_at"`
	PublishedAt      int64    `json:"published_at,omitempty"`
	Pending          *Version `json:"pending,omitempty"` // the draft or version in review, to editors
}

// Version is one version of an article.
type Version struct {
	ArticleID   int64    `json:"article_id"`
	Version     int      `json:"version"`
	Title       string   `json:"title"`
	BodyHTML    string   `json:"body_html"`
	Tags        []string `json:"tags"`
	EffectiveAt int64    `json:"effective_at,omitempty"`
	ExpiresAt   int64    `json:"expires_at,omitempty"`
	State       string   `json:"state"`
	Editor      string   `json:"editor"`
	Reviewer    string   `json:"reviewer,omitempty"`
	Note        string   `json:"note,omitempty"`
	CreatedAt   int64    `json:"created_at"`
	ReviewedAt  int64    `json:"reviewed_at,omitempty"`
}

// sanitiser keeps an article's rich text to what user content may hold.
type sanitiser struct {
	rich  *bluemonday.Policy
	plain *bluemonday.Policy
}

func newSanitiser() sanitiser {
	rich := bluemonday.UGCPolicy()
	rich.AllowAttrs("class").OnElements("span", "p", "div", "table", "td", "th", "code", "pre")
	return sanitiser{rich: rich, plain: bluemonday.StrictPolicy()}
}

// text is the searchable text of sanitised HTML: tags dropped, entities
// decoded, block ends kept as spaces so words do not run together.
func (z sanitiser) text(h string) string {
	r := strings.NewReplacer("</p>", "</p> ", "<br>", " ", "<br/>", " ", "</li>", "</li> ", "</div>", "</div> ", "</td>", "</td> ", "</h1>", "</h1> ", "</h2>", "</h2> ", "</h3>", "</h3> ")
	t := html.UnescapeString(z.plain.Sanitize(r.Replace(h)))
	return strings.Join(strings.Fields(t), " ")
}

func (s *Service) validate(in *ArticleInput) error {
	in.Title = strings.TrimSpace(in.Title)
	bad := oa.FieldErrors{}
	if in.Title == "" || len([]rune(in.Title)) > 200 {
		bad["title"] = "required, at most 200 characters"
	}
	if len(in.BodyHTML) > s.cfg.MaxBody {
		bad["body_html"] = fmt.Sprintf("at most %d bytes", s.cfg.MaxBody)
	}
	if in.BaseID <= 0 {
		bad["base_id"] = "required"
	}
	if len(in.Tags) > 20 {
		bad["tags"] = "at most 20"
	}
	for i, t := range in.Tags {
		in.Tags[i] = strings.TrimSpace(t)
		if in.Tags[i] == "" || len([]rune(in.Tags[i])) > 30 {
			bad["tags"] = "each 1 to 30 characters"
		}
	}
	if in.EffectiveAt < 0 || in.ExpiresAt < 0 || (in.ExpiresAt != 0 && in.ExpiresAt <= in.EffectiveAt) {
		bad["expires_at"] = "after effective_at"
	}
	if len(in.Note) > 500 {
		bad["note"] = "at most 500 bytes"
	}
	if in.Tags == nil {
		in.Tags = []string{}
	}
	in.BodyHTML = s.san.rich.Sanitize(in.BodyHTML)
	return check(bad)
}

// CreateArticle starts an article with its first version, a draft.
func (s *Service) CreateArticle(ctx context.Context, tenant, editor string, in ArticleInput) (Article, error) {
	if err := s.validate(&in); err != nil {
		return Article{}, err
	}
	var id int64
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var n int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_bases WHERE id=? AND tenant=?`, in.BaseID, tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return oa.FieldErrors{"base_id": "no such base"}
		}
		if err := s.dirInBase(ctx, in.BaseID, in.DirID); err != nil {
			return err
		}
		now := ms(s.now())
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_articles(tenant, base_id, dir_id, category_id, author, created_at, updated_at) VALUES (?,?,?,?,?,?,?)`,
			tenant, in.BaseID, nullMS(in.DirID), nullMS(in.CategoryID), editor, now, now)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return s.insertVersion(ctx, id, 1, in, editor)
	})
	if err != nil {
		return Article{}, err
	}
	return s.Article(ctx, tenant, Viewer{All: true}, id)
}

func (s *Service) insertVersion(ctx context.Context, id int64, v int, in ArticleInput, editor string) error {
	tags, _ := json.Marshal(in.Tags)
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_versions(article_id, version, title, body_html, tags, effective_at, expires_at, state, editor, note, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, id, v, in.Title, in.BodyHTML, string(tags), nullMS(in.EffectiveAt), nullMS(in.ExpiresAt), StateDraft, editor, in.Note, ms(s.now()))
	return err
}

// latest is an article's newest version number and state.
func (s *Service) latest(ctx context.Context, tenant string, id int64) (int, string, error) {
	var v int
	var state string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT v.version, v.state FROM kb_versions v JOIN kb_articles a ON a.id=v.article_id
		WHERE a.id=? AND a.tenant=? ORDER BY v.version DESC LIMIT 1`, id, tenant).Scan(&v, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("article %d: %w", id, errs.ErrNotFound)
	}
	return v, state, err
}

// UpdateArticle writes a new draft: the open draft is replaced, otherwise
// a new version starts (the published one stays live until it is
// replaced through review). A version in review cannot be edited.
func (s *Service) UpdateArticle(ctx context.Context, tenant, editor string, id int64, in ArticleInput) (Article, error) {
	if err := s.validate(&in); err != nil {
		return Article{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var base int64
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT base_id FROM kb_articles WHERE id=? AND tenant=?`, id, tenant).Scan(&base); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("article %d: %w", id, errs.ErrNotFound)
			}
			return err
		}
		if in.BaseID != base {
			return oa.FieldErrors{"base_id": "an article stays in its base"}
		}
		if err := s.dirInBase(ctx, base, in.DirID); err != nil {
			return err
		}
		v, state, err := s.latest(ctx, tenant, id)
		if err != nil {
			return err
		}
		switch state {
		case StateReview:
			return fmt.Errorf("version %d is in review: %w", v, errs.ErrConflict)
		case StateDraft:
			if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM kb_versions WHERE article_id=? AND version=?`, id, v); err != nil {
				return err
			}
		default:
			v++
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_articles SET dir_id=?, category_id=?, updated_at=? WHERE id=?`,
			nullMS(in.DirID), nullMS(in.CategoryID), ms(s.now()), id); err != nil {
			return err
		}
		s.refreshRanks(ctx, id)
		return s.insertVersion(ctx, id, v, in, editor)
	})
	if err != nil {
		return Article{}, err
	}
	return s.Article(ctx, tenant, Viewer{All: true}, id)
}

// Submit sends an article's draft to review.
func (s *Service) Submit(ctx context.Context, tenant, editor string, id int64) (Version, error) {
	var out Version
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		v, state, err := s.latest(ctx, tenant, id)
		if err != nil {
			return err
		}
		if state != StateDraft {
			return fmt.Errorf("no draft to submit (version %d is %s): %w", v, state, errs.ErrConflict)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_versions SET state=? WHERE article_id=? AND version=?`, StateReview, id, v); err != nil {
			return err
		}
		out, err = s.version(ctx, id, v)
		return err
	})
	return out, err
}

// ErrOwnReview refuses an editor's approval of their own version: 审核 is
// a second person's.
var ErrOwnReview = fmt.Errorf("a version is reviewed by someone other than its editor: %w", errs.ErrForbidden)

// Review approves (publishes) or rejects the version in review. Publishing
// replaces the live content, supersedes the previous version and
// re-indexes the article, in one transaction.
func (s *Service) Review(ctx context.Context, tenant, reviewer string, id int64, approve bool, note string) (Version, error) {
	if len(note) > 500 {
		return Version{}, oa.FieldErrors{"note": "at most 500 bytes"}
	}
	var out Version
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		v, state, err := s.latest(ctx, tenant, id)
		if err != nil {
			return err
		}
		if state != StateReview {
			return fmt.Errorf("no version in review (version %d is %s): %w", v, state, errs.ErrConflict)
		}
		ver, err := s.version(ctx, id, v)
		if err != nil {
			return err
		}
		if ver.Editor == reviewer {
			return ErrOwnReview
		}
		now := ms(s.now())
		to := StateRejected
		if approve {
			to = StatePublished
		}
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `UPDATE kb_versions SET state=?, reviewer=?, reviewed_at=?, note=CASE WHEN ?<>'' THEN ? ELSE note END WHERE article_id=? AND version=?`,
			to, reviewer, now, note, note, id, v); err != nil {
			return err
		}
		if approve {
			if _, err := q.ExecContext(ctx, `UPDATE kb_versions SET state=? WHERE article_id=? AND state=? AND version<>?`, StateSuperseded, id, StatePublished, v); err != nil {
				return err
			}
			tags, _ := json.Marshal(ver.Tags)
			if _, err := q.ExecContext(ctx, `UPDATE kb_articles SET title=?, body_html=?, body_text=?, tags=?, published_version=?, effective_at=?, expires_at=?,
				updated_at=?, published_at=? WHERE id=?`, ver.Title, ver.BodyHTML, s.san.text(ver.BodyHTML), string(tags), v,
				nullMS(ver.EffectiveAt), nullMS(ver.ExpiresAt), now, now, id); err != nil {
				return err
			}
			if err := s.index(ctx, id); err != nil {
				return err
			}
		}
		out, err = s.version(ctx, id, v)
		return err
	})
	return out, err
}

// Unpublish takes an article out of search and reading (下架); its
// versions stay.
func (s *Service) Unpublish(ctx context.Context, tenant string, id int64) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_articles SET published_version=0, updated_at=? WHERE id=? AND tenant=?`, ms(s.now()), id, tenant)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("article %d: %w", id, errs.ErrNotFound)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_versions SET state=? WHERE article_id=? AND state=?`, StateSuperseded, id, StatePublished); err != nil {
			return err
		}
		return s.unindex(ctx, id)
	})
}

func (s *Service) version(ctx context.Context, id int64, v int) (Version, error) {
	vs, err := s.versions(ctx, `WHERE article_id=? AND version=?`, id, v)
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 {
		return Version{}, fmt.Errorf("article %d version %d: %w", id, v, errs.ErrNotFound)
	}
	return vs[0], nil
}

// Versions lists an article's versions, newest first.
func (s *Service) Versions(ctx context.Context, tenant string, id int64) ([]Version, error) {
	if _, _, err := s.latest(ctx, tenant, id); err != nil {
		return nil, err
	}
	return s.versions(ctx, `WHERE article_id=? ORDER BY version DESC`, id)
}

// ReviewQueue lists the versions waiting for review in a tenant.
func (s *Service) ReviewQueue(ctx context.Context, tenant string) ([]Version, error) {
	return s.versions(ctx, `WHERE state='review' AND article_id IN (SELECT id FROM kb_articles WHERE tenant=?) ORDER BY created_at`, tenant)
}

func (s *Service) versions(ctx context.Context, where string, args ...any) ([]Version, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT article_id, version, title, body_html, tags, IFNULL(effective_at,0), IFNULL(expires_at,0), state, editor, reviewer, note,
		created_at, IFNULL(reviewed_at,0) FROM kb_versions `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var tags string
		if err := rows.Scan(&v.ArticleID, &v.Version, &v.Title, &v.BodyHTML, &tags, &v.EffectiveAt, &v.ExpiresAt, &v.State, &v.Editor, &v.Reviewer, &v.Note,
			&v.CreatedAt, &v.ReviewedAt); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(tags), &v.Tags)
		out = append(out, v)
	}
	return out, rows.Err()
}

const articleCols = `a.id, a.base_id, IFNULL(a.dir_id,0), IFNULL(a.category_id,0), a.title, a.body_html, a.tags, a.published_version,
	IFNULL(a.effective_at,0), IFNULL(a.expires_at,0), a.views, a.helpful, a.unhelpful, a.author, a.created_at, a.updated_at, IFNULL(a.published_at,0)`

func scanArticle(sc interface{ Scan(...any) error }) (Article, error) {
	var a Article
	var tags string
	err := sc.Scan(&a.ID, &a.BaseID, &a.DirID, &a.CategoryID, &a.Title, &a.BodyHTML, &tags, &a.PublishedVersion, &a.EffectiveAt, &a.ExpiresAt,
		&a.Views, &a.Helpful, &a.Unhelpful, &a.Author, &a.CreatedAt, &a.UpdatedAt, &a.PublishedAt)
	if err != nil {
		return a, err
	}
	_ = json.Unmarshal([]byte(tags), &a.Tags)
	if a.Tags == nil {
		a.Tags = []string{}
	}
	a.Heat = Heat(a.Views, a.Helpful, a.Unhelpful)
	return a, nil
}

// live is the SQL condition of an article a reader sees: published and
// within its dates. Its argument is now, twice.
const live = `a.published_version > 0 AND (a.effective_at IS NULL OR a.effective_at <= ?) AND (a.expires_at IS NULL OR a.expires_at > ?)`

// Article reads an article: readers (not All) see it only while it is live
// in a base they read; editors (All) see any, with its pending version.
func (s *Service) Article(ctx context.Context, tenant string, v Viewer, id int64) (Article, error) {
	q := `SELECT ` + articleCols + ` FROM kb_articles a WHERE a.id=? AND a.tenant=?`
	args := []any{id, tenant}
	if !v.All {
		now := ms(s.now())
		q += ` AND ` + live + ` AND a.base_id IN (` + visibleBases + `)`
		args = append(append(args, now, now), visibleArgs(tenant, v)...)
	}
	a, err := scanArticle(s.db.Q(ctx).QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Article{}, fmt.Errorf("article %d: %w", id, errs.ErrNotFound)
	}
	if err != nil || !v.All {
		return a, err
	}
	n, state, err := s.latest(ctx, tenant, id)
	if err != nil {
		return a, err
	}
	if state == StateDraft || state == StateReview || state == StateRejected {
		p, err := s.version(ctx, id, n)
		if err != nil {
			return a, err
		}
		a.Pending = &p
	}
	return a, nil
}

// ListFilter selects articles of a base.
type ListFilter struct {
	BaseID int64
	DirID  int64 // 0: any directory
	Limit  int
	Offset int
}

// Articles lists the live articles of a base (every article to editors),
// most popular first.
func (s *Service) Articles(ctx context.Context, tenant string, v Viewer, f ListFilter) ([]Article, int, error) {
	if err := s.canRead(ctx, tenant, v, f.BaseID); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where := ` FROM kb_articles a WHERE a.tenant=? AND a.base_id=?`
	args := []any{tenant, f.BaseID}
	if f.DirID != 0 {
		where += ` AND a.dir_id=?`
		args = append(args, f.DirID)
	}
	if !v.All {
		now := ms(s.now())
		where += ` AND ` + live
		args = append(args, now, now)
	}
	var total int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*)`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+articleCols+where+` ORDER BY MAX(0, a.views + 5*a.helpful - 3*a.unhelpful) DESC, a.id LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Article{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, 0, err
		}
		if a.Title == "" {
			// Never published: show the draft's title to editors.
			_ = s.db.Q(ctx).QueryRowContext(ctx, `SELECT title FROM kb_versions WHERE article_id=? ORDER BY version DESC LIMIT 1`, a.ID).Scan(&a.Title)
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// ForCategories lists the live articles v reads that answer any of the
// ticket categories (the screen pop's "articles for the caller's open
// tickets"), most popular first.
func (s *Service) ForCategories(ctx context.Context, tenant string, v Viewer, cats []int64, limit int) ([]Article, error) {
	out := []Article{}
	if len(cats) == 0 {
		return out, nil
	}
	if len(cats) > 50 {
		return nil, oa.FieldErrors{"category_id": "at most 50"}
	}
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	now := ms(s.now())
	args := []any{tenant, now, now}
	for _, c := range cats {
		args = append(args, c)
	}
	args = append(append(args, visibleArgs(tenant, Viewer{Department: v.Department})...), limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+articleCols+` FROM kb_articles a WHERE a.tenant=? AND `+live+`
		AND a.category_id IN (?`+strings.Repeat(",?", len(cats)-1)+`) AND a.base_id IN (`+visibleBases+`)
		ORDER BY MAX(0, a.views + 5*a.helpful - 3*a.unhelpful) DESC, a.id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
