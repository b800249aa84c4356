package oaapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa/knowledge"
)

// The agent bar is served by the PBX, on another origin, and the OA talks
// to the PBX only through the CTI websocket. For suggestions while an
// agent types, the bar trades a one-login token (minted by the PBX for the
// signed-in agent) for a knowledge token: short-lived, signed by this OA
// with a key that lives only in this process, naming the tenant and the
// user, and taken by the /api/v1/knowledge/bar/ routes alone. It is no
// session: every other route refuses it (401), so it reads neither tickets
// nor customers. Those routes answer CORS only to the configured PBX
// origins (sso.bar_origins) and refuse a browser of any other origin.

// barTokenTTL is how long a knowledge token lasts; the bar trades a new
// one-login token when it runs out (or the OA restarts).
const barTokenTTL = 10 * time.Minute

const barTokenPrefix = "kbt."

// errBarToken refuses a knowledge token that is malformed or forged,
// errBarExpired one that is too old: the bar is told 401 and trades anew.
var (
	errBarToken   = fmt.Errorf("knowledge token not valid: %w", errs.ErrForbidden)
	errBarExpired = fmt.Errorf("knowledge token expired: %w", errs.ErrForbidden)
)

// barTokens mints and checks knowledge tokens.
type barTokens struct{ key []byte }

func newBarTokens() barTokens {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand does not fail on the platforms served
	return barTokens{key: k}
}

type barClaims struct {
	Tenant  string `json:"t"`
	UserID  string `json:"u"`
	Expires int64  `json:"e"` // Unix seconds
}

func (b barTokens) mint(c barClaims) string {
	body, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(body)
	return barTokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(gm.HMACSM3(b.key, []byte(barTokenPrefix+p)))
}

func (b barTokens) check(tok string, now time.Time) (barClaims, error) {
	rest, ok := strings.CutPrefix(tok, barTokenPrefix)
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return barClaims{}, errBarToken
	}
	// Strict: a signature spelled another way (stray low bits in its last
	// character) is not the same token.
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !gm.HMACSM3Equal(got, gm.HMACSM3(b.key, []byte(barTokenPrefix+p))) {
		return barClaims{}, errBarToken
	}
	var c barClaims
	body, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(body, &c) != nil || c.Tenant == "" || c.UserID == "" {
		return barClaims{}, errBarToken
	}
	if now.Unix() >= c.Expires {
		return barClaims{}, errBarExpired
	}
	return c, nil
}

// barCORS answers a bar route's CORS: the allowed origin is echoed (with
// Vary: Origin); a browser of another origin gets no CORS header and is
// refused, so neither its preflight nor its request goes further. A
// request without Origin (not from a browser page) passes.
func (a *API) barCORS(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if !slices.Contains(a.d.BarOrigins, origin) {
		a.d.Log.Warn("knowledge bar request from an origin not in sso.bar_origins", "origin", origin, "path", r.URL.Path)
		httpx.WriteError(w, http.StatusForbidden, "origin not allowed")
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	return true
}

// kbBarPreflight answers the browser's OPTIONS before a bar request.
func (a *API) kbBarPreflight(w http.ResponseWriter, r *http.Request) {
	if a.barCORS(w, r) {
		w.WriteHeader(http.StatusNoContent)
	}
}

type barTokenReply struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"` // Unix ms
}

