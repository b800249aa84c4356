package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/tests/testpbx"
)

// apiClient speaks to a test PBX's admin API from one loopback source address.
type apiClient struct {
	t    testing.TB
	base string
	http *http.Client
}

func newClient(t testing.TB, p *testpbx.PBX, srcIP string) *apiClient {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	if srcIP != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(srcIP)}, Timeout: 5 * time.Second}
		tr.DialContext = d.DialContext
	}
	return &apiClient{t: t, base: "http://" + p.Server.HTTPAddr(), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// reply is one HTTP answer.
type reply struct {
	code   int
	body   []byte
	header http.Header
}

func (r reply) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// do sends a request; auth is "" (none), "Bearer …" or a *http.Cookie set via hdr.
func (c *apiClient) do(method, path, bearer string, body any, hdr map[string]string) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, b, res.Header}
}

// login returns a bearer session token, failing the test on any other answer.
func (c *apiClient) login(tenant, name, password string) string {
	c.t.Helper()
	r := c.do("POST", "/api/v1/login", "", map[string]any{"tenant": tenant, "name": name, "password": password, "bearer": true}, nil)
	if r.code != 200 {
		c.t.Fatalf("login %s/%s: %d %s", tenant, name, r.code, r.body)
	}
	var v struct {
		Token string `json:"token"`
	}
	r.json(c.t, &v)
	return v.Token
}

// tryLogin returns the status of a bearer login.
func (c *apiClient) tryLogin(tenant, name, password string) int {
	c.t.Helper()
	return c.do("POST", "/api/v1/login", "", map[string]any{"tenant": tenant, "name": name, "password": password, "bearer": true}, nil).code
}

// newUser has the platform sysadmin create name in tenant, logs in and
// replaces the generated password (which must be changed), and returns the
// user's id and a session token.
func newUser(t *testing.T, c *apiClient, p *testpbx.PBX, sysToken, tenant, name string) (id, token string) {
	t.Helper()
	r := c.do("POST", "/api/v1/tenants/"+tenant+"/users", sysToken, map[string]string{"name": name}, nil)
	if r.code != 201 {
		t.Fatalf("create user %s/%s: %d %s", tenant, name, r.code, r.body)
	}
	var u struct {
		ID       string `json:"id"`
		Password string `json:"password"`
	}
	r.json(t, &u)
	tok := c.login(tenant, name, u.Password)
	if r := c.do("GET", "/api/v1/roles", tok, nil, nil); r.code != 403 || !strings.Contains(string(r.body), "password must be changed") {
		t.Fatalf("user with a generated password: %d %s before changing it, want 403 asking for a change", r.code, r.body)
	}
	if r := c.do("POST", "/api/v1/password", tok, map[string]string{"old_password": u.Password, "new_password": "Changed-" + u.Password}, nil); r.code != 204 {
		t.Fatalf("change password of %s: %d %s", name, r.code, r.body)
	}
	return u.ID, tok
}

// assign has a security administrator give user id a role.
func assign(t *testing.T, c *apiClient, secToken, id, role string, queues []string, agent string) {
	t.Helper()
	r := c.do("POST", "/api/v1/users/"+id+"/roles", secToken, map[string]any{"role": role, "queues": queues, "agent": agent}, nil)
	if r.code != 204 {
		t.Fatalf("assign %s to %s: %d %s", role, id, r.code, r.body)
	}
}

// twoTenants adds tenant "other" (with its own administrators) and agent a1
// on extension 1001 of demo.
func twoTenants(c *config.Config) {
	c.Tenants[0].Domains = []string{testpbx.Host(c), "demo.test"}
	c.Tenants[0].Agents = []config.Agent{{ID: "a1", Name: "Agent One", Extension: "1001"}}
	c.Tenants = append(c.Tenants, config.Tenant{Name: "other", Domains: []string{"other.test"}, Extensions: []string{"2001-2002"}})
	c.Admin.TenantAdmins = true
}

type auditRow struct {
	ID      int64  `json:"id"`
	Tenant  string `json:"tenant"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Target  string `json:"target"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

func auditSearch(t *testing.T, c *apiClient, token, query string) []auditRow {
	t.Helper()
	r := c.do("GET", "/api/v1/audit?"+query, token, nil, nil)
	if r.code != 200 {
		t.Fatalf("audit search: %d %s", r.code, r.body)
	}
	var rows []auditRow
	r.json(t, &rows)
	return rows
}
