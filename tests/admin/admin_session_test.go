package admin_test

import (
	"crypto/tls"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/tests/testpbx"
)

// TestLockoutPerAccountAndPerSource: five failures lock the account (even
// for the right password, from anywhere) and, separately, the source
// address (for every account); the break-glass token can unlock an
// administrator (another administrator cannot); locks expire.
func TestLockoutPerAccountAndPerSource(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	a := testpbx.NewClient(t, p, "127.0.0.71")
	b := testpbx.NewClient(t, p, "127.0.0.72")
	c := testpbx.NewClient(t, p, "127.0.0.73")
	pw := p.Admins["demo/secadmin"]

	// A stranger's five wrong passwords lock the administrator out of the
	// stranger's address only.
	for i := range 5 {
		if code := a.TryLogin("demo", "secadmin", "Wrong-Password-9"); code != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	if code := a.TryLogin("demo", "secadmin", pw); code != 429 {
		t.Errorf("right password from the guessing address: %d, want 429", code)
	}
	if code := b.TryLogin("demo", "secadmin", pw); code != 200 {
		t.Errorf("the administrator from another address after a stranger's guesses: %d, want 200", code)
	}
	// Account: guessing spread over many addresses adds up, and locks it.
	for i := range 20 {
		cl := testpbx.NewClient(t, p, fmt.Sprintf("127.0.0.%d", 100+i))
		if code := cl.TryLogin("demo", "secadmin", "Wrong-Password-9"); code != 401 {
			t.Fatalf("spread failure %d: %d, want 401", i+1, code)
		}
	}
	if code := c.TryLogin("demo", "secadmin", pw); code != 429 {
		t.Errorf("right password on a locked account from a fresh address: %d, want 429", code)
	}
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	if r := c.Do("POST", "/api/v1/tenants/demo/users/secadmin/unlock", sys, nil, nil); r.Code != 403 {
		t.Errorf("sysadmin unlocks secadmin: %d %s, want 403", r.Code, r.Body)
	}
	if r := c.Do("POST", "/api/v1/tenants/demo/users/secadmin/unlock", p.BreakGlass, nil, nil); r.Code != 204 {
		t.Fatalf("unlock: %d %s", r.Code, r.Body)
	}
	if code := c.TryLogin("demo", "secadmin", pw); code != 200 {
		t.Errorf("after unlock: %d, want 200", code)
	}

	// Source: five failures on different (even unknown) accounts lock the address.
	d := testpbx.NewClient(t, p, "127.0.0.74")
	for i, name := range []string{"auditor", "nobody", "sysadmin", "ghost", "auditor"} {
		if code := d.TryLogin("demo", name, "Wrong-Password-9"); code != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	if code := d.TryLogin("demo", "sysadmin", p.Admins["demo/sysadmin"]); code != 429 {
		t.Errorf("right password from a locked address: %d, want 429", code)
	}
	if code := c.TryLogin("demo", "sysadmin", p.Admins["demo/sysadmin"]); code != 200 {
		t.Errorf("same account from another address: %d, want 200", code)
	}
	// The lock ends by itself: move its end into the past (15 minutes on).
	if _, err := p.DB.SQL().ExecContext(t.Context(), `UPDATE auth_failures SET locked_until = 1, window_start = 1 WHERE kind = 'source'`); err != nil {
		t.Fatal(err)
	}
	if code := d.TryLogin("demo", "sysadmin", p.Admins["demo/sysadmin"]); code != 200 {
		t.Errorf("after the lock expired: %d, want 200", code)
	}
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	if rows := c.Audit(aud, "action=auth.lockout"); len(rows) < 2 {
		t.Errorf("lockouts in the audit log: %+v, want the account's and the address's", rows)
	}
}

// browserLogin logs in without "bearer": the token comes as a cookie and
// the CSRF token in the body.
func browserLogin(t *testing.T, c *testpbx.Client, tenant, name, password string, cookie *http.Cookie) (*http.Cookie, string) {
	t.Helper()
	hdr := map[string]string{}
	if cookie != nil {
		hdr["Cookie"] = cookie.String()
	}
	path, body := c.LoginRequest(tenant, name, password)
	r := c.Do("POST", path, "", body, hdr)
	if r.Code != 200 {
		t.Fatalf("browser login: %d %s", r.Code, r.Body)
	}
	var v struct {
		CSRF  string `json:"csrf_token"`
		Token string `json:"token"`
	}
	r.JSON(t, &v)
	if v.Token != "" {
		t.Errorf("a browser login returned the session token in the body")
	}
	res := http.Response{Header: r.Header}
	for _, ck := range res.Cookies() {
		if ck.Name == "yimen_session" {
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie %v: want HttpOnly and SameSite=Strict", ck)
			}
			return &http.Cookie{Name: ck.Name, Value: ck.Value}, v.CSRF
		}
	}
	t.Fatalf("no session cookie in %v", r.Header)
	return nil, ""
}

// TestSessionFixationAndCSRF: a session id planted before login is never
// adopted, a second login replaces the session, and cookie sessions need
// the CSRF token on every change.
func TestSessionFixationAndCSRF(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	pw := p.Admins["demo/sysadmin"]

	planted := &http.Cookie{Name: "yimen_session", Value: "yms_" + strings.Repeat("A", 43)}
	ck, csrf := browserLogin(t, c, "demo", "sysadmin", pw, planted)
	if ck.Value == planted.Value {
		t.Fatal("the planted session id was adopted")
	}
	if r := c.Do("GET", "/api/v1/session", "", nil, map[string]string{"Cookie": planted.String()}); r.Code != 401 {
		t.Errorf("planted id after login: %d, want 401", r.Code)
	}
	if r := c.Do("GET", "/api/v1/session", "", nil, map[string]string{"Cookie": ck.String()}); r.Code != 200 {
		t.Fatalf("new session: %d %s", r.Code, r.Body)
	}
	// Logging in again from the same browser ends the old session.
	ck2, csrf2 := browserLogin(t, c, "demo", "sysadmin", pw, ck)
	if ck2.Value == ck.Value || csrf2 == csrf {
		t.Fatal("second login kept the session id or CSRF token")
	}
	if r := c.Do("GET", "/api/v1/session", "", nil, map[string]string{"Cookie": ck.String()}); r.Code != 401 {
		t.Errorf("first session after the second login: %d, want 401", r.Code)
	}

	// CSRF: a change with the cookie alone (what a cross-site form sends) is refused.
	create := func(name string, hdr map[string]string) int {
		hdr["Cookie"] = ck2.String()
		return c.Do("POST", "/api/v1/tenants/demo/users", "", map[string]string{"name": name}, hdr).Code
	}
	if code := create("csrf1", map[string]string{}); code != 403 {
		t.Errorf("POST with the cookie and no CSRF token: %d, want 403", code)
	}
	if code := create("csrf2", map[string]string{"X-CSRF-Token": csrf}); code != 403 {
		t.Errorf("POST with the previous session's CSRF token: %d, want 403", code)
	}
	if code := create("csrf3", map[string]string{"X-CSRF-Token": csrf2}); code != 201 {
		t.Errorf("POST with the right CSRF token: %d, want 201", code)
	}
	if r := c.Do("GET", "/api/v1/bans", "", nil, map[string]string{"Cookie": ck2.String()}); r.Code != 200 {
		t.Errorf("GET with the cookie only: %d, want 200", r.Code)
	}
	// Logout (itself CSRF-checked) ends the session.
	if r := c.Do("POST", "/api/v1/logout", "", nil, map[string]string{"Cookie": ck2.String()}); r.Code != 403 {
		t.Errorf("logout without the CSRF token: %d, want 403", r.Code)
	}
	if r := c.Do("POST", "/api/v1/logout", "", nil, map[string]string{"Cookie": ck2.String(), "X-CSRF-Token": csrf2}); r.Code != 204 {
		t.Errorf("logout: %d %s", r.Code, r.Body)
	}
	if r := c.Do("GET", "/api/v1/session", "", nil, map[string]string{"Cookie": ck2.String()}); r.Code != 401 {
		t.Errorf("session after logout: %d, want 401", r.Code)
	}
}

// TestIdleTimeoutAndLifetime moves a session's last activity back with raw
// SQL: 29 idle minutes keep it, 30 end it; so does its absolute end.
func TestIdleTimeoutAndLifetime(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	db := p.DB.SQL()
	tok := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	age := func(minutes int) {
		t.Helper()
		at := time.Now().Add(-time.Duration(minutes) * time.Minute).UnixMilli()
		if _, err := db.ExecContext(t.Context(), `UPDATE auth_sessions SET last_seen = ?`, at); err != nil {
			t.Fatal(err)
		}
	}
	age(29)
	if r := c.Do("GET", "/api/v1/bans", tok, nil, nil); r.Code != 200 {
		t.Fatalf("after 29 idle minutes: %d, want 200", r.Code)
	}
	age(30)
	if r := c.Do("GET", "/api/v1/bans", tok, nil, nil); r.Code != 401 {
		t.Errorf("after 30 idle minutes: %d, want 401", r.Code)
	}
	if r := c.Do("GET", "/api/v1/bans", tok, nil, nil); r.Code != 401 {
		t.Errorf("an expired session came back: %d", r.Code)
	}
	tok = c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	if _, err := db.ExecContext(t.Context(), `UPDATE auth_sessions SET expires_at = ?`, time.Now().Add(-time.Second).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if r := c.Do("GET", "/api/v1/bans", tok, nil, nil); r.Code != 401 {
		t.Errorf("past the absolute lifetime: %d, want 401", r.Code)
	}
}

// TestSecondFactorsTOTPAndSM2: a user enrols TOTP (HMAC-SM3), proving the
// password, and then needs the code to log in; a user with a registered SM2
// key logs in by signing a challenge with the password, and a replayed or
// forged signature fails.
func TestSecondFactorsTOTPAndSM2(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	pw := p.Admins["demo/auditor"]
	tok := c.Login("demo", "auditor", pw)

	r := c.Do("POST", "/api/v1/totp", tok, map[string]string{"algorithm": "SM3", "password": pw}, nil)
	if r.Code != 200 {
		t.Fatalf("enrol: %d %s", r.Code, r.Body)
	}
	var en struct{ Secret, URI string }
	r.JSON(t, &en)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	if err != nil {
		t.Fatalf("secret %q: %v", en.Secret, err)
	}
	now := time.Now()
	code, _ := auth.TOTPCode(secret, auth.TOTPSM3, now)
	if r := c.Do("POST", "/api/v1/totp/confirm", tok, map[string]string{"code": code}, nil); r.Code != 204 {
		t.Fatalf("confirm: %d %s", r.Code, r.Body)
	}
	if r := c.Do("POST", "/api/v1/login", "", map[string]any{"tenant": "demo", "name": "auditor", "password": pw, "bearer": true}, nil); r.Code != 401 || !strings.Contains(string(r.Body), "totp_required") {
		t.Errorf("login without the code: %d %s", r.Code, r.Body)
	}
	next, _ := auth.TOTPCode(secret, auth.TOTPSM3, now.Add(30*time.Second)) // the confirmed step's code is spent
	if r := c.Do("POST", "/api/v1/login", "", map[string]any{"tenant": "demo", "name": "auditor", "password": pw, "totp": next, "bearer": true}, nil); r.Code != 200 {
		t.Errorf("login with the code: %d %s", r.Code, r.Body)
	}

	// SM2 challenge-response.
	key, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := gm.EncodePublicKeyPEM(&key.PublicKey)
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	if r := c.Do("PUT", "/api/v1/sm2-key", sec, map[string]string{"public_key": string(pub), "password": p.Admins["demo/secadmin"]}, nil); r.Code != 204 {
		t.Fatalf("register key: %d %s", r.Code, r.Body)
	}
	challenge := func() string {
		r := c.Do("POST", "/api/v1/login/challenge", "", map[string]string{"tenant": "demo", "name": "secadmin"}, nil)
		var v struct {
			Nonce string `json:"nonce"`
		}
		r.JSON(t, &v)
		return v.Nonce
	}
	signed := func(k *gm.PrivateKey, nonce string) map[string]any {
		sig, err := gm.Sign(k, nil, auth.SM2LoginMessage("demo", "secadmin", nonce))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{"tenant": "demo", "name": "secadmin", "password": p.Admins["demo/secadmin"], "nonce": nonce, "signature": base64.StdEncoding.EncodeToString(sig), "bearer": true}
	}
	nonce := challenge()
	body := signed(key, nonce)
	if r := c.Do("POST", "/api/v1/login/sm2", "", body, nil); r.Code != 200 {
		t.Fatalf("SM2 login: %d %s", r.Code, r.Body)
	}
	if r := c.Do("POST", "/api/v1/login/sm2", "", body, nil); r.Code != 401 {
		t.Errorf("replayed SM2 login: %d, want 401", r.Code)
	}
	other, _ := gm.GenerateKey()
	if r := c.Do("POST", "/api/v1/login/sm2", "", signed(other, challenge()), nil); r.Code != 401 {
		t.Errorf("SM2 login signed by another key: %d, want 401", r.Code)
	}
}

// TestSecondFactorForEveryone: admin.second_factor: everyone restricts a
// business user's password-only session the way an administrator's is.
func TestSecondFactorForEveryone(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *config.Config) { c.Admin.SecondFactor = config.SecondFactorEveryone })
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	id, tok := c.NewUser(sys, "demo", "sup1")
	c.Assign(sec, id, "supervisor", []string{"q1"}, "")
	if r := c.Do("GET", "/api/v1/cdrs?tenant=demo&queue=q1", tok, nil, nil); r.Code != 403 || !strings.Contains(string(r.Body), "two factors") {
		t.Errorf("supervisor with a password only: %d %s, want 403 asking for a second factor", r.Code, r.Body)
	}
	if r := c.Do("GET", "/api/v1/session", tok, nil, nil); !strings.Contains(string(r.Body), `"second_factor_required":true`) {
		t.Errorf("session: %d %s", r.Code, r.Body)
	}
}

// TestHTTPAPIOverTLS: with http.tls_cert the API speaks only TLS and the
// session cookie is Secure.
func TestHTTPAPIOverTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := testpbx.SelfSigned(t)
	p := testpbx.Start(t, func(c *config.Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = certFile, keyFile })
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
	res, err := hc.Post("https://"+p.HTTPAddr()+"/api/v1/login", "application/json",
		strings.NewReader(`{"tenant":"demo","name":"sysadmin","password":"`+p.Admins["demo/sysadmin"]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("login over TLS: %d, %+v", res.StatusCode, res.TLS)
	}
	if cks := res.Cookies(); len(cks) != 1 || !cks[0].Secure {
		t.Errorf("cookies %v: want one Secure session cookie", cks)
	}
	if res, err := http.Get("http://" + p.HTTPAddr() + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
}
