package agentbar

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLLayouts is the LayoutStore in the PBX's database.
type SQLLayouts struct{ db *store.DB }

var _ LayoutStore = (*SQLLayouts)(nil)

// NewSQLLayouts migrates the layouts table and returns its store.
func NewSQLLayouts(ctx context.Context, db *store.DB) (*SQLLayouts, error) {
	if err := db.Migrate(ctx, "agentbar", migrationFiles); err != nil {
		return nil, err
	}
	return &SQLLayouts{db: db}, nil
}

func (s *SQLLayouts) Layout(ctx context.Context, tenant, role string) (Layout, error) {
	var raw string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT layout FROM wallboard_layouts WHERE tenant=? AND role=?`, tenant, role).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return Layout{}, fmt.Errorf("wallboard layout for %s: %w", role, errs.ErrNotFound)
	}
	if err != nil {
		return Layout{}, fmt.Errorf("wallboard layout: %w", err)
	}
	var l Layout
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		return Layout{}, fmt.Errorf("wallboard layout for %s: stored JSON: %w", role, err)
	}
	return l, nil
}

func (s *SQLLayouts) SaveLayout(ctx context.Context, tenant, role string, l Layout) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO wallboard_layouts(tenant, role, layout, updated_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT(tenant, role) DO UPDATE SET layout=excluded.layout, updated_ms=excluded.updated_ms`,
		tenant, role, string(raw), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save wallboard layout: %w", err)
	}
	return nil
}
