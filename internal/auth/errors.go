package auth

import (
	"fmt"

	"github.com/yimen/yimen/internal/errs"
)

// Login and session failures. All wrap errs.ErrForbidden; the same
// ErrBadCredentials is returned for an unknown user, a wrong password, a
// wrong code and a disabled account, so a caller learns nothing about which.
var (
	ErrBadCredentials     = fmt.Errorf("auth: invalid credentials: %w", errs.ErrForbidden)
	ErrLocked             = fmt.Errorf("auth: too many failed attempts, try again later: %w", errs.ErrForbidden)
	ErrSecondFactor       = fmt.Errorf("auth: second factor required: %w", errs.ErrForbidden)
	ErrSessionInvalid     = fmt.Errorf("auth: session invalid or expired: %w", errs.ErrForbidden)
	ErrCSRF               = fmt.Errorf("auth: CSRF token missing or wrong: %w", errs.ErrForbidden)
	ErrPasswordChangeDue  = fmt.Errorf("auth: password must be changed first: %w", errs.ErrForbidden)
	errTokenInvalid       = fmt.Errorf("auth: API token invalid, expired or revoked: %w", errs.ErrForbidden)
	errChallengeNotUsable = fmt.Errorf("auth: challenge unknown, used or expired: %w", errs.ErrForbidden)
)