// kbBarToken trades a one-login token for a knowledge token. The one-login
// token is checked and spent as for a session (vouch), and its user must
// read the knowledge base.
func (a *API) kbBarToken(w http.ResponseWriter, r *http.Request) {
	if !a.barCORS(w, r) {
		return
	}
	var in struct {
		Token string `json:"token"`
	}
	if !read(w, r, &in) {
		return
	}
	tenant, name, _, err := a.vouch(r.Context(), in.Token)
	if err != nil {
		a.d.Log.Warn("knowledge token refused", "remote", r.RemoteAddr, "err", err)
		a.auditBar(r, "", "anonymous", audit.OutcomeDenied, err.Error())
		httpx.WriteError(w, http.StatusUnauthorized, "invalid_credentials")
		return
	}
	u, err := a.d.Security.Auth.FindUser(r.Context(), tenant, name)
	if err != nil {
		a.fail(w, r, "issue a knowledge token", err)
		return
	}
	if !a.d.Security.RBAC.Can(r.Context(), &auth.Principal{UserID: u.ID, Tenant: tenant}, rbac.PermOAKnowledgeRead, rbac.Scope{}) {
		a.d.Log.Warn("knowledge token refused: no oa.knowledge.read", "user", u.ID, "tenant", tenant)
		a.auditBar(r, tenant, u.ID, audit.OutcomeDenied, "no oa.knowledge.read")
		httpx.WriteError(w, http.StatusForbidden, "forbidden")
		return
	}
	exp := time.Now().Add(barTokenTTL)
	a.d.Log.Info("knowledge token issued", "user", u.ID, "tenant", tenant, "origin", r.Header.Get("Origin"))
	a.auditBar(r, tenant, u.ID, audit.OutcomeOK, "origin "+r.Header.Get("Origin"))
	httpx.WriteJSON(w, http.StatusOK, barTokenReply{Token: a.bar.mint(barClaims{Tenant: tenant, UserID: u.ID, Expires: exp.Unix()}), ExpiresAt: exp.UnixMilli()})
}

// auditBar records a knowledge token's issue or refusal in the audit
// chain: these routes are public to the guard, which audits the others.
func (a *API) auditBar(r *http.Request, tenant, actor, outcome, detail string) {
	if a.d.Security == nil || a.d.Security.Audit == nil {
		return
	}
	if len(detail) > 200 {
		detail = detail[:200]
	}
	if _, err := a.d.Security.Audit.Append(r.Context(), audit.Entry{Tenant: tenant, Actor: actor, Action: "oa.knowledge.bar_token",
		Outcome: outcome, Source: r.RemoteAddr, Detail: detail}); err != nil {
		a.d.Log.Error("audit the knowledge token", "err", err)
	}
}

// barViewer is the reader a knowledge token stands for, as a reader of
// their department (never All: the token reads what the bar shows an
// agent). The user must still hold oa.knowledge.read.
func (a *API) barViewer(r *http.Request) (string, knowledge.Viewer, error) {
	if a.d.Knowledge == nil || a.d.Security == nil {
		return "", knowledge.Viewer{}, errs.ErrUnavailable
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", knowledge.Viewer{}, errBarToken
	}
	c, err := a.bar.check(strings.TrimSpace(tok), time.Now())
	if err != nil {
		return "", knowledge.Viewer{}, err
	}
	if !a.tenants[c.Tenant] || !a.d.Security.RBAC.Can(r.Context(), &auth.Principal{UserID: c.UserID, Tenant: c.Tenant}, rbac.PermOAKnowledgeRead, rbac.Scope{}) {
		return "", knowledge.Viewer{}, fmt.Errorf("knowledge reading not granted: %w", errs.ErrForbidden)
	}
	st, err := a.d.OA.StaffOf(r.Context(), c.Tenant, c.UserID)
	if err != nil {
		return "", knowledge.Viewer{}, err
	}
	return c.Tenant, knowledge.Viewer{UserID: c.UserID, Department: st.DepartmentID}, nil
}

// kbBarSuggest is GET /knowledge/suggest for the bar's knowledge token.
func (a *API) kbBarSuggest(w http.ResponseWriter, r *http.Request) {
	if !a.barCORS(w, r) {
		return
	}
	tenant, v, err := a.barViewer(r)
	if errors.Is(err, errBarToken) || errors.Is(err, errBarExpired) {
		a.d.Log.Info("knowledge bar request refused", "remote", r.RemoteAddr, "err", err)
		httpx.WriteError(w, http.StatusUnauthorized, "invalid_token")
		return
	}
	a.suggest(w, r, tenant, v, err)
}
