package oa_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/ssotoken"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/tests/testpbx"
)

// One login: an agent logged in at the PBX gets a one-login token there and
// opens an OA session with it. The token opens its own tenant only, once,
// before it expires, for the OA only, and only when the PBX's key signed it.
func TestOneLoginFromThePBXAndItsTrustBoundary(t *testing.T) {
	p := testpbx.Start(t)
	o := startOA(t, p)
	o.cfg.Tenants = []string{"demo", "acme"} // the next start serves acme too
	o.stop(t)
	o.start(t)

	// A demo agent at the PBX.
	pc := testpbx.NewClient(t, p, "")
	sys := pc.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := pc.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	id, agentSession := pc.NewUser(sys, "demo", "wangfang")
	pc.Assign(sec, id, "agent", nil, "a1001")
	r := pc.Do("POST", "/api/v1/sso/token", agentSession, map[string]string{"audience": "oa"}, nil)
	if r.Code != 200 {
		t.Fatalf("sso token: %d %s", r.Code, r.Body)
	}
	var issued struct{ Token string }
	r.JSON(t, &issued)
	// Neither an administrator nor an API token gets one.
	if r := pc.Do("POST", "/api/v1/sso/token", sys, map[string]string{"audience": "oa"}, nil); r.Code != 403 {
		t.Errorf("sysadmin got a one-login token: %d", r.Code)
	}
	if r := pc.Do("POST", "/api/v1/sso/token", p.AdminToken, map[string]string{"audience": "oa"}, nil); r.Code != 403 {
		t.Errorf("an API token got a one-login token: %d", r.Code)
	}
	if r := pc.Do("POST", "/api/v1/sso/token", agentSession, map[string]string{"audience": "elsewhere"}, nil); r.Code != 400 {
		t.Errorf("unknown audience: %d", r.Code)
	}

	var sess struct {
		Token  string
		Tenant string
		Name   string
	}
	if code := o.do(t, "POST", "/api/v1/sso/login", "", map[string]any{"token": issued.Token, "bearer": true}, &sess); code != 200 || sess.Tenant != "demo" || sess.Name != "wangfang" {
		t.Fatalf("sso login: %d %+v", code, sess)
	}
	var me struct {
		Method string
		Staff  oa.Staff
	}
	o.do(t, "GET", "/api/v1/me", sess.Token, nil, &me)
	if me.Method != "sso" || me.Staff.Agent != "a1001" {
		t.Errorf("me %+v", me)
	}
	// The agent's OA rights came with the token's role.
	var cust oa.Customer
	if code := o.do(t, "POST", "/api/v1/customers", sess.Token, map[string]any{"name": "钱七", "phones": []map[string]string{{"number": "13700137000"}}}, &cust); code != 201 {
		t.Fatalf("agent creates a customer: %d", code)
	}
	// Single use.
	if code := o.do(t, "POST", "/api/v1/sso/login", "", map[string]any{"token": issued.Token, "bearer": true}, nil); code != 401 {
		t.Errorf("a used token opened a second session: %d", code)
	}

	// Tokens the test signs with the PBX's own key (as the PBX would for
	// its users; acme's are the OA's second tenant), and with another key.
	b, err := os.ReadFile(filepath.Join(p.Dir, "sso-signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	pbxKey, err := gm.DecodePrivateKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := gm.GenerateKey()
	sign := func(k *gm.PrivateKey, c ssotoken.Claims, at time.Time) string {
		tok, _, err := ssotoken.Issue(k, c, at)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	acmeAgent := ssotoken.Claims{Issuer: "yimen-pbx", Audience: "oa", Tenant: "acme", Subject: "u-acme", Name: "wangfang", Roles: []string{"agent"}, Agent: "a2001"}
	for name, tok := range map[string]string{
		"expired":          sign(pbxKey, acmeAgent, time.Now().Add(-10*time.Minute)),
		"wrong audience":   sign(pbxKey, func(c ssotoken.Claims) ssotoken.Claims { c.Audience = "wallboard"; return c }(acmeAgent), time.Now()),
		"forged":           sign(otherKey, acmeAgent, time.Now()),
		"unserved tenant":  sign(pbxKey, func(c ssotoken.Claims) ssotoken.Claims { c.Tenant = "globex"; return c }(acmeAgent), time.Now()),
		"administrator":    sign(pbxKey, func(c ssotoken.Claims) ssotoken.Claims { c.Tenant, c.Name = "demo", "sysadmin"; return c }(acmeAgent), time.Now()),
		"not even a token": "hello",
	} {
		if code := o.do(t, "POST", "/api/v1/sso/login", "", map[string]any{"token": tok, "bearer": true}, nil); code != 401 {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}

	// A user of the same name in acme: the session is acme's, and demo's
	// customer is not there for it.
	var acme struct {
		Token  string
		Tenant string
	}
	if code := o.do(t, "POST", "/api/v1/sso/login", "", map[string]any{"token": sign(pbxKey, acmeAgent, time.Now()), "bearer": true}, &acme); code != 200 || acme.Tenant != "acme" {
		t.Fatalf("acme sso login: %d %+v", code, acme)
	}
	if code := o.do(t, "GET", "/api/v1/customers/"+strconv.FormatInt(cust.ID, 10), acme.Token, nil, nil); code != 404 {
		t.Errorf("acme's session reads demo's customer: %d", code)
	}
	var page struct{ Total int }
	o.do(t, "GET", "/api/v1/customers?phone=13700137000", acme.Token, nil, &page)
	if page.Total != 0 {
		t.Errorf("acme's session finds demo's customer by number: %d", page.Total)
	}
	o.do(t, "GET", "/api/v1/customers?phone=13700137000", sess.Token, nil, &page)
	if page.Total != 1 {
		t.Errorf("demo's session does not find its customer: %d", page.Total)
	}
}
