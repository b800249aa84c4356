package rbac

import (
	"encoding/binary"
	"strconv"

	"github.com/yimen/yimen/internal/gm"
)

// Row tags are HMAC-SM3 over a canonical encoding of every column but the
// tag: the table name, then each field length-prefixed, so no two different
// rows share an encoding. The row id is covered, so a tag is valid for its
// row only. Tags prove a row was written by this service; they do not stop
// a deleted row from being re-inserted verbatim, which is why grants and
// revocations also go to the audit log.

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

// BadRow names a row whose tag does not match its content.
type BadRow struct {
	Table string
	ID    int64
}

func (b BadRow) String() string { return b.Table + "#" + strconv.FormatInt(b.ID, 10) }
