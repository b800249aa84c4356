package oa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// allowedTypes are the attachments a ticket takes, by the type their
// content sniffs as (the name and the client's claim are not trusted).
var allowedTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
	"application/pdf": true, "text/plain; charset=utf-8": true, "application/zip": true,
	"audio/wave": true, "audio/mpeg": true,
}

// Attachment is a file on a ticket; its content is stored SM4-sealed.
type Attachment struct {
	ID         int64  `json:"id"`
	TicketID   int64  `json:"ticket_id"`
	Name       string `json:"name"`
	MIME       string `json:"mime"`
	Size       int64  `json:"size"`
	UploadedBy string `json:"uploaded_by"`
	CreatedAt  int64  `json:"created_at"`
}

func attachmentAAD(tenant string, ticket int64, name string) []byte {
	return []byte("oa_attachments|" + tenant + "|" + strconv.FormatInt(ticket, 10) + "|" + name)
}

// CheckAttachment cleans a file's name and checks its size and the type
// its content sniffs as; it returns the name and type to store. The
// knowledge base's attachments are checked by it too.
func CheckAttachment(name string, data []byte, max int64) (string, string, error) {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	bad := FieldErrors{}
	if name == "" || name == "." || name == "/" || len(name) > 200 {
		bad["name"] = "a file name of at most 200 bytes"
	}
	if len(data) == 0 || int64(len(data)) > max {
		bad["file"] = fmt.Sprintf("1 byte to %d bytes", max)
	}
	mime := http.DetectContentType(data)
	if !allowedTypes[mime] {
		bad["file"] = "type " + mime + " is not accepted (images, PDF, text, zip, WAV, MP3)"
	}
	if err := bad.err(); err != nil {
		return "", "", err
	}
	return name, mime, nil
}

// AddAttachment checks a file's type and size, seals it and stores it.
func (s *Service) AddAttachment(ctx context.Context, tenant, actor string, ticket int64, name string, data []byte) (Attachment, error) {
	if s.seal == nil {
		return Attachment{}, fmt.Errorf("attachments: no key: %w", errs.ErrUnavailable)
	}
	name, mime, err := CheckAttachment(name, data, s.cfg.MaxAttachment)
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{TicketID: ticket, Name: name, MIME: mime, Size: int64(len(data)), UploadedBy: actor, CreatedAt: ms(s.now())}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		t, err := s.Ticket(ctx, tenant, ticket)
		if err != nil {
			return err
		}
		sealed, err := s.seal.Seal(data, attachmentAAD(tenant, t.ID, name))
		if err != nil {
			return err
		}
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_attachments(ticket_id, tenant, name, mime, size, sealed, uploaded_by, created_at) VALUES (?,?,?,?,?,?,?,?)`,
			ticket, tenant, name, mime, a.Size, sealed, actor, a.CreatedAt)
		if err != nil {
			return err
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return s.appendEvent(ctx, tenant, ticket, "attach", t.State, t.State, actor, name, map[string]any{"attachment": a.ID, "size": a.Size, "mime": mime})
	})
	return a, err
}

// Attachments lists a ticket's attachments.
func (s *Service) Attachments(ctx context.Context, tenant string, ticket int64) ([]Attachment, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, ticket_id, name, mime, size, uploaded_by, created_at FROM oa_attachments WHERE tenant=? AND ticket_id=? ORDER BY id`, tenant, ticket)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.TicketID, &a.Name, &a.MIME, &a.Size, &a.UploadedBy, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenAttachment returns an attachment with its content unsealed.
func (s *Service) OpenAttachment(ctx context.Context, tenant string, ticket, id int64) (Attachment, []byte, error) {
	var a Attachment
	var sealed []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, ticket_id, name, mime, size, uploaded_by, created_at, sealed FROM oa_attachments
		WHERE tenant=? AND ticket_id=? AND id=?`, tenant, ticket, id).Scan(&a.ID, &a.TicketID, &a.Name, &a.MIME, &a.Size, &a.UploadedBy, &a.CreatedAt, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, nil, fmt.Errorf("attachment %d: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	if s.seal == nil {
		return Attachment{}, nil, fmt.Errorf("attachments: no key: %w", errs.ErrUnavailable)
	}
	data, err := s.seal.Open(sealed, attachmentAAD(tenant, ticket, a.Name))
	return a, data, err
}
