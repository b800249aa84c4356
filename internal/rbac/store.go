package rbac

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

// All of this package's SQL lives here so another dialect can be added.

type sqlStore struct{ db *store.DB }

type rolePermRow struct {
	id                            int64
	tenant, role, permission, scp string
	tag                           []byte
	revoked                       bool // its id is in rbac_revoked: re-inserted after a revocation
}

type userRoleRow struct {
	id                                 int64
	userID, tenant, role, queues, agnt string
	tag                                []byte
	revoked                            bool // its id is in rbac_revoked: re-inserted after a revocation
}

// grantRow is one user-role row joined with one of its role's permission rows.
type grantRow struct {
	ur userRoleRow
	rp rolePermRow
}

func (s sqlStore) grantsFor(ctx context.Context, userID, tenant, perm string) ([]grantRow, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT
			ur.id, ur.user_id, ur.tenant, ur.role, ur.queues, ur.agent, ur.tag, `+revokedCol("rbac_user_roles", "ur.id")+`,
			rp.id, rp.tenant, rp.role, rp.permission, rp.scope, rp.tag, `+revokedCol("rbac_role_permissions", "rp.id")+`
		FROM rbac_user_roles ur
		JOIN rbac_role_permissions rp ON rp.tenant = ur.tenant AND rp.role = ur.role
		WHERE ur.user_id = ? AND ur.tenant = ? AND rp.permission = ?`, userID, tenant, perm)
	if err != nil {
		return nil, fmt.Errorf("rbac: query grants: %w", err)
	}
	defer rows.Close()
	var out []grantRow
	for rows.Next() {
		var g grantRow
		if err := rows.Scan(&g.ur.id, &g.ur.userID, &g.ur.tenant, &g.ur.role, &g.ur.queues, &g.ur.agnt, &g.ur.tag, &g.ur.revoked,
			&g.rp.id, &g.rp.tenant, &g.rp.role, &g.rp.permission, &g.rp.scp, &g.rp.tag, &g.rp.revoked); err != nil {
			return nil, fmt.Errorf("rbac: scan grants: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s sqlStore) userRoles(ctx context.Context, where string, args ...any) ([]userRoleRow, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, user_id, tenant, role, queues, agent, tag, `+revokedCol("rbac_user_roles", "id")+` FROM rbac_user_roles `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("rbac: query user roles: %w", err)
	}
	defer rows.Close()
	var out []userRoleRow
	for rows.Next() {
		var r userRoleRow
		if err := rows.Scan(&r.id, &r.userID, &r.tenant, &r.role, &r.queues, &r.agnt, &r.tag, &r.revoked); err != nil {
			return nil, fmt.Errorf("rbac: scan user role: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s sqlStore) userRolesOf(ctx context.Context, userID, tenant string) ([]userRoleRow, error) {
	return s.userRoles(ctx, `WHERE user_id = ? AND tenant = ?`, userID, tenant)
}

func (s sqlStore) allUserRoles(ctx context.Context) ([]userRoleRow, error) {
	return s.userRoles(ctx, ``)
}

func (s sqlStore) rolePerms(ctx context.Context, where string, args ...any) ([]rolePermRow, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, tenant, role, permission, scope, tag, `+revokedCol("rbac_role_permissions", "id")+` FROM rbac_role_permissions `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("rbac: query role permissions: %w", err)
	}
	defer rows.Close()
	var out []rolePermRow
	for rows.Next() {
		var r rolePermRow
		if err := rows.Scan(&r.id, &r.tenant, &r.role, &r.permission, &r.scp, &r.tag, &r.revoked); err != nil {
			return nil, fmt.Errorf("rbac: scan role permission: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s sqlStore) allRolePerms(ctx context.Context) ([]rolePermRow, error) {
	return s.rolePerms(ctx, ``)
}

func (s sqlStore) rolePermsOf(ctx context.Context, tenant, role string) ([]rolePermRow, error) {
	return s.rolePerms(ctx, `WHERE tenant = ? AND role = ?`, tenant, role)
}

// nextID picks the id a new row will get, so its tag can cover the id.
// Callers hold the write transaction, so no one else can take it.
func (s sqlStore) nextID(ctx context.Context, table string) (int64, error) {
	var id int64
	// Past every id the table holds and every id revoked from it: a new
	// row must not inherit a revoked row's id (rbac_revoked refuses it).
	q := `SELECT MAX(COALESCE((SELECT MAX(id) FROM rbac_user_roles), 0),
		COALESCE((SELECT MAX(row_id) FROM rbac_revoked WHERE tbl = 'rbac_user_roles'), 0)) + 1`
	if table == tableRolePerms {
		q = `SELECT MAX(COALESCE((SELECT MAX(id) FROM rbac_role_permissions), 0),
		COALESCE((SELECT MAX(row_id) FROM rbac_revoked WHERE tbl = 'rbac_role_permissions'), 0)) + 1`
	}
	if err := s.db.Q(ctx).QueryRowContext(ctx, q).Scan(&id); err != nil {
		return 0, fmt.Errorf("rbac: next id: %w", err)
	}
	return id, nil
}

func (s sqlStore) insertRolePerm(ctx context.Context, r rolePermRow) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO rbac_role_permissions(id, tenant, role, permission, scope, tag) VALUES (?,?,?,?,?,?)`,
		r.id, r.tenant, r.role, r.permission, r.scp, r.tag)
	return conflict(err, "role permission")
}

func (s sqlStore) insertUserRole(ctx context.Context, r userRoleRow) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO rbac_user_roles(id, user_id, tenant, role, queues, agent, tag) VALUES (?,?,?,?,?,?,?)`,
		r.id, r.userID, r.tenant, r.role, r.queues, r.agnt, r.tag)
	return conflict(err, "user role")
}

func (s sqlStore) hasRolePerm(ctx context.Context, tenant, role, perm string) (bool, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM rbac_role_permissions WHERE tenant = ? AND role = ? AND permission = ?`, tenant, role, perm).Scan(&n)
	return n > 0, err
}

