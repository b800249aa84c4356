package auth

import (
	"context"
	"errors"
	"net/http"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// Vouch checks a credential another yimen server issued (a signed
// one-login token) and names the local user it stands for, creating or
// updating that user as the credential says. method names it in sessions
// and the audit log ("sso"). An error refuses the login.
type Vouch func(ctx context.Context, credential string) (tenant, name, method string, err error)

// LoginVouched starts a session for a user another server vouched for:
// no password is asked, but the account must exist, be enabled and not be
// locked out, and the session is as any other (idle timeout, lifetime,
// logout, CSRF).
func (s *Service) LoginVouched(ctx context.Context, tenant, name, method, source, previous string) (*Session, error) {
	entry := audit.Entry{Tenant: tenant, Actor: fieldcrypt.MaskName(name), Action: "auth.login", Source: source}
	acct, src := accountSubject(tenant, name), ""
	if source != "" {
		src = sourceSubject(source)
	}
	if isLocked, err := s.locked(ctx, acct, src); err != nil {
		return nil, err
	} else if isLocked {
		entry.Outcome, entry.Detail = audit.OutcomeDenied, "locked"
		s.record(ctx, entry)
		return nil, ErrLocked
	}
	u, err := s.st.userByName(ctx, tenant, name)
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.Disabled {
		entry.Outcome, entry.Detail = audit.OutcomeDenied, method+": no such enabled user"
		s.record(ctx, entry)
		return nil, ErrBadCredentials
	}
	entry.Actor, entry.Target = u.ID, u.ID
	sess, err := s.newSession(ctx, u, method, previous)
	if err != nil {
		return nil, err
	}
	entry.Outcome, entry.Detail, entry.Target = audit.OutcomeOK, method, fingerprint(tokenHash(sess.Token))
	s.record(ctx, entry)
	return sess, nil
}

// VouchedLoginHandler handles {token, bearer?}: vouch checks the token,
// then a session starts as LoginHandler's would (cookie and CSRF token, or
// the bearer token in the body). A refused token answers 401 and is audited.
func (s *Service) VouchedLoginHandler(vouch Vouch) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Token  string `json:"token"`
			Bearer bool   `json:"bearer"`
		}
		if !decode(w, r, &b) {
			return
		}
		tenant, name, method, err := vouch(r.Context(), b.Token)
		if err != nil {
			s.log.WarnContext(r.Context(), "vouched login refused", "remote", r.RemoteAddr, "err", err)
			s.record(r.Context(), audit.Entry{Actor: "anonymous", Action: "auth.login", Source: r.RemoteAddr, Outcome: audit.OutcomeDenied, Detail: err.Error()})
			if !errors.Is(err, errs.ErrForbidden) && !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrNotFound) {
				s.writeErr(w, r, err)
				return
			}
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_credentials"})
			return
		}
		sess, err := s.LoginVouched(r.Context(), tenant, name, method, r.RemoteAddr, s.presentedToken(r))
		s.replySession(w, r, sess, b.Bearer, err)
	})
}
