package admin_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/yimen/yimen/tests/testpbx"
)

// benchGET issues GET path with bearer over one keep-alive connection.
func benchGET(b *testing.B, p *testpbx.PBX, path, bearer string) {
	b.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	req, _ := http.NewRequest("GET", "http://"+p.HTTPAddr()+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
}

// BenchmarkAdminRequest measures what the security gate adds to an admin
// request over loopback HTTP: no gate (health); a session token (SM3 hash
// lookup, idle check, tag-checked rbac rows) on an unaudited read; an API
// token (whose last use is written) on the calls list, an audited read; and
// a CDR read, audited too.
func BenchmarkAdminRequest(b *testing.B) {
	p := testpbx.Start(b)
	tok := testpbx.NewClient(b, p, "").Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	b.Run("health-no-gate", func(b *testing.B) { benchGET(b, p, "/healthz", "") })
	b.Run("session", func(b *testing.B) { benchGET(b, p, "/api/v1/bans", tok) })
	b.Run("api-token", func(b *testing.B) { benchGET(b, p, "/api/v1/calls?tenant=demo", p.AdminToken) })
	b.Run("cdrs-audited", func(b *testing.B) { benchGET(b, p, "/api/v1/cdrs?tenant=demo&limit=1", p.AdminToken) })
}