func (s sqlStore) deleteRolePerm(ctx context.Context, tenant, role, perm string, now int64) error {
	return s.revoke(ctx, tableRolePerms, rolePermKey(tenant, role, perm), `tenant = ? AND role = ? AND permission = ?`, now, tenant, role, perm)
}

func (s sqlStore) deleteUserRole(ctx context.Context, userID, tenant, role string, now int64) error {
	return s.revoke(ctx, tableUserRoles, "", `user_id = ? AND tenant = ? AND role = ?`, now, userID, tenant, role)
}

func rolePermKey(tenant, role, perm string) string { return tenant + "|" + role + "|" + perm }

// wasRevoked reports whether tenant's role once had perm revoked.
func (s sqlStore) wasRevoked(ctx context.Context, tenant, role, perm string) (bool, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM rbac_revoked WHERE tbl = ? AND grant_key = ?`,
		tableRolePerms, rolePermKey(tenant, role, perm)).Scan(&n)
	return n > 0, err
}

// revoke records the ids of table's rows matching where in rbac_revoked and
// deletes the rows, in one transaction.
func (s sqlStore) revoke(ctx context.Context, table, key, where string, now int64, args ...any) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO rbac_revoked(tbl, row_id, grant_key, revoked_at) SELECT '`+table+`', id, ?, ? FROM `+table+` WHERE `+where,
			append([]any{key, now}, args...)...); err != nil {
			return fmt.Errorf("rbac: record revocation: %w", err)
		}
		return deleted(q.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+where, args...))
	})
}

// revokedCol is an SQL expression telling whether the row whose id is idExpr
// was revoked from table before.
func revokedCol(table, idExpr string) string {
	return `EXISTS (SELECT 1 FROM rbac_revoked v WHERE v.tbl = '` + table + `' AND v.row_id = ` + idExpr + `)`
}

func conflict(err error, what string) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("rbac: %s exists: %w", what, errs.ErrConflict)
	}
	return fmt.Errorf("rbac: insert %s: %w", what, err)
}

func deleted(res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("rbac: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rbac: %w", errs.ErrNotFound)
	}
	return nil
}
