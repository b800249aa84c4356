package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/gm"
)

// SM2 challenge-response login: the server issues a random nonce for a
// (tenant, name); the client signs SM2LoginMessage with the user's SM2
// private key (signer ID gm.DefaultUID, which hardware tokens use); the
// server verifies with the registered public key. A nonce is deleted when
// it is presented, right or wrong, and expires after ChallengeTTL. The
// password is asked as well: the key is something the user has, the
// password something they know, and the two together are the two factors
// an administrator needs; a stolen key alone opens nothing.

// Challenge issues a login nonce. Unknown names get a nonce too, so the
// endpoint does not reveal which accounts exist.
func (s *Service) Challenge(ctx context.Context, tenant, name string) (nonce string, expires time.Time, err error) {
	if err := validLoginName(tenant, name); err != nil {
		return "", time.Time{}, err
	}
	nonce = base64.RawURLEncoding.EncodeToString(gm.RandomBytes(32))
	expires = s.now().Add(s.cfg.ChallengeTTL)
	if err := s.st.insertChallenge(ctx, tokenHash(nonce), tenant, accountSubject(tenant, name), millis(expires)); err != nil {
		return "", time.Time{}, err
	}
	return nonce, expires, nil
}

// SM2LoginMessage is the exact byte string a client signs.
func SM2LoginMessage(tenant, name, nonce string) []byte {
	return []byte("yimen-sm2-login\n" + tenant + "\n" + name + "\n" + nonce)
}

// SM2LoginRequest is a signed answer to a Challenge.
type SM2LoginRequest struct {
	Tenant        string
	Name          string
	Password      string
	Nonce         string
	Signature     []byte // ASN.1 DER SM2 signature of SM2LoginMessage
	Source        string
	PreviousToken string
}

// LoginSM2 verifies a signed challenge and the password, and starts a
// session.
func (s *Service) LoginSM2(ctx context.Context, req SM2LoginRequest) (*Session, error) {
	acct, src := accountSubject(req.Tenant, req.Name), ""
	if req.Source != "" {
		src = sourceSubject(req.Source)
	}
	entry := audit.Entry{Tenant: req.Tenant, Actor: fieldcrypt.MaskName(req.Name), Action: "auth.login.sm2", Source: req.Source}
	if isLocked, err := s.locked(ctx, acct, src); err != nil {
		return nil, err
	} else if isLocked {
		entry.Outcome, entry.Detail = audit.OutcomeDenied, "locked"
		s.record(ctx, entry)
		return nil, ErrLocked
	}
	failWith := func(detail string, err error) (*Session, error) {
		s.fail(ctx, req.Tenant, req.Name, acct, src)
		entry.Outcome, entry.Detail = audit.OutcomeFailed, detail
		s.record(ctx, entry)
		return nil, err
	}
	tenant, forAcct, expires, err := s.st.takeChallenge(ctx, tokenHash(req.Nonce))
	if errors.Is(err, errs.ErrNotFound) || (err == nil && (tenant != req.Tenant || forAcct != acct || millis(s.now()) >= expires)) {
		return failWith("challenge not usable", errChallengeNotUsable)
	}
	if err != nil {
		return nil, err
	}
	u, err := s.st.userByName(ctx, req.Tenant, req.Name)
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	// The hash is verified even for unknown users so timing does not tell
	// them apart.
	hash := s.dummy
	if u != nil {
		hash = u.hash
	}
	if !VerifyPassword(hash, req.Password) || u == nil || u.Disabled || len(u.sm2Pub) == 0 {
		return failWith("bad credentials", ErrBadCredentials)
	}
	entry.Actor, entry.Target = u.ID, u.ID
	pub, err := gm.ParsePublicKey(u.sm2Pub)
	if err != nil {
		return nil, err
	}
	if !gm.Verify(pub, nil, SM2LoginMessage(req.Tenant, req.Name, req.Nonce), req.Signature) {
		return failWith("bad signature", ErrBadCredentials)
	}
	if err := s.succeeded(ctx, acct, src); err != nil {
		return nil, err
	}
	sess, err := s.newSession(ctx, u, methodSM2Password, req.PreviousToken)
	if err != nil {
		return nil, err
	}
	entry.Outcome, entry.Detail, entry.Target = audit.OutcomeOK, methodSM2Password, fingerprint(tokenHash(sess.Token))
	s.record(ctx, entry)
	return sess, nil
}
