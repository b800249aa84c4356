package system_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/tests/testpbx"

	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
)

// issueToken has the platform's system administrator mint an API token for
// subject in tenant through the admin API; it returns the token and its id.
func issueToken(t *testing.T, c *testpbx.Client, p *testpbx.PBX, tenant, subject string) (token, id string) {
	t.Helper()
	r := c.Do("POST", "/api/v1/tenants/"+tenant+"/tokens", p.BreakGlass, map[string]any{"subject": subject, "name": subject}, nil)
	if r.Code != 201 {
		t.Fatalf("issue token for %s/%s: %d %s", tenant, subject, r.Code, r.Body)
	}
	var v struct{ ID, Token string }
	r.JSON(t, &v)
	return v.Token, v.ID
}

// tryCTI connects with token and returns the client, or the error.
func tryCTI(t *testing.T, p *testpbx.PBX, token string) (*cticlient.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	cl, err := cticlient.Dial(ctx, "ws://"+p.HTTPAddr()+"/cti", cticlient.Options{Token: token})
	if err == nil {
		t.Cleanup(func() { cl.Close() })
	}
	return cl, err
}

// API tokens issued through the admin API open the CTI: the roles the
// security administrator gave the token's subject decide what it may do
// (cti_system → screen pops for anyone, agent → its own agent only). A
// subject without a CTI role, or bound to an agent of another tenant, is
// refused; a revoked token is refused and a connection using it is cut.
// Issuing and revoking are audited.
func TestCTIWithIssuedTokens(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *config.Config) {
		c.Tenants[0].Domains = []string{testpbx.Host(c), "demo.test"}
		c.Tenants = append(c.Tenants, config.Tenant{Name: "other", Domains: []string{"other.test"}, Extensions: []string{"2001-2002"}})
		c.Admin.TenantAdmins = true
		c.CTI.Recheck = 300 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	c := testpbx.NewClient(t, p, "127.0.120.1")
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	otherSec := c.Login("other", "secadmin", p.Admins["other/secadmin"])

	oaTok, oaID := issueToken(t, c, p, "demo", "svc:oa")
	// Without a role the token opens nothing.
	if _, err := tryCTI(t, p, oaTok); err == nil {
		t.Fatal("a token whose subject has no role opened the CTI")
	}
	c.Assign(sec, "svc:oa", "cti_system", nil, "")
	oa, err := tryCTI(t, p, oaTok)
	if err != nil {
		t.Fatalf("OA token: %v", err)
	}
	if h := oa.Hello(); h.Tenant != "demo" || !slices.Equal(h.Roles, []string{protocol.RoleSystem}) {
		t.Fatalf("OA hello = %+v, want tenant demo with the system role", h)
	}
	if err := oa.ScreenPop(ctx, protocol.ScreenPop{Agent: "a1002", Title: "order 42"}); err != nil {
		t.Fatalf("OA screen pop: %v", err)
	}

	barTok, _ := issueToken(t, c, p, "demo", "svc:bar-a1001")
	c.Assign(sec, "svc:bar-a1001", "agent", nil, "a1001")
	bar, err := tryCTI(t, p, barTok)
	if err != nil {
		t.Fatalf("agent token: %v", err)
	}
	if h := bar.Hello(); h.Agent != "a1001" || !slices.Equal(h.Roles, []string{protocol.RoleAgent}) {
		t.Fatalf("agent hello = %+v, want agent a1001", h)
	}
	if err := bar.NotReady(ctx, "a1001", "lunch"); err != nil {
		t.Fatalf("agent's own not-ready: %v", err)
	}
	if err := bar.NotReady(ctx, "a1002", "lunch"); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("agent token set another agent not ready: %v", err)
	}
	if err := bar.ScreenPop(ctx, protocol.ScreenPop{Agent: "a1002"}); err == nil {
		t.Fatal("an agent token sent a screen pop")
	}

	// A role that means nothing on the CTI.
	qaTok, _ := issueToken(t, c, p, "demo", "svc:qa")
	c.Assign(sec, "svc:qa", "qa", []string{"support"}, "")
	if _, err := tryCTI(t, p, qaTok); err == nil {
		t.Fatal("a QA-only token opened the CTI")
	}
	// Tenant "other" binds its token to demo's agent: not an agent there.
	wrongTok, _ := issueToken(t, c, p, "other", "svc:bar-a1001")
	c.Assign(otherSec, "svc:bar-a1001", "agent", nil, "a1001")
	if _, err := tryCTI(t, p, wrongTok); err == nil {
		t.Fatal("another tenant's token opened demo's agent")
	}
	if _, err := tryCTI(t, p, oaTok+"x"); err == nil {
		t.Fatal("a mangled token opened the CTI")
	}

	// Revoke the OA's token: new connections are refused, the live one cut.
	if r := c.Do("DELETE", "/api/v1/tokens/"+oaID, p.BreakGlass, nil, nil); r.Code != 204 {
		t.Fatalf("revoke: %d %s", r.Code, r.Body)
	}
	if _, err := tryCTI(t, p, oaTok); err == nil {
		t.Fatal("a revoked token opened the CTI")
	}
	select {
	case <-oa.Done():
		var ce *websocket.CloseError
		if err := oa.Err(); !errors.As(err, &ce) || ce.Code != protocol.CloseUnauthorized {
			t.Errorf("OA connection ended with %v, want close %d", err, protocol.CloseUnauthorized)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection of a revoked token is still open")
	}
	select {
	case <-bar.Done():
		t.Fatalf("the agent's connection was cut too: %v", bar.Err())
	default:
	}

	// A person's session works too: a supervisor logs in and watches the
	// tenant; logging out ends the CTI connection.
	supID, supSession := c.NewUser(p.BreakGlass, "demo", "carol")
	c.Assign(sec, supID, "supervisor", []string{"support"}, "a1009")
	supCTI, err := tryCTI(t, p, supSession)
	if err != nil {
		t.Fatalf("supervisor session: %v", err)
	}
	if h := supCTI.Hello(); h.Agent != "a1009" || !slices.Equal(h.Roles, []string{protocol.RoleSupervisor}) {
		t.Fatalf("supervisor hello = %+v", h)
	}
	if err := supCTI.ForceState(ctx, "a1002", "not_ready", "meeting"); err != nil {
		t.Fatalf("supervisor force state: %v", err)
	}
	if r := c.Do("POST", "/api/v1/logout", supSession, nil, nil); r.Code != 204 {
		t.Fatalf("logout: %d %s", r.Code, r.Body)
	}
	select {
	case <-supCTI.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the CTI connection of a logged-out session is still open")
	}

	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	rows := c.Audit(aud, "")
	for _, want := range []string{"auth.token.create", "token.create", "auth.token.revoke", "rbac.role.assign"} {
		if !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool { return r.Action == want && r.Outcome == "ok" }) {
			t.Errorf("no %s in the audit log", want)
		}
	}
}
