package knowledge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// Attachment is a file on an article; its content is stored SM4-sealed
// with the OA's attachment key.
type Attachment struct {
	ID         int64  `json:"id"`
	ArticleID  int64  `json:"article_id"`
	Name       string `json:"name"`
	MIME       string `json:"mime"`
	Size       int64  `json:"size"`
	UploadedBy string `json:"uploaded_by"`
	CreatedAt  int64  `json:"created_at"`
}

// The AAD binds a sealed file to its table, tenant, article and name: a
// ticket's sealed file cannot be passed off as an article's.
func attachmentAAD(tenant string, article int64, name string) []byte {
	return []byte("kb_attachments|" + tenant + "|" + strconv.FormatInt(article, 10) + "|" + name)
}

// AddAttachment checks a file as the tickets' are checked, seals and stores it.
func (s *Service) AddAttachment(ctx context.Context, tenant, actor string, article int64, name string, data []byte) (Attachment, error) {
	if s.seal == nil {
		return Attachment{}, fmt.Errorf("attachments: no key: %w", errs.ErrUnavailable)
	}
	name, mime, err := oa.CheckAttachment(name, data, s.cfg.MaxAttachment)
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{ArticleID: article, Name: name, MIME: mime, Size: int64(len(data)), UploadedBy: actor, CreatedAt: ms(s.now())}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if _, _, err := s.latest(ctx, tenant, article); err != nil {
			return err
		}
		sealed, err := s.seal.Seal(data, attachmentAAD(tenant, article, name))
		if err != nil {
			return err
		}
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_attachments(tenant, article_id, name, mime, size, sealed, uploaded_by, created_at) VALUES (?,?,?,?,?,?,?,?)`,
			tenant, article, name, mime, a.Size, sealed, actor, a.CreatedAt)
		if err != nil {
			return err
		}
		a.ID, err = res.LastInsertId()
		return err
	})
	return a, err
}

// Attachments lists an article's attachments.
func (s *Service) Attachments(ctx context.Context, tenant string, article int64) ([]Attachment, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, article_id, name, mime, size, uploaded_by, created_at FROM kb_attachments WHERE tenant=? AND article_id=? ORDER BY id`, tenant, article)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.ArticleID, &a.Name, &a.MIME, &a.Size, &a.UploadedBy, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenAttachment returns an attachment of an article v reads, unsealed.
func (s *Service) OpenAttachment(ctx context.Context, tenant string, v Viewer, article, id int64) (Attachment, []byte, error) {
	if _, err := s.Article(ctx, tenant, v, article); err != nil {
		return Attachment{}, nil, err
	}
	var a Attachment
	var sealed []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, article_id, name, mime, size, uploaded_by, created_at, sealed FROM kb_attachments
		WHERE tenant=? AND article_id=? AND id=?`, tenant, article, id).Scan(&a.ID, &a.ArticleID, &a.Name, &a.MIME, &a.Size, &a.UploadedBy, &a.CreatedAt, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, nil, fmt.Errorf("attachment %d: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	if s.seal == nil {
		return Attachment{}, nil, fmt.Errorf("attachments: no key: %w", errs.ErrUnavailable)
	}
	data, err := s.seal.Open(sealed, attachmentAAD(tenant, article, a.Name))
	return a, data, err
}
