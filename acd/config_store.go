package acd

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/store"
)

//go:embed config_migrations/*.sql
var configMigrationFiles embed.FS

// ConfigStore keeps each tenant's agents and queues as last changed through
// the admin API, so a restart runs what was changed live.
type ConfigStore struct{ db *store.DB }

// StoredConfig is one tenant's saved agents and queues.
type StoredConfig struct {
	Agents    []AgentConfig `json:"agents"`
	Queues    []QueueConfig `json:"queues"`
	UpdatedAt time.Time     `json:"-"`
}

// OpenConfigStore migrates the acd_config table.
func OpenConfigStore(ctx context.Context, db *store.DB) (*ConfigStore, error) {
	if err := db.Migrate(ctx, "acd.config", configMigrationFiles); err != nil {
		return nil, err
	}
	return &ConfigStore{db: db}, nil
}

// Load returns the tenant's saved configuration; ok is false when it was
// never changed live.
func (s *ConfigStore) Load(ctx context.Context, tenant string) (StoredConfig, bool, error) {
	var body string
	var ms int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT body, updated_ms FROM acd_config WHERE tenant = ?`, tenant).Scan(&body, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredConfig{}, false, nil
	}
	if err != nil {
		return StoredConfig{}, false, fmt.Errorf("acd: load config of %s: %w", tenant, err)
	}
	var c StoredConfig
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return StoredConfig{}, false, fmt.Errorf("acd: saved config of %s: %w", tenant, err)
	}
	c.UpdatedAt = time.UnixMilli(ms)
	return c, true, nil
}

// Save replaces the tenant's saved configuration.
func (s *ConfigStore) Save(ctx context.Context, tenant string, c StoredConfig) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO acd_config (tenant, body, updated_ms) VALUES (?, ?, ?)
		ON CONFLICT (tenant) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms`, tenant, string(body), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("acd: save config of %s: %w", tenant, err)
	}
	return nil
}
