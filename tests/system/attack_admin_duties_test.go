package system_test

import (
	"encoding/base32"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// The attacks of issue #12 item 4 (三员分立) and item 6 (second factor),
// through the admin HTTP API. docs/security.md lists them in its threat
// model.

// The system administrator resets the auditor's (and the security
// administrator's) password, to log in as them with the password the
// reset shows: refused, and the old passwords still work.
func TestAttackSysadminResetsAuditorPassword(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	for _, victim := range []string{"auditor", "secadmin"} {
		r := c.Do("POST", "/api/v1/tenants/demo/users/"+victim+"/password", sys, nil, nil)
		if r.Code != 403 {
			var v struct {
				Password string `json:"password"`
			}
			if r.Code == 200 {
				r.JSON(t, &v)
				t.Errorf("sysadmin reset %s's password (%d), and logs in as them: %d", victim, r.Code, c.TryLogin("demo", victim, v.Password))
			} else {
				t.Errorf("sysadmin resets %s's password: %d %s, want 403", victim, r.Code, r.Body)
			}
			continue
		}
		for _, action := range []string{"disable", "unlock"} {
			if r := c.Do("POST", "/api/v1/tenants/demo/users/"+victim+"/"+action, sys, nil, nil); r.Code != 403 {
				t.Errorf("sysadmin %s %s: %d, want 403", action, victim, r.Code)
			}
		}
		if code := c.TryLogin("demo", victim, p.Admins["demo/"+victim]); code != 200 {
			t.Errorf("%s's own password after the refused reset: %d, want 200", victim, code)
		}
	}
	// Nor may the system administrator reset its own password without the
	// old one (a stolen session would keep the account).
	if r := c.Do("POST", "/api/v1/tenants/demo/users/sysadmin/password", sys, nil, nil); r.Code != 403 {
		t.Errorf("sysadmin resets its own password: %d, want 403", r.Code)
	}
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	if rows := c.Audit(aud, "action=user.password.reset"); !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool { return r.Outcome == "denied" }) {
		t.Errorf("refused resets in the audit log: %+v", rows)
	}
}

// The system administrator mints an API token for an existing service
// subject that holds a business role (the harness's integration subject,
// which reads every CDR) and reads CDRs with it, which it may not do
// itself: refused.
func TestAttackSysadminMintsTokenForBusinessSubject(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	if r := c.Do("GET", "/api/v1/cdrs?tenant=demo", sys, nil, nil); r.Code != 403 {
		t.Fatalf("sysadmin reads CDRs itself: %d, want 403", r.Code)
	}
	for _, cred := range []struct{ who, token string }{{"sysadmin", sys}, {"break-glass", p.BreakGlass}} {
		r := c.Do("POST", "/api/v1/tenants/demo/tokens", cred.token, map[string]any{"subject": "svc:testpbx", "name": "mine"}, nil)
		if r.Code == 201 {
			var v struct{ Token string }
			r.JSON(t, &v)
			t.Errorf("%s minted a token for svc:testpbx; CDRs with it: %d", cred.who, c.Do("GET", "/api/v1/cdrs?tenant=demo", v.Token, nil, nil).Code)
		} else if r.Code != 403 {
			t.Errorf("%s mints a token for svc:testpbx: %d %s, want 403", cred.who, r.Code, r.Body)
		}
	}
	// A token for a subject with no role yet is still the sysadmin's to
	// mint: the security administrator then gives it a role.
	if r := c.Do("POST", "/api/v1/tenants/demo/tokens", sys, map[string]any{"subject": "svc:new", "name": "new"}, nil); r.Code != 201 {
		t.Errorf("token for a new subject: %d %s, want 201", r.Code, r.Body)
	}
	// And no one gives an administrator role to a machine subject.
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	if r := c.Do("POST", "/api/v1/users/svc:new/roles", sec, map[string]any{"role": "sysadmin"}, nil); r.Code != 403 {
		t.Errorf("sysadmin role for svc:new: %d, want 403", r.Code)
	}
}

