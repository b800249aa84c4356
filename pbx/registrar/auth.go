package registrar

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// AccountSource returns an extension's credentials. Unknown accounts return false.
type AccountSource interface {
	Credentials(tenant, user string) (Credentials, bool)
}

// FailureSink is told about every authentication outcome (the guard bans on it).
type FailureSink interface {
	AuthFailure(ctx context.Context, ip netip.Addr, account string)
	AuthSuccess(ip netip.Addr, account string)
}

// Authenticator challenges requests and checks digest answers.
type Authenticator struct {
	realm    string
	algs     []string
	nonces   *nonceSealer
	accounts AccountSource
	failures FailureSink
	log      *slog.Logger
	now      func() time.Time
}

// NewAuthenticator builds an authenticator; algs lists the challenge order (e.g. MD5, SHA-256).
func NewAuthenticator(realm string, algs []string, nonceTTL time.Duration, accounts AccountSource, failures FailureSink, log *slog.Logger, now func() time.Time) (*Authenticator, error) {
	ns, err := newNonceSealer(nonceTTL)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Authenticator{realm: realm, algs: algs, nonces: ns, accounts: accounts, failures: failures, log: log, now: now}, nil
}

// Check verifies the request's digest credentials for tenant. proxy selects
// Proxy-Authorization (INVITE and other non-REGISTER requests) over Authorization.
// It returns the authenticated user on OutcomeOK.
func (a *Authenticator) Check(ctx context.Context, req *sip.Request, tenant string, proxy bool) (string, Outcome) {
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	var c credentials
	found := false
	for _, h := range req.GetHeaders(name) {
		parsed, err := parseCredentials(h.Value())
		if err != nil {
			continue
		}
		if parsed.Realm == a.realm {
			c, found = parsed, true
			break
		}
	}
	if !found {
		return "", OutcomeNoCredentials
	}
	now := a.now()
	ours, fresh := a.nonces.check(c.Nonce, now)
	if !ours {
		return "", OutcomeBadNonce
	}
	ip := sourceIP(req)
	creds, known := a.accounts.Credentials(tenant, c.Username)
	if !known {
		// Do the same work as for a known account so timing does not tell them apart.
		creds = NewCredentials(c.Username, a.realm, "\x00unknown")
	}
	ok, err := verify(c, string(req.Method), creds)
	if err != nil || !ok || !known {
		a.fail(ctx, ip, c.Username, req)
		return "", OutcomeFailed
	}
	if !fresh {
		return "", OutcomeStale
	}
	if a.failures != nil {
		a.failures.AuthSuccess(ip, c.Username)
	}
	return c.Username, OutcomeOK
}

func (a *Authenticator) fail(ctx context.Context, ip netip.Addr, user string, req *sip.Request) {
	if a.failures != nil {
		a.failures.AuthFailure(ctx, ip, user)
		return
	}
	a.log.WarnContext(ctx, "sip auth failure", "ip", ip.String(), "account", user, "method", string(req.Method))
}

// Challenge builds the 401 (or 407 when proxy) response carrying one challenge
// per configured algorithm. Every failure produces this same response shape.
func (a *Authenticator) Challenge(req *sip.Request, proxy, stale bool) *sip.Response {
	code, reason, header := 401, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, header = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	nonce := a.nonces.issue(a.now())
	for _, alg := range a.algs {
		res.AppendHeader(sip.NewHeader(header, challenge(a.realm, nonce, alg, stale)))
	}
	return res
}

// sourceIP is the address the request really came from (not what Via claims).
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
