package keys

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/yimen/yimen/internal/store"
)

// All of this package's SQL lives here so another dialect can be added.

type wrappedRow struct {
	name     string
	version  uint32
	wrapped  []byte
	masterID string
}

func selectKeyVersions(ctx context.Context, q store.Querier, name string) ([]wrappedRow, error) {
	return scanWrapped(q.QueryContext(ctx, `SELECT name, version, wrapped, master_id FROM data_keys WHERE name = ? ORDER BY version`, name))
}

func selectAllKeys(ctx context.Context, q store.Querier) ([]wrappedRow, error) {
	return scanWrapped(q.QueryContext(ctx, `SELECT name, version, wrapped, master_id FROM data_keys ORDER BY name, version`))
}

func scanWrapped(rows *sql.Rows, err error) ([]wrappedRow, error) {
	if err != nil {
		return nil, fmt.Errorf("keys: query data keys: %w", err)
	}
	defer rows.Close()
	var out []wrappedRow
	for rows.Next() {
		var r wrappedRow
		if err := rows.Scan(&r.name, &r.version, &r.wrapped, &r.masterID); err != nil {
			return nil, fmt.Errorf("keys: scan data key: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys: query data keys: %w", err)
	}
	return out, nil
}

func insertKeyVersion(ctx context.Context, q store.Querier, r wrappedRow) error {
	_, err := q.ExecContext(ctx, `INSERT INTO data_keys(name, version, wrapped, master_id) VALUES (?,?,?,?)`, r.name, r.version, r.wrapped, r.masterID)
	if err != nil {
		return fmt.Errorf("keys: insert data key %s v%d: %w", r.name, r.version, err)
	}
	return nil
}

func maxKeyVersion(ctx context.Context, q store.Querier, name string) (uint32, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM data_keys WHERE name = ?`, name).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("keys: max version of %s: %w", name, err)
	}
	return uint32(v.Int64), nil
}

func updateWrapped(ctx context.Context, q store.Querier, r wrappedRow) error {
	_, err := q.ExecContext(ctx, `UPDATE data_keys SET wrapped = ?, master_id = ? WHERE name = ? AND version = ?`, r.wrapped, r.masterID, r.name, r.version)
	if err != nil {
		return fmt.Errorf("keys: rewrap %s v%d: %w", r.name, r.version, err)
	}
	return nil
}

func selectMasterIDs(ctx context.Context, q store.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT master_id FROM data_keys`)
	if err != nil {
		return nil, fmt.Errorf("keys: master ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("keys: master ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func selectKeyInfos(ctx context.Context, q store.Querier) ([]KeyInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, version, master_id, created_at FROM data_keys ORDER BY name, version`)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	defer rows.Close()
	var out []KeyInfo
	for rows.Next() {
		var k KeyInfo
		if err := rows.Scan(&k.Name, &k.Version, &k.MasterID, &k.CreatedAt); err != nil {
			return nil, fmt.Errorf("keys: list: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
