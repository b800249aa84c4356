package auth

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/gm"
)

// Failures are counted per account (tenant/name, whether or not the account
// exists, so a lock does not reveal existence) and per source address.
// MaxFailures within FailureWindow locks the account or the address for
// LockoutDuration; while locked, no password is even checked. A success
// clears the account's counter but not the address's, so one valid account
// cannot be used to keep guessing others from the same address.

const (
	kindAccount = "account"
	kindSource  = "source"
)

// accountSubject keys failures and challenges by a hash of tenant/name: the
// names people type into a login form are sometimes their password or their
// phone number, and an unknown name should not sit in the database in clear.
func accountSubject(tenant, name string) string {
	h := gm.SM3([]byte(tenant + "/" + strings.ToLower(name)))
	return hex.EncodeToString(h[:16])
}

// sourceSubject reduces "ip:port" or "ip" to the address; IPv6 addresses
// count per /64, the smallest block a client usually controls.
func sourceSubject(source string) string {
	host := source
	if h, _, err := net.SplitHostPort(source); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func (s *Service) locked(ctx context.Context, acct, src string) (bool, error) {
	now := millis(s.now())
	until, err := s.st.lockedUntil(ctx, kindAccount, acct)
	if err != nil || until > now {
		return until > now, err
	}
	if src == "" {
		return false, nil
	}
	until, err = s.st.lockedUntil(ctx, kindSource, src)
	return until > now, err
}

// fail counts a failure against both subjects and locks those that reach
// the limit.
func (s *Service) fail(ctx context.Context, tenant, name, acct, src string) {
	now := s.now()
	windowStart := millis(now.Add(-s.cfg.FailureWindow))
	for _, sub := range [][2]string{{kindAccount, acct}, {kindSource, src}} {
		if sub[1] == "" {
			continue
		}
		n, err := s.st.addFailure(ctx, sub[0], sub[1], millis(now), windowStart)
		if err != nil {
			s.log.ErrorContext(ctx, "auth: count failure", "err", err)
			continue
		}
		if n >= s.cfg.MaxFailures {
			if err := s.st.lock(ctx, sub[0], sub[1], millis(now.Add(s.cfg.LockoutDuration))); err != nil {
				s.log.ErrorContext(ctx, "auth: lock", "err", err)
				continue
			}
			s.record(ctx, audit.Entry{Tenant: tenant, Actor: "system", Action: "auth.lockout", Target: sub[0] + ":" + sub[1],
				Outcome: audit.OutcomeAlarm, Source: src, Detail: "locked after repeated failures; name " + fieldcrypt.MaskName(name)})
		}
	}
}

// Unlock clears an account's lockout (an administrator's action).
func (s *Service) Unlock(ctx context.Context, tenant, name string) error {
	if err := s.st.clearFailures(ctx, kindAccount, accountSubject(tenant, name)); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actorFrom(ctx), Action: "auth.unlock", Target: kindAccount + ":" + accountSubject(tenant, name), Outcome: audit.OutcomeOK, Detail: "name " + fieldcrypt.MaskName(name)})
	return nil
}
