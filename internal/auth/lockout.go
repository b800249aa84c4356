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
// exists, so a lock does not reveal existence), per source address, and per
// account from one address. MaxFailures within FailureWindow locks that
// account for that address, or the address for every account, for
// LockoutDuration; while locked, no password is even checked. The account
// itself is locked for everyone only after AccountMaxFailures (guessing
// spread over many addresses), with an alarm already at MaxFailures: a
// stranger with five wrong passwords must not lock the administrators out
// (the break-glass token can always unlock). A success clears the
// account's counters but not the address's, so one valid account cannot be
// used to keep guessing others from the same address.

const (
	kindAccount = "account"
	kindSource  = "source"
	kindPair    = "pair" // one account from one address
)

// pairSubject keys an account's failures from one address.
func pairSubject(acct, src string) string {
	if src == "" {
		return ""
	}
	return acct + "@" + src
}

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
	if until, err = s.st.lockedUntil(ctx, kindPair, pairSubject(acct, src)); err != nil || until > now {
		return until > now, err
	}
	until, err = s.st.lockedUntil(ctx, kindSource, src)
	return until > now, err
}

// fail counts a failure against every subject and locks those that reach
// their limit: the address and the account-from-this-address at
// MaxFailures, the account for everyone at AccountMaxFailures (with an
// alarm at MaxFailures), or at MaxFailures when no address is known.
func (s *Service) fail(ctx context.Context, tenant, name, acct, src string) {
	now := s.now()
	windowStart := millis(now.Add(-s.cfg.FailureWindow))
	for _, sub := range [][2]string{{kindAccount, acct}, {kindSource, src}, {kindPair, pairSubject(acct, src)}} {
		if sub[1] == "" {
			continue
		}
		n, err := s.st.addFailure(ctx, sub[0], sub[1], millis(now), windowStart)
		if err != nil {
			s.log.ErrorContext(ctx, "auth: count failure", "err", err)
			continue
		}
		limit := s.cfg.MaxFailures
		if sub[0] == kindAccount && src != "" {
			limit = s.cfg.AccountMaxFailures
			if n == s.cfg.MaxFailures {
				s.record(ctx, audit.Entry{Tenant: tenant, Actor: "system", Action: "auth.account.attacked", Target: sub[0] + ":" + sub[1],
					Outcome: audit.OutcomeAlarm, Source: src, Detail: "repeated failures from several addresses; name " + fieldcrypt.MaskName(name)})
			}
		}
		if n >= limit {
			if err := s.st.lock(ctx, sub[0], sub[1], millis(now.Add(s.cfg.LockoutDuration))); err != nil {
				s.log.ErrorContext(ctx, "auth: lock", "err", err)
				continue
			}
			s.record(ctx, audit.Entry{Tenant: tenant, Actor: "system", Action: "auth.lockout", Target: sub[0] + ":" + sub[1],
				Outcome: audit.OutcomeAlarm, Source: src, Detail: "locked after repeated failures; name " + fieldcrypt.MaskName(name)})
		}
	}
}

// succeeded clears the account's failures, and the account's from src.
func (s *Service) succeeded(ctx context.Context, acct, src string) error {
	if err := s.st.clearFailures(ctx, kindAccount, acct); err != nil {
		return err
	}
	if src == "" {
		return nil
	}
	return s.st.clearFailures(ctx, kindPair, pairSubject(acct, src))
}

// Unlock clears an account's lockout (an administrator's action).
func (s *Service) Unlock(ctx context.Context, tenant, name string) error {
	if err := s.st.clearFailures(ctx, kindAccount, accountSubject(tenant, name)); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actorFrom(ctx), Action: "auth.unlock", Target: kindAccount + ":" + accountSubject(tenant, name), Outcome: audit.OutcomeOK, Detail: "name " + fieldcrypt.MaskName(name)})
	return nil
}
