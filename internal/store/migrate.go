package store

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrate applies the component's migrations that have not run yet. files is
// usually the package's embed.FS as declared (`//go:embed migrations/*.sql`):
// every .sql file in it, at any depth, is a migration named
// NNNN_description.sql, applied in number order, each in its own
// transaction. Applied migrations are never edited: add a new file instead.
func (db *DB) Migrate(ctx context.Context, component string, files fs.FS) error {
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	type mig struct {
		version int
		name    string // the file's base name, recorded in schema_migrations
		path    string
	}
	var migs []mig
	seen := map[int]string{}
	err := fs.WalkDir(files, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			return err
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("store: %s migration %q: name must be NNNN_description.sql", component, path)
		}
		if prev, dup := seen[v]; dup {
			return fmt.Errorf("store: %s migrations %q and %q share version %d", component, prev, path, v)
		}
		seen[v] = path
		migs = append(migs, mig{v, e.Name(), path})
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: read %s migrations: %w", component, err)
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for _, m := range migs {
		var n int
		if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component=? AND version=?`, component, m.version).Scan(&n); err != nil {
			return fmt.Errorf("store: check migration: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(files, m.path)
		if err != nil {
			return fmt.Errorf("store: read %s: %w", m.name, err)
		}
		err = db.InTx(ctx, func(ctx context.Context) error {
			q := db.Q(ctx)
			if _, err := q.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("store: %s migration %s: %w", component, m.name, err)
			}
			_, err := q.ExecContext(ctx, `INSERT INTO schema_migrations(component, version, name) VALUES (?,?,?)`, component, m.version, m.name)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
