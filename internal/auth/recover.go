package auth

import (
	"context"
	"fmt"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
)

// Recover restores an account whose owner lost its password or second
// factor and whom nobody may restore through the API (an administrator:
// no administrator acts on another's credentials). It sets password,
// which must be changed at the next login, removes the second factors
// (TOTP and the SM2 key: the owner enrols anew), ends the sessions, lifts
// the account's lockout and writes an audit alarm naming the actor in ctx.
// It is for a console on the server (cmd/pbx -recover-admin), whose
// operator already holds the master key; nothing on the network calls it.
func (s *Service) Recover(ctx context.Context, id, password string) error {
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return err
	}
	if u.Disabled {
		return fmt.Errorf("auth: %s is disabled: %w", id, errs.ErrConflict)
	}
	err = s.st.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.replacePassword(ctx, u, password, true, ""); err != nil {
			return err
		}
		if err := s.st.setTOTP(ctx, id, nil, "", false); err != nil {
			return err
		}
		if err := s.st.setSM2Key(ctx, id, nil); err != nil {
			return err
		}
		return s.st.clearFailures(ctx, kindAccount, accountSubject(u.Tenant, u.Name))
	})
	if err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: actorFrom(ctx), Action: "auth.recover", Target: id, Outcome: audit.OutcomeAlarm,
		Detail: "password reset to one that must be changed, second factors removed, lockout lifted, from the server console"})
	return nil
}