// The system administrator deletes a recording (destroying evidence):
// refused; the security administrator may, and the deletion is audited.
func TestAttackSysadminDeletesRecording(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *config.Config) { c.Recording.Policy = "always" })
	c := testpbx.NewClient(t, p, "")
	p.Callee(t, "1002", "127.0.214.2", "uas_answer.xml", true, nil)
	if res := p.Call(t, "1001", "127.0.214.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "1000"}); res.Check(1) != nil {
		t.Fatalf("call: %v", res.Check(1))
	}
	var recs []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		p.AdminJSON(t, "/api/v1/recordings?tenant=demo", &recs)
		if len(recs) == 1 && recs[0].State != "recording" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recordings: %+v, want one finished", recs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	id := recs[0].ID
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	for _, cred := range []struct{ who, token string }{{"sysadmin", sys}, {"break-glass", p.BreakGlass}} {
		if r := c.Do("DELETE", "/api/v1/recordings/"+id, cred.token, nil, nil); r.Code != 403 {
			t.Fatalf("%s deletes recording %s: %d %s, want 403", cred.who, id, r.Code, r.Body)
		}
	}
	if r := c.Do("GET", "/api/v1/recordings/"+id, p.AdminToken, nil, nil); r.Code != 200 {
		t.Fatalf("the recording after the refused deletes: %d", r.Code)
	}
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	if r := c.Do("DELETE", "/api/v1/recordings/"+id, sec, nil, nil); r.Code != 204 {
		t.Fatalf("secadmin deletes recording %s: %d %s, want 204", id, r.Code, r.Body)
	}
	var me struct {
		UserID string `json:"user_id"`
	}
	c.Do("GET", "/api/v1/session", sec, nil, nil).JSON(t, &me)
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	rows := c.Audit(aud, "action=recording.delete")
	if !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool {
		return r.Outcome == "ok" && r.Actor == me.UserID && strings.Contains(r.Target, id)
	}) {
		t.Errorf("the secadmin's deletion is not in the audit log: %+v", rows)
	}
}

// businessUser has the sysadmin create a user without roles, who changes
// the generated password; it returns the new password and a session.
func businessUser(t *testing.T, c *testpbx.Client, p *testpbx.PBX, name string) (password, token string) {
	t.Helper()
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	r := c.Do("POST", "/api/v1/tenants/demo/users", sys, map[string]string{"name": name}, nil)
	if r.Code != 201 {
		t.Fatalf("create %s: %d %s", name, r.Code, r.Body)
	}
	var u struct{ Password string }
	r.JSON(t, &u)
	tok := c.Login("demo", name, u.Password)
	password = "Changed-" + u.Password
	if r := c.Do("POST", "/api/v1/password", tok, map[string]string{"old_password": u.Password, "new_password": password}, nil); r.Code != 204 {
		t.Fatalf("change password of %s: %d %s", name, r.Code, r.Body)
	}
	return password, tok
}

// enrolTOTP enrols and confirms TOTP on session tok and returns the secret.
func enrolTOTP(t *testing.T, c *testpbx.Client, tok, password string) []byte {
	t.Helper()
	r := c.Do("POST", "/api/v1/totp", tok, map[string]string{"algorithm": "SM3", "password": password}, nil)
	if r.Code != 200 {
		t.Fatalf("enrol TOTP: %d %s", r.Code, r.Body)
	}
	var en struct{ Secret string }
	r.JSON(t, &en)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(secret, auth.TOTPSM3, time.Now())
	if r := c.Do("POST", "/api/v1/totp/confirm", tok, map[string]string{"code": code}, nil); r.Code != 204 {
		t.Fatalf("confirm TOTP: %d %s", r.Code, r.Body)
	}
	return secret
}

// Whoever holds a session of a user with TOTP enrols again with no code and
// no password, which used to leave only a pending factor, so a password
// alone logged in again: refused, and the factor stays required.
func TestAttackTOTPReenrolmentWithoutProofDisablesIt(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	pw, tok := businessUser(t, c, p, "totpuser")
	enrolTOTP(t, c, tok, pw)
	for _, body := range []map[string]string{{"algorithm": "SM3"}, {"algorithm": "SM3", "password": pw}} {
		if r := c.Do("POST", "/api/v1/totp", tok, body, nil); r.Code != 403 {
			t.Errorf("re-enrol with %v: %d %s, want 403", body, r.Code, r.Body)
		}
	}
	r := c.Do("POST", "/api/v1/login", "", map[string]any{"tenant": "demo", "name": "totpuser", "password": pw, "bearer": true}, nil)
	if r.Code != 401 || !strings.Contains(string(r.Body), "totp_required") {
		t.Errorf("password-only login after the attempts: %d %s, want 401 totp_required", r.Code, r.Body)
	}
}

