package rbac

import (
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/keys"
)

var (
	_ KeySource = (*keys.Keyring)(nil)
	_ Auditor   = (*audit.Log)(nil)
)
