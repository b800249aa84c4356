package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/store"
)

// All of this package's SQL lives here so another dialect can be added.
// Times are Unix milliseconds.

type sqlStore struct{ db *store.DB }

type row struct {
	Entry
	ts           int64
	prevMAC, mac []byte
}

const rowCols = `id, ts, tenant, actor, action, target, outcome, source, detail, prev_mac, mac`

func scanRow(rs interface{ Scan(...any) error }) (row, error) {
	var r row
	err := rs.Scan(&r.ID, &r.ts, &r.Tenant, &r.Actor, &r.Action, &r.Target, &r.Outcome, &r.Source, &r.Detail, &r.prevMAC, &r.mac)
	return r, err
}

// head returns the id and mac of the newest row, or of the anchor when every
// row has been pruned, or (0, nil) for an empty log.
func (s sqlStore) head(ctx context.Context) (int64, []byte, error) {
	var id int64
	var mac []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&id, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		a, err := s.anchor(ctx)
		if err != nil || a == nil {
			return 0, nil, err
		}
		return a.lastID, a.lastMAC, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("audit: read head: %w", err)
	}
	return id, mac, nil
}

func (s sqlStore) insert(ctx context.Context, r row) (int64, error) {
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO audit_log(id, ts, tenant, actor, action, target, outcome, source, detail, prev_mac, mac)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, r.ID, r.ts, r.Tenant, r.Actor, r.Action, r.Target, r.Outcome, r.Source, r.Detail, r.prevMAC, r.mac)
	if err != nil {
		return 0, fmt.Errorf("audit: append: %w", err)
	}
	return res.LastInsertId()
}

// nextID is the id the next row gets: AUTOINCREMENT never reuses ids, even
// after the newest rows were deleted, so the sequence table is authoritative.
func (s sqlStore) nextID(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'`).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("audit: next id: %w", err)
	}
	return seq.Int64 + 1, nil
}

// scan calls fn for each row with id > after, in id order.
func (s sqlStore) scan(ctx context.Context, after int64, fn func(row) error) error {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+rowCols+` FROM audit_log WHERE id > ? ORDER BY id`, after)
	if err != nil {
		return fmt.Errorf("audit: scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return fmt.Errorf("audit: scan: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s sqlStore) macAt(ctx context.Context, id int64) ([]byte, error) {
	var mac []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT mac FROM audit_log WHERE id = ?`, id).Scan(&mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return mac, err
}

// Signatures.

type sigRow struct {
	id, rowID, signedAt int64
	seq                 int64 // 0 for signatures made before heads were chained
	mac, signature      []byte
	prevSig             []byte // SM3 of the previous signature (empty for the first chained one)
	keyID               string
}

func (s sqlStore) insertSignature(ctx context.Context, r sigRow) error {
	if r.prevSig == nil {
		r.prevSig = []byte{} // NOT NULL: the first chained head has no predecessor
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO audit_signatures(row_id, mac, signed_at, key_id, signature, seq, prev_sig) VALUES (?,?,?,?,?,?,?)`,
		r.rowID, r.mac, r.signedAt, r.keyID, r.signature, r.seq, r.prevSig)
	if err != nil {
		return fmt.Errorf("audit: insert signature: %w", err)
	}
	return nil
}

// lastSignature returns the newest signature (zero sigRow when there is none).
func (s sqlStore) lastSignature(ctx context.Context) (sigRow, error) {
	var r sigRow
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, row_id, mac, signed_at, key_id, signature, seq, prev_sig FROM audit_signatures ORDER BY id DESC LIMIT 1`).
		Scan(&r.id, &r.rowID, &r.mac, &r.signedAt, &r.keyID, &r.signature, &r.seq, &r.prevSig)
	if errors.Is(err, sql.ErrNoRows) {
		return sigRow{}, nil
	}
	return r, err
}

func (s sqlStore) signatures(ctx context.Context) ([]sigRow, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, row_id, mac, signed_at, key_id, signature, seq, prev_sig FROM audit_signatures ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("audit: signatures: %w", err)
	}
	defer rows.Close()
	var out []sigRow
	for rows.Next() {
		var r sigRow
		if err := rows.Scan(&r.id, &r.rowID, &r.mac, &r.signedAt, &r.keyID, &r.signature, &r.seq, &r.prevSig); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Anchor and pruning.

type anchorRow struct {
	lastID    int64
	lastMAC   []byte
	prunedAt  int64
	signature []byte
}

func (s sqlStore) anchor(ctx context.Context) (*anchorRow, error) {
	var a anchorRow
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT last_pruned_id, last_pruned_mac, pruned_at, signature FROM audit_anchor WHERE id = 1`).
		Scan(&a.lastID, &a.lastMAC, &a.prunedAt, &a.signature)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read anchor: %w", err)
	}
	return &a, nil
}

// lastRowBefore is the newest row older than cutoff, with its mac.
func (s sqlStore) lastRowBefore(ctx context.Context, cutoff int64) (int64, []byte, error) {
	var id int64
	var mac []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, mac FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log WHERE ts < ?)`, cutoff).Scan(&id, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	return id, mac, err
}

// prune is the only path that deletes: it opens the gate, deletes rows up to
// lastID (all older than cutoff; the trigger re-checks each) and their
// signatures, writes the anchor, and closes the gate, all in the caller's
// transaction.
func (s sqlStore) prune(ctx context.Context, cutoff, lastID int64, a anchorRow) (int64, error) {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `INSERT INTO audit_prune_gate(cutoff) VALUES (?)`, cutoff); err != nil {
		return 0, fmt.Errorf("audit: open prune gate: %w", err)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM audit_log WHERE id <= ?`, lastID)
	if err != nil {
		return 0, fmt.Errorf("audit: prune rows: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := q.ExecContext(ctx, `DELETE FROM audit_signatures WHERE row_id <= ?`, lastID); err != nil {
		return 0, fmt.Errorf("audit: prune signatures: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO audit_anchor(id, last_pruned_id, last_pruned_mac, pruned_at, signature) VALUES (1,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET last_pruned_id = excluded.last_pruned_id, last_pruned_mac = excluded.last_pruned_mac,
			pruned_at = excluded.pruned_at, signature = excluded.signature`, a.lastID, a.lastMAC, a.prunedAt, a.signature); err != nil {
		return 0, fmt.Errorf("audit: write anchor: %w", err)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM audit_prune_gate`); err != nil {
		return 0, fmt.Errorf("audit: close prune gate: %w", err)
	}
	return n, nil
}

// Search.

func (s sqlStore) search(ctx context.Context, f Filter, fn func(row) error) error {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if !f.From.IsZero() {
		add(`ts >= ?`, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add(`ts < ?`, f.To.UnixMilli())
	}
	if f.Tenant != "" {
		add(`tenant = ?`, f.Tenant)
	}
	if f.Actor != "" {
		add(`actor = ?`, f.Actor)
	}
	if f.Action != "" {
		// "auth" matches "auth" and every "auth.…" action.
		add(`(action = ? OR substr(action, 1, ?) = ?)`, f.Action, len(f.Action)+1, f.Action+".")
	}
	if f.AfterID > 0 {
		add(`id > ?`, f.AfterID)
	}
	q := `SELECT ` + rowCols + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("audit: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return fmt.Errorf("audit: search: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
