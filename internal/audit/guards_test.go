package audit

import "github.com/yimen/yimen/internal/keys"

var _ KeySource = (*keys.Keyring)(nil)