// A user whose password was reset (must change it) registers an SM2 key on
// that session, before proving they know a password of their own: refused.
func TestAttackSM2KeyOnMustChangeSession(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	r := c.Do("POST", "/api/v1/tenants/demo/users", sys, map[string]string{"name": "fresh"}, nil)
	if r.Code != 201 {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	var u struct{ Password string }
	r.JSON(t, &u)
	tok := c.Login("demo", "fresh", u.Password)
	key, _ := gm.GenerateKey()
	pub, _ := gm.EncodePublicKeyPEM(&key.PublicKey)
	if r := c.Do("PUT", "/api/v1/sm2-key", tok, map[string]string{"public_key": string(pub), "password": u.Password}, nil); r.Code != 403 {
		t.Errorf("SM2 key on a must-change session: %d %s, want 403", r.Code, r.Body)
	}
	if r := c.Do("POST", "/api/v1/totp", tok, map[string]string{"password": u.Password}, nil); r.Code != 403 {
		t.Errorf("TOTP on a must-change session: %d %s, want 403", r.Code, r.Body)
	}
}

// A user with an SM2 key: a signed challenge without the password (a stolen
// key or token) does not log in; with it, it does.
func TestAttackSM2LoginWithoutPassword(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	pw, tok := businessUser(t, c, p, "keyuser")
	key, _ := gm.GenerateKey()
	pub, _ := gm.EncodePublicKeyPEM(&key.PublicKey)
	if r := c.Do("PUT", "/api/v1/sm2-key", tok, map[string]string{"public_key": string(pub)}, nil); r.Code != 403 {
		t.Errorf("SM2 key without the password: %d, want 403", r.Code)
	}
	if r := c.Do("PUT", "/api/v1/sm2-key", tok, map[string]string{"public_key": string(pub), "password": pw}, nil); r.Code != 204 {
		t.Fatalf("SM2 key with the password: %d %s", r.Code, r.Body)
	}
	login := func(password string) int {
		r := c.Do("POST", "/api/v1/login/challenge", "", map[string]string{"tenant": "demo", "name": "keyuser"}, nil)
		var ch struct{ Nonce string }
		r.JSON(t, &ch)
		sig, err := gm.Sign(key, nil, auth.SM2LoginMessage("demo", "keyuser", ch.Nonce))
		if err != nil {
			t.Fatal(err)
		}
		return c.Do("POST", "/api/v1/login/sm2", "", map[string]any{"tenant": "demo", "name": "keyuser", "password": password,
			"nonce": ch.Nonce, "signature": base64.StdEncoding.EncodeToString(sig), "bearer": true}, nil).Code
	}
	if code := login(""); code != 401 {
		t.Errorf("SM2 login without the password: %d, want 401", code)
	}
	if code := login(pw); code != 200 {
		t.Errorf("SM2 login with the password: %d, want 200", code)
	}
}

// An administrator logging in with a password alone gets a session that may
// only enrol a second factor; once enrolled, password and code open the
// full session. (The harness's administrators otherwise log in with their
// SM2 key and password.)
func TestAttackAdministratorWithOneFactor(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	pw := p.Admins["demo/sysadmin"]
	r := c.Do("POST", "/api/v1/login", "", map[string]any{"tenant": "demo", "name": "sysadmin", "password": pw, "bearer": true}, nil)
	var s struct {
		Token                string `json:"token"`
		SecondFactorRequired bool   `json:"second_factor_required"`
	}
	r.JSON(t, &s)
	if r.Code != 200 || !s.SecondFactorRequired {
		t.Errorf("sysadmin password login: %d %s, want 200 with second_factor_required", r.Code, r.Body)
	}
	for _, path := range []string{"/api/v1/bans", "/api/v1/registrations?tenant=demo"} {
		if r := c.Do("GET", path, s.Token, nil, nil); r.Code != 403 {
			t.Errorf("one-factor sysadmin GET %s: %d, want 403", path, r.Code)
		}
	}
	if r := c.Do("POST", "/api/v1/tenants/demo/users", s.Token, map[string]string{"name": "x"}, nil); r.Code != 403 {
		t.Errorf("one-factor sysadmin creates a user: %d, want 403", r.Code)
	}
	if r := c.Do("GET", "/api/v1/session", s.Token, nil, nil); r.Code != 200 || !strings.Contains(string(r.Body), `"second_factor_required":true`) {
		t.Errorf("one-factor session: %d %s", r.Code, r.Body)
	}
	secret := enrolTOTP(t, c, s.Token, pw)
	if r := c.Do("GET", "/api/v1/bans", s.Token, nil, nil); r.Code != 403 {
		t.Errorf("the one-factor session after enrolling: %d, want 403 (log in again)", r.Code)
	}
	code, _ := auth.TOTPCode(secret, auth.TOTPSM3, time.Now().Add(30*time.Second)) // the confirming step is spent
	r = c.Do("POST", "/api/v1/login", "", map[string]any{"tenant": "demo", "name": "sysadmin", "password": pw, "totp": code, "bearer": true}, nil)
	if r.Code != 200 {
		t.Fatalf("login with password and code: %d %s", r.Code, r.Body)
	}
	r.JSON(t, &s)
	if s.SecondFactorRequired {
		t.Errorf("two-factor login still restricted")
	}
	if r := c.Do("GET", "/api/v1/bans", s.Token, nil, nil); r.Code != 200 {
		t.Errorf("two-factor sysadmin GET /api/v1/bans: %d, want 200", r.Code)
	}
}
