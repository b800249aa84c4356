package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// TOTP follows RFC 6238 (30-second steps, 6 digits, RFC 4226 dynamic
// truncation) with HMAC-SM3 as the hash by default, which is what GB/T
// 39786 asks of a cryptographic second factor; the truncation reads the
// offset from the last byte, which works for SM3's 32-byte output exactly as
// for SHA-256. HMAC-SHA1 is offered because stock authenticator apps only
// speak it; choose it per user at enrolment. One step of clock skew is
// accepted each way, and each step's code is accepted only once.

// TOTP algorithms.
const (
	TOTPSM3  = "SM3"
	TOTPSHA1 = "SHA1"
)

const (
	totpStep   = 30
	totpDigits = 6
)

func totpHash(alg string) (func() hash.Hash, int, error) {
	switch alg {
	case TOTPSM3:
		return gm.NewSM3, 32, nil
	case TOTPSHA1:
		return sha1.New, 20, nil
	}
	return nil, 0, fmt.Errorf("auth: TOTP algorithm %q not SM3 or SHA1: %w", alg, errs.ErrInvalid)
}

// TOTPCode returns the code for secret at time t (what an authenticator shows).
func TOTPCode(secret []byte, alg string, t time.Time) (string, error) {
	h, _, err := totpHash(alg)
	if err != nil {
		return "", err
	}
	return hotp(h, secret, uint64(t.Unix()/totpStep)), nil
}

func hotp(h func() hash.Hash, secret []byte, counter uint64) string {
	m := hmac.New(h, secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	s := strconv.FormatUint(uint64(v%1_000_000), 10)
	for len(s) < totpDigits {
		s = "0" + s
	}
	return s
}

func totpAAD(userID string) []byte { return []byte("auth.totp|" + userID) }

// EnrollTOTP creates a pending second factor for the user and returns its
// base32 secret and otpauth:// URI (for a QR code). It is not required at
// login until ConfirmTOTP proves the user's device has it. Enrolling
// replaces the factor the user has, so it takes the current password and,
// while TOTP is active, its current code: a stolen session cannot turn the
// second factor off by re-enrolling.
func (s *Service) EnrollTOTP(ctx context.Context, userID, alg string, proof Proof) (secret, uri string, err error) {
	if s.seal == nil {
		return "", "", fmt.Errorf("auth: no secret sealer configured for TOTP: %w", errs.ErrUnavailable)
	}
	_, size, err := totpHash(alg)
	if err != nil {
		return "", "", err
	}
	u, err := s.st.userByID(ctx, userID)
	if err != nil {
		return "", "", err
	}
	if err := s.reauthenticate(ctx, u, "auth.totp.enroll", proof); err != nil {
		return "", "", err
	}
	raw := gm.RandomBytes(size)
	sealed, err := s.seal.Seal(raw, totpAAD(userID))
	if err != nil {
		return "", "", err
	}
	if err := s.st.setTOTP(ctx, userID, sealed, alg, false); err != nil {
		return "", "", err
	}
	secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	label := url.PathEscape(s.cfg.TOTPIssuer + ":" + u.Name)
	q := url.Values{"secret": {secret}, "issuer": {s.cfg.TOTPIssuer}, "algorithm": {alg}, "digits": {"6"}, "period": {"30"}}
	return secret, "otpauth://totp/" + label + "?" + q.Encode(), nil
}

// ConfirmTOTP activates a pending second factor when code matches it.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) error {
	u, err := s.st.userByID(ctx, userID)
	if err != nil {
		return err
	}
	if len(u.totpSecret) == 0 {
		return fmt.Errorf("auth: no TOTP enrolment pending: %w", errs.ErrConflict)
	}
	ok, err := s.checkTOTP(ctx, u, code)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("auth: TOTP code wrong: %w", errs.ErrInvalid)
	}
	if err := s.st.activateTOTP(ctx, userID); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: actorFrom(ctx), Action: "auth.totp.enable", Target: userID, Outcome: audit.OutcomeOK, Detail: u.totpAlg})
	return nil
}

// DisableTOTP removes the user's second factor, given the current password
// and code (Proof).
func (s *Service) DisableTOTP(ctx context.Context, userID string, proof Proof) error {
	u, err := s.st.userByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.reauthenticate(ctx, u, "auth.totp.disable", proof); err != nil {
		return err
	}
	if err := s.st.setTOTP(ctx, userID, nil, "", false); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: actorFrom(ctx), Action: "auth.totp.disable", Target: userID, Outcome: audit.OutcomeOK})
	return nil
}

// checkTOTP accepts code for the current step or one step either side,
// each step at most once.
func (s *Service) checkTOTP(ctx context.Context, u *userRow, code string) (bool, error) {
	if s.seal == nil || len(u.totpSecret) == 0 || len(code) != totpDigits {
		return false, nil
	}
	raw, err := s.seal.Open(u.totpSecret, totpAAD(u.ID))
	if err != nil {
		return false, fmt.Errorf("auth: open TOTP secret of %s: %w", u.ID, err)
	}
	h, _, err := totpHash(u.totpAlg)
	if err != nil {
		return false, err
	}
	now := s.now().Unix() / totpStep
	for _, step := range []int64{now - 1, now, now + 1} {
		if step <= u.totpLastStep {
			continue
		}
		if hmac.Equal([]byte(hotp(h, raw, uint64(step))), []byte(code)) {
			return s.st.useTOTPStep(ctx, u.ID, step)
		}
	}
	return false, nil
}
