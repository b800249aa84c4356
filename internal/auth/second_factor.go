package auth

import (
	"context"
	"fmt"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
)

// Two factors, and who must use them. 等保 level 3 asks that administrators
// authenticate with two factors; Deps.SecondFactorRequired says who they
// are (cmd/pbx/boot asks internal/rbac: the three administrator roles). A
// session of such a user opened with one factor (a password alone) is
// restricted (Principal.SecondFactorDue): it may only enrol a second factor,
// change the password and log out. Two factors are a password with a TOTP
// code, or a password with an SM2 signature.

// ErrReauth is a refused re-authentication (wrong password or code) before
// a change of the caller's own second factor.
var ErrReauth = fmt.Errorf("auth: current password (and TOTP code, when one is active) required: %w", errs.ErrForbidden)

// Proof is what a user presents again before changing their own second
// factor: the current password, and the current TOTP code when TOTP is
// active.
type Proof struct {
	Password string
	TOTP     string
}

// twoFactor reports whether a login method used two factors.
func twoFactor(method string) bool {
	return method == methodPasswordTOTP || method == methodSM2Password
}

// Login methods recorded on a session.
const (
	methodPassword     = "password"
	methodPasswordTOTP = "password+totp"
	methodSM2Password  = "sm2+password"
)

// secondFactorDue reports whether u's session opened by method is restricted
// to enrolling a second factor.
func (s *Service) secondFactorDue(ctx context.Context, u *userRow, method string) (bool, error) {
	if twoFactor(method) || s.needs2FA == nil {
		return false, nil
	}
	return s.needs2FA(ctx, u.ID, u.Tenant)
}

// reauthenticate checks proof against u before a change of its factors; a
// wrong proof counts as a failed login of the account (so this is no
// oracle for guessing the password) and is audited.
func (s *Service) reauthenticate(ctx context.Context, u *userRow, action string, proof Proof) error {
	ok := VerifyPassword(u.hash, proof.Password)
	if ok && u.totpActive {
		good, err := s.checkTOTP(ctx, u, proof.TOTP)
		if err != nil {
			return err
		}
		ok = good
	}
	if ok {
		return nil
	}
	s.fail(ctx, u.Tenant, u.Name, accountSubject(u.Tenant, u.Name), "")
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: u.ID, Action: action, Target: u.ID, Outcome: audit.OutcomeDenied, Detail: "re-authentication failed"})
	return ErrReauth
}
