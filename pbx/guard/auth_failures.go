package guard

import (
	"context"
	"log/slog"
	"net/netip"
	"unicode/utf8"
)

// maxAccountBytes bounds what an attacker-chosen user name costs in memory
// and in the log.
const maxAccountBytes = 64

// AuthFailure records a failed digest from ip against account and writes
// the "sip auth failure" line fail2ban reads. Reaching AuthFailuresPerIP
// failures from ip, or AuthFailuresPerAccount failures against account from
// any IPs, within FailureWindow bans ip, the source that is guessing; the
// account itself is never locked, so its owner keeps working from other
// addresses. Allow-listed IPs are counted and logged but never banned.
func (g *Guard) AuthFailure(ctx context.Context, ip netip.Addr, account string) {
	ip = ip.Unmap()
	key := sourceKey(ip)
	now := g.now()
	g.m.authFailures.Inc()
	acct := redactAccount(account)
	perIP := 0
	if ip.IsValid() {
		perIP = g.ipFails.add(key, now)
	}
	perAccount := g.acctFails.add(accountKey(account), now)
	// ip stays the first attribute after msg: fail2ban.conf relies on it.
	g.log.LogAttrs(ctx, slog.LevelWarn, "sip auth failure",
		slog.String("ip", ip.String()),
		slog.String("account", acct),
		slog.Int("ip_failures", perIP),
		slog.Int("account_failures", perAccount))
	if !ip.IsValid() || g.allowed(ip) {
		return
	}
	var reason string
	switch {
	case perIP >= g.cfg.AuthFailuresPerIP:
		reason = "auth failures from ip"
	case perAccount >= g.cfg.AuthFailuresPerAccount:
		reason = "auth failures on account " + acct
	default:
		return
	}
	if g.autoBan(ctx, key, reason, now) {
		g.ipFails.reset(key)
	}
}

// AuthSuccess records a good digest: it clears account's failure count,
// since the owner has evidently fixed a mistyped password. It leaves ip's
// count alone, so one valid credential cannot launder guesses against
// other accounts from the same address.
func (g *Guard) AuthSuccess(ip netip.Addr, account string) {
	g.acctFails.reset(accountKey(account))
}

// accountKey bounds the memory an attacker-chosen user name can take.
func accountKey(account string) string {
	if len(account) <= maxAccountBytes {
		return account
	}
	return account[:maxAccountBytes]
}

// redactAccount makes an account name safe to log: extensions (1001) stay
// readable, while any stretch of 7 or more digits (with - . ( ) or spaces
// between them), which may be a phone number, keeps only its first 3 and
// last 2 digits. Names longer than maxAccountBytes are cut.
func redactAccount(account string) string {
	suffix := ""
	if len(account) > maxAccountBytes {
		cut := maxAccountBytes
		for cut > 0 && !utf8.RuneStart(account[cut]) {
			cut--
		}
		account, suffix = account[:cut], "…"
	}
	b := []byte(account)
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		last, digits := i, 0
		for j := i; j < len(b) && (isDigit(b[j]) || isPhoneSeparator(b[j])); j++ {
			if isDigit(b[j]) {
				last, digits = j, digits+1
			}
		}
		if digits >= 7 {
			seen := 0
			for k := i; k <= last; k++ {
				if isDigit(b[k]) {
					seen++
					if seen > 3 && seen <= digits-2 {
						b[k] = '*'
					}
				}
			}
		}
		i = last + 1
	}
	return string(b) + suffix
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isPhoneSeparator(c byte) bool {
	return c == '-' || c == ' ' || c == '.' || c == '(' || c == ')'
}
