package registrar

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// AccountSource returns an extension's credentials. Unknown accounts return false.
type AccountSource interface {
	Credentials(tenant, user string) (Credentials, bool)
}

// AlgorithmChooser names the digest algorithms an account is challenged
// with and may answer with, best first. An AccountSource that also
// implements it and TenantResolver gets one challenge per account instead
// of one per configured algorithm.
type AlgorithmChooser interface {
	DigestAlgorithms(tenant, user string) []string
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
	uses     *nonceUses
	accounts AccountSource
	failures FailureSink
	log      *slog.Logger
	now      func() time.Time
}

// maxNonceUses bounds the table of answered nonces (about 150 bytes each).
const maxNonceUses = 1 << 16

// NewAuthenticator builds an authenticator; algs lists the challenge order (e.g. MD5, SHA-256).
func NewAuthenticator(realm string, algs []string, nonceTTL time.Duration, accounts AccountSource, failures FailureSink, log *slog.Logger, now func() time.Time) (*Authenticator, error) {
	ns, err := newNonceSealer(nonceTTL)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Authenticator{realm: realm, algs: algs, nonces: ns, uses: newNonceUses(maxNonceUses, nonceTTL),
		accounts: accounts, failures: failures, log: log, now: now}, nil
}

// Check verifies the request's digest credentials for tenant. proxy selects
// Proxy-Authorization (INVITE and other non-REGISTER requests) over Authorization.
// It returns the authenticated user on OutcomeOK. Besides the password it
// checks what makes a captured answer useless to anyone else: the nonce
// was issued to the address the answer comes from, the digest uri names the
// Request-URI's user (so an INVITE's credentials do not call another
// number), and the nonce count was not used before.
func (a *Authenticator) Check(ctx context.Context, req *sip.Request, tenant string, proxy bool) (string, Outcome) {
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	var c credentials
	found := false
	for _, h := range headersNamed(req, name) {
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
	ip := sourceIP(req)
	ours, fresh, issued := a.nonces.check(c.Nonce, now, ip)
	if !ours {
		return "", OutcomeBadNonce
	}
	if !slices.Contains(a.algorithmsFor(tenant, c.Username), canonicalAlg(c.Algorithm)) {
		a.log.WarnContext(ctx, "sip auth: answer with an algorithm the account is not challenged with", "ip", ip.String(), "account", c.Username, "algorithm", c.Algorithm)
		a.fail(ctx, ip, c.Username, req)
		return "", OutcomeFailed
	}
	if !sameURI(c.URI, req.Recipient) {
		a.log.WarnContext(ctx, "sip auth: digest uri names another user than the Request-URI", "ip", ip.String(), "account", c.Username, "method", string(req.Method))
		a.fail(ctx, ip, c.Username, req)
		return "", OutcomeFailed
	}
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
	nc, err := nonceCount(c)
	if err != nil {
		a.fail(ctx, ip, c.Username, req)
		return "", OutcomeFailed
	}
	if !a.uses.use(c.Nonce, issued, nc, now) {
		a.log.WarnContext(ctx, "sip auth: nonce answered again with the same count, refused as a replay", "ip", ip.String(), "account", c.Username, "method", string(req.Method))
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
	nonce := a.nonces.issue(a.now(), sourceIP(req))
	for _, alg := range a.challengeAlgs(req) {
		res.AppendHeader(sip.NewHeader(header, challenge(a.realm, nonce, alg, stale)))
	}
	return res
}

// algorithmsFor is what user of tenant is challenged with and may answer
// with: the chooser's choice, or every configured algorithm.
func (a *Authenticator) algorithmsFor(tenant, user string) []string {
	if ch, ok := a.accounts.(AlgorithmChooser); ok {
		if algs := ch.DigestAlgorithms(tenant, user); len(algs) > 0 {
			return algs
		}
	}
	return a.algs
}

// challengeAlgs picks the challenges for req: by the account it names (the
// To of a REGISTER, the From of anything else) when the account source can
// choose, else one per configured algorithm.
func (a *Authenticator) challengeAlgs(req *sip.Request) []string {
	tr, ok := a.accounts.(TenantResolver)
	if !ok {
		return a.algs
	}
	host, user := req.Recipient.Host, ""
	if req.Method == sip.REGISTER {
		if to := req.To(); to != nil {
			host, user = to.Address.Host, to.Address.User
		}
	} else if from := req.From(); from != nil {
		user = from.Address.User
	}
	tenant, _ := tr.TenantFor(host)
	return a.algorithmsFor(tenant, user)
}

// canonicalAlg spells an answer's algorithm as the configuration does; no
// algorithm means MD5 (RFC 2617).
func canonicalAlg(alg string) string {
	switch {
	case alg == "" || strings.EqualFold(alg, AlgMD5):
		return AlgMD5
	case strings.EqualFold(alg, AlgSHA256):
		return AlgSHA256
	}
	return alg
}

// sourceIP is the address the request really came from (not what Via claims).
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// sameURI reports whether a digest's uri names the Request-URI's user, so
// credentials captured from an INVITE cannot call another number. The host
// part is not compared: it names this PBX either way, and clients write it
// differently (a domain, an address, with or without the port; SIPp writes
// the address and port it sends to).
func sameURI(digestURI string, ruri sip.Uri) bool {
	if digestURI == ruri.String() {
		return true
	}
	var u sip.Uri
	if err := sip.ParseUri(digestURI, &u); err != nil {
		return false
	}
	return u.User == ruri.User
}

// nonceCount is the answer's nc as a number, 0 when it has no qop.
func nonceCount(c credentials) (uint32, error) {
	if c.QOP == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(c.NC, 16, 32)
	if err != nil || n == 0 {
		return 0, ErrBadAuthHeader
	}
	return uint32(n), nil
}
