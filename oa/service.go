package oa

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// FieldCipher seals personal fields and computes their blind indexes;
// *fieldcrypt.Cipher implements it.
type FieldCipher interface {
	Encrypt(ctx context.Context, table, rowID, column string, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, table, rowID, column string, ciphertext []byte) ([]byte, error)
	BlindIndex(column string, value []byte) []byte
}

// Sealer seals attachments; a *keys.Keyring implements it.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Auditor records what the OA's users changed; *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (int64, error)
}

// Config tunes the business rules.
type Config struct {
	// LocalAreaCode (e.g. "010") is prefixed to a landline number that
	// arrives without one.
	LocalAreaCode string
	// RepeatDays: a caller who called within this many days is a repeat
	// caller on the screen pop (default 7).
	RepeatDays int
	// Hours are the business hours SLA clocks run in ("mon-fri 09:00-17:30").
	Hours calendar.Hours
	// Calendar holds the holidays and make-up workdays; nil: weekdays only.
	Calendar *calendar.Calendar
	// BaseURL is where the OA's pages are, for the screen pop's link.
	BaseURL string
	// MaxAttachment bounds an attachment's size (default 10 MiB).
	MaxAttachment int64
}

// EventRecorder is told each CTI event the OA applies, inside the
// transaction that applies it; *report.Service implements it.
type EventRecorder interface {
	Record(ctx context.Context, tenant string, env protocol.Envelope, at time.Time) error
}

// Deps are the Service's collaborators.
type Deps struct {
	DB          *store.DB
	Fields      FieldCipher
	Attachments Sealer
	Audit       Auditor // optional
	// Events records the CTI events for the statistics; nil: none.
	Events EventRecorder
	Log    *slog.Logger
	Now    func() time.Time
}

// Service is the OA's business core over its database.
type Service struct {
	cfg    Config
	cal    atomic.Pointer[calendar.Calendar] // cfg.Calendar until SetCalendar (sla_calendar.go)
	bells  bells                             // notification streams to wake (notification_stream.go)
	db     *store.DB
	fields FieldCipher
	seal   Sealer
	audit  Auditor
	events EventRecorder
	kb     CardArticles // the screen pop's knowledge articles; nil: none
	log    *slog.Logger
	now    func() time.Time
}

// New migrates the OA's tables and returns the Service.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	if d.DB == nil || d.Fields == nil {
		return nil, fmt.Errorf("oa: DB and Fields are required: %w", errs.ErrInvalid)
	}
	if cfg.RepeatDays <= 0 {
		cfg.RepeatDays = 7
	}
	if cfg.MaxAttachment <= 0 {
		cfg.MaxAttachment = 10 << 20
	}
	if cfg.Hours.IsZero() {
		h, err := calendar.ParseHours("mon-fri 09:00-17:30")
		if err != nil {
			return nil, err
		}
		cfg.Hours = h
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.DB.Migrate(ctx, "oa", migrationFiles); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, db: d.DB, fields: d.Fields, seal: d.Attachments, audit: d.Audit, events: d.Events, log: d.Log, now: d.Now}
	s.cal.Store(cfg.Calendar)
	return s, nil
}

// record appends an audit entry; a failure is logged, never fatal to the
// business action already committed.
func (s *Service) record(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeOK
	}
	if _, err := s.audit.Append(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", e.Action, "err", err)
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }
