package auth

import (
	"context"
	"errors"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// LoginRequest is a password login.
type LoginRequest struct {
	Tenant   string
	Name     string
	Password string
	TOTP     string // required when the user has a second factor
	Source   string // client address ("ip" or "ip:port") for per-address lockout
	// PreviousToken is the session token the client presented, if any; it
	// is revoked, never reused.
	PreviousToken string
}

// Login checks a password (and TOTP code when enrolled) and starts a new
// session. Failures return ErrBadCredentials, ErrLocked or ErrSecondFactor.
func (s *Service) Login(ctx context.Context, req LoginRequest) (*Session, error) {
	acct, src := accountSubject(req.Tenant, req.Name), ""
	if req.Source != "" {
		src = sourceSubject(req.Source)
	}
	entry := audit.Entry{Tenant: req.Tenant, Actor: fieldcrypt.MaskName(req.Name), Action: "auth.login", Source: req.Source}
	if isLocked, err := s.locked(ctx, acct, src); err != nil {
		return nil, err
	} else if isLocked {
		entry.Outcome, entry.Detail = audit.OutcomeDenied, "locked"
		s.record(ctx, entry)
		return nil, ErrLocked
	}
	u, err := s.st.userByName(ctx, req.Tenant, req.Name)
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	hash := s.dummy
	if u != nil {
		hash = u.hash
		entry.Actor, entry.Target = u.ID, u.ID
	}
	// The hash is verified even for unknown or disabled users so timing
	// does not tell them apart.
	ok := VerifyPassword(hash, req.Password) && u != nil && !u.Disabled
	if !ok {
		s.fail(ctx, req.Tenant, req.Name, acct, src)
		entry.Outcome, entry.Detail = audit.OutcomeFailed, "bad credentials"
		s.record(ctx, entry)
		return nil, ErrBadCredentials
	}
	method := methodPassword
	if u.totpActive {
		if req.TOTP == "" {
			entry.Outcome, entry.Detail = audit.OutcomeDenied, "second factor required"
			s.record(ctx, entry)
			return nil, ErrSecondFactor
		}
		good, err := s.checkTOTP(ctx, u, req.TOTP)
		if err != nil {
			return nil, err
		}
		if !good {
			s.fail(ctx, req.Tenant, req.Name, acct, src)
			entry.Outcome, entry.Detail = audit.OutcomeFailed, "bad second factor"
			s.record(ctx, entry)
			return nil, ErrBadCredentials
		}
		method = methodPasswordTOTP
	}
	if err := s.succeeded(ctx, acct, src); err != nil {
		return nil, err
	}
	if needsRehash(u.hash, s.cfg.Iterations) {
		if err := s.st.rehash(ctx, u.ID, HashPassword(req.Password, s.cfg.Iterations)); err != nil {
			s.log.WarnContext(ctx, "auth: rehash", "user", u.ID, "err", err)
		}
	}
	sess, err := s.newSession(ctx, u, method, req.PreviousToken)
	if err != nil {
		return nil, err
	}
	entry.Outcome, entry.Detail = audit.OutcomeOK, method
	entry.Target = fingerprint(tokenHash(sess.Token))
	s.record(ctx, entry)
	return sess, nil
}
