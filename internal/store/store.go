package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// DB is the shared database handle.
type DB struct {
	sql     *sql.DB
	release func() error // the owner's lock (OpenOwned), nil otherwise
}

// Querier is what both *sql.DB and *sql.Tx offer; feature stores run SQL on it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens (creating if needed) the SQLite database at path with WAL,
// a busy timeout and foreign keys on. ":memory:" is accepted for tests.
func Open(ctx context.Context, path string) (*DB, error) {
	dsn := "file::memory:?cache=shared"
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("store: create %s: %w", dir, err)
			}
		}
		dsn = "file:" + url.PathEscape(path) + "?"
	} else {
		dsn += "&"
	}
	dsn += driverParams
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if path != ":memory:" {
		_ = os.Chmod(path, 0o600)
	}
	return &DB{sql: db}, nil
}

// Close closes the database and gives up its ownership (OpenOwned).
func (db *DB) Close() error {
	err := db.sql.Close()
	if db.release != nil {
		err = errors.Join(err, db.release())
		db.release = nil
	}
	return err
}

// SQL exposes the raw handle for tooling (integrity checks, backups).
func (db *DB) SQL() *sql.DB { return db.sql }

type txKey struct{}

type txState struct {
	tx    *sql.Tx
	depth int
	after []func() // AfterCommit's, run once the outermost transaction commits
}

// AfterCommit runs fn once the transaction ctx carries has committed (not
// at all if it rolls back, nor if the savepoint fn was registered in rolls
// back), or at once outside a transaction: for telling others of a change
// they will read (a wake-up), never before they can read it.
func (db *DB) AfterCommit(ctx context.Context, fn func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.after = append(st.after, fn)
		return
	}
	fn()
}

// Q returns the transaction carried by ctx, or the database itself.
func (db *DB) Q(ctx context.Context) Querier {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx
	}
	return db.sql
}

// InTx runs fn in a transaction. Nested calls join the outer transaction
// through a SAVEPOINT, so an inner failure rolls back only the inner work.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.depth++
		name := fmt.Sprintf("sp%d", st.depth)
		hooks := len(st.after)
		defer func() { st.depth-- }()
		if _, err := st.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
			return fmt.Errorf("store: savepoint: %w", err)
		}
		if err := callSafe(ctx, fn); err != nil {
			st.after = st.after[:hooks]
			if _, rbErr := st.tx.ExecContext(ctx, "ROLLBACK TO "+name); rbErr != nil {
				return errors.Join(err, rbErr)
			}
			_, _ = st.tx.ExecContext(ctx, "RELEASE "+name)
			return err
		}
		if _, err := st.tx.ExecContext(ctx, "RELEASE "+name); err != nil {
			return fmt.Errorf("store: release savepoint: %w", err)
		}
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	st := &txState{tx: tx}
	if err := callSafe(context.WithValue(ctx, txKey{}, st), fn); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	for _, fn := range st.after {
		fn()
	}
	return nil
}

// callSafe turns a panic in fn into an error so the transaction is rolled back.
func callSafe(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: panic in transaction: %v", r)
		}
	}()
	return fn(ctx)
}
