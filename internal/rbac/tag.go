package rbac

import (
	"encoding/binary"
	"strconv"

	"github.com/yimen/yimen/internal/gm"
)

// Row tags are HMAC-SM3 over a canonical encoding of every column but the
// tag: the table name, then each field length-prefixed, so no two different
// rows share an encoding. The row id is covered, so a tag is valid for its
// row only. Tags prove a row was written by this service; a revoked row's
// id is kept in rbac_revoked (append-only, ids never reused), so the row
// re-inserted verbatim, tag and all, is refused like a forged one. Grants
// and revocations also go to the audit log.

const (
	tableRolePerms = "rbac_role_permissions"
	tableUserRoles = "rbac_user_roles"
)

func canonical(table string, id int64, fields ...string) []byte {
	b := make([]byte, 0, 128)
	b = binary.AppendUvarint(b, uint64(len(table)))
	b = append(b, table...)
	b = binary.AppendUvarint(b, uint64(id))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func (s *Service) tagRolePerm(r rolePermRow) []byte {
	return gm.HMACSM3(s.key, canonical(tableRolePerms, r.id, r.tenant, r.role, r.permission, r.scp))
}

func (s *Service) tagUserRole(r userRoleRow) []byte {
	return gm.HMACSM3(s.key, canonical(tableUserRoles, r.id, r.userID, r.tenant, r.role, r.queues, r.agnt))
}

// userRoleOK reports whether a user-role row is one this service wrote and
// has not revoked.
func (s *Service) userRoleOK(r userRoleRow) bool {
	return !r.revoked && gm.HMACSM3Equal(r.tag, s.tagUserRole(r))
}

// rolePermOK is userRoleOK for a role-permission row.
func (s *Service) rolePermOK(r rolePermRow) bool {
	return !r.revoked && gm.HMACSM3Equal(r.tag, s.tagRolePerm(r))
}

// BadRow names a row whose tag does not match its content.
type BadRow struct {
	Table string
	ID    int64
}

func (b BadRow) String() string { return b.Table + "#" + strconv.FormatInt(b.ID, 10) }
