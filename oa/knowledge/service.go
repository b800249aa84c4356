package knowledge

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/oa"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Sealer seals attachments; a *keys.Keyring implements it (the OA's
// attachment keyring, shared with the tickets').
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Config tunes the knowledge base.
type Config struct {
	// MaxAttachment bounds an attachment's size (default 10 MiB).
	MaxAttachment int64
	// MaxBody bounds an article's HTML (default 512 KiB).
	MaxBody int
}

// Deps are the Service's collaborators.
type Deps struct {
	DB          *store.DB
	Segmenter   Segmenter // nil: bigrams only
	Attachments Sealer    // nil: no attachments
	Log         *slog.Logger
	Now         func() time.Time
}

// Service is the knowledge base over the OA's database.
type Service struct {
	cfg  Config
	db   *store.DB
	seg  Segmenter
	seal Sealer
	san  sanitiser
	log  *slog.Logger
	now  func() time.Time
	// ranks caches what a search needs of each published article
	// besides its postings (rank_cache.go).
	ranks rankCache
}

// New migrates the knowledge base's tables (after the OA's, whose
// departments it refers to) and returns the Service.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, fmt.Errorf("knowledge: DB is required: %w", errs.ErrInvalid)
	}
	if cfg.MaxAttachment <= 0 {
		cfg.MaxAttachment = 10 << 20
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 512 << 10
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.DB.Migrate(ctx, "oa_knowledge", migrationFiles); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, db: d.DB, seg: d.Segmenter, seal: d.Attachments, san: newSanitiser(), log: d.Log, now: d.Now}
	if err := s.catchUp(ctx); err != nil {
		return nil, fmt.Errorf("knowledge: index the published articles: %w", err)
	}
	return s, nil
}

// Viewer is who reads: their department decides which bases they see;
// All (a knowledge editor or publisher) sees every base.
type Viewer struct {
	UserID     string
	Department int64
	All        bool
}

func check(bad oa.FieldErrors) error {
	if len(bad) == 0 {
		return nil
	}
	return bad
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// nullMS stores an optional instant (0: none).
func nullMS(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}
