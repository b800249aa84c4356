package guard

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// adminCall sends one request through the handler and decodes the body
// into out when given.
func adminCall(t *testing.T, h http.Handler, method, path, body string, out any) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer ok")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if out != nil {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: content type %q", method, path, ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code
}

func bearerOK(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ok" }

func TestAdminAPIListBanLift(t *testing.T) {
	h := newHarness(t, newFakeStore(), nil)
	api := h.g.AdminHandler(bearerOK)

	var list []Ban
	if code := adminCall(t, api, "GET", "/api/v1/bans", "", &list); code != 200 || list == nil || len(list) != 0 {
		t.Fatalf("empty list: %d %v (want 200 and [])", code, list)
	}

	var made Ban
	code := adminCall(t, api, "POST", "/api/v1/bans", `{"ip":"203.0.113.4","reason":"svwar","seconds":90}`, &made)
	if code != http.StatusCreated || made.IP != netip.MustParseAddr("203.0.113.4") || made.Reason != "svwar" ||
		!made.Until.Equal(h.clock.Now().Add(90*time.Second)) {
		t.Fatalf("POST: %d %+v", code, made)
	}
	if !h.g.Banned(made.IP) {
		t.Fatal("POST did not ban")
	}
	if code := adminCall(t, api, "GET", "/api/v1/bans", "", &list); code != 200 || len(list) != 1 || list[0].IP != made.IP {
		t.Fatalf("list after POST: %d %+v", code, list)
	}

	if code := adminCall(t, api, "DELETE", "/api/v1/bans/203.0.113.4", "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	if h.g.Banned(made.IP) {
		t.Fatal("DELETE did not lift")
	}
	var e map[string]string
	if code := adminCall(t, api, "DELETE", "/api/v1/bans/203.0.113.4", "", &e); code != http.StatusNotFound || e["error"] == "" {
		t.Errorf("second DELETE: %d %v, want 404 with an error", code, e)
	}
}

func TestAdminAPIRejectsBadInput(t *testing.T) {
	h := newHarness(t, nil, nil)
	api := h.g.AdminHandler(bearerOK)
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/bans", `{"ip":`, 400},
		{"POST", "/api/v1/bans", `not json`, 400},
		{"POST", "/api/v1/bans", `{"ip":"203.0.113.4","color":"red"}`, 400},
		{"POST", "/api/v1/bans", `{"ip":"999.1.1.1"}`, 400},
		{"POST", "/api/v1/bans", `{"ip":""}`, 400},
		{"POST", "/api/v1/bans", `{"ip":"203.0.113.4","seconds":-1}`, 400},
		{"POST", "/api/v1/bans", `{"ip":"203.0.113.4","seconds":1e300}`, 400},
		{"POST", "/api/v1/bans", `{"ip":"203.0.113.4","seconds":99999999999}`, 400},
		{"POST", "/api/v1/bans", `{"ip":"127.0.0.9"}`, 403},
		{"DELETE", "/api/v1/bans/not-an-ip", "", 400},
	} {
		var e map[string]string
		if code := adminCall(t, api, tc.method, tc.path, tc.body, &e); code != tc.want || e["error"] == "" {
			t.Errorf("%s %s %s: %d %v, want %d with a JSON error", tc.method, tc.path, tc.body, code, e, tc.want)
		}
	}
	if n := len(h.g.Bans()); n != 0 {
		t.Errorf("bad requests made %d bans", n)
	}
	if code := adminCall(t, api, "PUT", "/api/v1/bans", "", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d, want 405", code)
	}
}

func TestAdminAPIRefusesUnauthorized(t *testing.T) {
	h := newHarness(t, nil, nil)
	for _, api := range []http.Handler{
		h.g.AdminHandler(func(*http.Request) bool { return false }),
		h.g.AdminHandler(nil),
	} {
		for _, m := range []string{"GET", "POST", "DELETE"} {
			path := "/api/v1/bans"
			if m == "DELETE" {
				path += "/203.0.113.4"
			}
			req := httptest.NewRequest(m, path, strings.NewReader(`{"ip":"203.0.113.4"}`))
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"error"`) {
				t.Errorf("%s unauthorized: %d %s", m, rec.Code, rec.Body)
			}
		}
	}
	if len(h.g.Bans()) != 0 {
		t.Error("unauthorized POST banned")
	}
}

func TestAdminAPIReportsStoreOutage(t *testing.T) {
	store := newFakeStore()
	h := newHarness(t, store, nil)
	store.setFail(errStoreDown)
	var e map[string]string
	code := adminCall(t, h.g.AdminHandler(bearerOK), "POST", "/api/v1/bans", `{"ip":"203.0.113.4"}`, &e)
	if code != http.StatusServiceUnavailable {
		t.Errorf("POST with store down: %d %v, want 503", code, e)
	}
	if !strings.Contains(h.logs.String(), "guard admin api") {
		t.Error("server-side failure not logged")
	}
}
