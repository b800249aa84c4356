package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type web struct {
	f   *fixture
	mux *http.ServeMux
}

func newWeb(t *testing.T) *web {
	f := newFixture(t)
	f.user(t, "t1", "alice")
	mux := http.NewServeMux()
	s := f.svc
	mux.Handle("POST /login", s.LoginHandler())
	mux.Handle("POST /logout", s.Middleware(s.LogoutHandler()))
	mux.Handle("GET /session", s.Middleware(s.SessionHandler()))
	protected := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			t.Error("no principal in context")
		}
		w.Write([]byte(p.UserID))
	})
	mux.Handle("/api/", s.Middleware(RequirePasswordCurrent(protected)))
	return &web{f: f, mux: mux}
}

func (w *web) do(method, path, body string, hdr map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:50000"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	w.mux.ServeHTTP(rec, r)
	return rec
}

func (w *web) browserLogin(t *testing.T, cookies ...*http.Cookie) (*http.Cookie, string) {
	t.Helper()
	rec := w.do("POST", "/login", `{"tenant":"t1","name":"alice","password":"`+goodPassword+`"}`, nil, cookies...)
	if rec.Code != 200 {
		t.Fatalf("login status %d: %s", rec.Code, rec.Body)
	}
	var rep sessionReply
	json.Unmarshal(rec.Body.Bytes(), &rep)
	var c *http.Cookie
	for _, k := range rec.Result().Cookies() {
		if k.Name == "yimen_session" {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || rep.CSRFToken == "" || rep.Token != "" {
		t.Fatalf("cookie %+v, reply %+v", c, rep)
	}
	return c, rep.CSRFToken
}

func TestCSRFOnCookieSessions(t *testing.T) {
	w := newWeb(t)
	cookie, csrf := w.browserLogin(t)
	other, otherCSRF := w.browserLogin(t)
	_ = other

	cases := []struct {
		name   string
		method string
		hdr    map[string]string
		want   int
	}{
		{"GET needs no token", "GET", nil, 200},
		{"POST without token", "POST", nil, 403},
		{"POST with wrong token", "POST", map[string]string{"X-CSRF-Token": "bogus"}, 403},
		{"POST with another session's token", "POST", map[string]string{"X-CSRF-Token": otherCSRF}, 403},
		{"DELETE without token", "DELETE", nil, 403},
		{"POST with its own token", "POST", map[string]string{"X-CSRF-Token": csrf}, 200},
	}
	for _, c := range cases {
		if rec := w.do(c.method, "/api/x", "", c.hdr, cookie); rec.Code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.want)
		}
	}
	// The token can be fetched again after a page reload.
	rec := w.do("GET", "/session", "", nil, cookie)
	var rep sessionReply
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if rep.CSRFToken != csrf {
		t.Fatal("session endpoint returns a different CSRF token")
	}
	// Logout is itself CSRF-protected.
	if rec := w.do("POST", "/logout", "", nil, cookie); rec.Code != 403 {
		t.Fatalf("logout without CSRF: %d", rec.Code)
	}
	if rec := w.do("POST", "/logout", "", map[string]string{"X-CSRF-Token": csrf}, cookie); rec.Code != 204 {
		t.Fatalf("logout: %d", rec.Code)
	}
	if rec := w.do("GET", "/api/x", "", nil, cookie); rec.Code != 401 {
		t.Fatalf("after logout: %d", rec.Code)
	}
}

func TestBearerSessionsAndTokensSkipCSRF(t *testing.T) {
	w := newWeb(t)
	rec := w.do("POST", "/login", `{"tenant":"t1","name":"alice","password":"`+goodPassword+`","bearer":true}`, nil)
	var rep sessionReply
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if rep.Token == "" || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("bearer login: %+v", rep)
	}
	if rec := w.do("POST", "/api/x", "", map[string]string{"Authorization": "Bearer " + rep.Token}); rec.Code != 200 {
		t.Fatalf("bearer session POST: %d", rec.Code)
	}
	tok, _, _ := w.f.svc.CreateAPIToken(context.Background(), "t1", "svc:cti", "cti", 0)
	rec = w.do("POST", "/api/x", "", map[string]string{"Authorization": "Bearer " + tok})
	if rec.Code != 200 || rec.Body.String() != "svc:cti" {
		t.Fatalf("API token: %d %s", rec.Code, rec.Body)
	}
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer ymt_nope"}, {"Authorization": "Bearer yms_nope"}} {
		if rec := w.do("GET", "/api/x", "", h); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("%v: status %d", h, rec.Code)
		}
	}
}

func TestHTTPLoginRotatesPlantedCookie(t *testing.T) {
	w := newWeb(t)
	planted := &http.Cookie{Name: "yimen_session", Value: "yms_planted-by-attacker-000000000000000000000"}
	if rec := w.do("GET", "/api/x", "", nil, planted); rec.Code != 401 {
		t.Fatalf("planted cookie authenticates: %d", rec.Code)
	}
	fresh, _ := w.browserLogin(t, planted)
	if fresh.Value == planted.Value {
		t.Fatal("login kept the planted cookie value")
	}
	if rec := w.do("GET", "/api/x", "", nil, planted); rec.Code != 401 {
		t.Fatal("planted cookie works after the victim logs in")
	}
	// Logging in again while holding a valid session replaces it.
	again, _ := w.browserLogin(t, fresh)
	if again.Value == fresh.Value {
		t.Fatal("token not rotated on re-login")
	}
	if rec := w.do("GET", "/api/x", "", nil, fresh); rec.Code != 401 {
		t.Fatal("pre-login session still valid")
	}
}

func TestHTTPLoginErrorsAndLockoutStatus(t *testing.T) {
	w := newWeb(t)
	for i := 0; i < 5; i++ {
		rec := w.do("POST", "/login", `{"tenant":"t1","name":"alice","password":"nope-Nope-1"}`, nil)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), "invalid_credentials") {
			t.Fatalf("bad password: %d %s", rec.Code, rec.Body)
		}
	}
	if rec := w.do("POST", "/login", `{"tenant":"t1","name":"alice","password":"`+goodPassword+`"}`, nil); rec.Code != 429 {
		t.Fatalf("locked login: %d", rec.Code)
	}
	if rec := w.do("POST", "/login", `{"tenant":"t1","unknown":1}`, nil); rec.Code != 400 {
		t.Fatalf("bad body: %d", rec.Code)
	}
}

func TestExpiredPasswordIsConfinedToChanging(t *testing.T) {
	w := newWeb(t)
	ctx := context.Background()
	u, _ := w.f.svc.FindUser(ctx, "t1", "alice")
	w.f.svc.SetPassword(ctx, u.ID, "Reset-by-admin1")
	rec := w.do("POST", "/login", `{"tenant":"t1","name":"alice","password":"Reset-by-admin1","bearer":true}`, nil)
	var rep sessionReply
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if !rep.MustChangePassword {
		t.Fatal("reply does not say the password must change")
	}
	if rec := w.do("GET", "/api/x", "", map[string]string{"Authorization": "Bearer " + rep.Token}); rec.Code != 403 {
		t.Fatalf("expired password reached the API: %d", rec.Code)
	}
	if rec := w.do("GET", "/session", "", map[string]string{"Authorization": "Bearer " + rep.Token}); rec.Code != 200 {
		t.Fatalf("session endpoint must still answer: %d", rec.Code)
	}
}
