package testpbx

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/gm"
)

// Client speaks to a test PBX's admin API from one loopback source
// address (the lockout and rate limits are per source).
type Client struct {
	t    testing.TB
	base string
	http *http.Client
	keys map[string]*gm.PrivateKey // PBX.AdminKeys
}

// NewClient returns a client of p's admin API; srcIP "" lets the kernel
// choose the source address.
func NewClient(t testing.TB, p *PBX, srcIP string) *Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	if srcIP != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(srcIP)}, Timeout: 5 * time.Second}
		tr.DialContext = d.DialContext
	}
	return &Client{t: t, base: "http://" + p.HTTPAddr(), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, keys: p.AdminKeys}
}

// Reply is one HTTP answer.
type Reply struct {
	Code   int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v, failing the test when it cannot.
func (r Reply) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Do sends a request with a bearer token (none when ""); body is nil, a
// string sent as it is, or a value sent as JSON.
func (c *Client) Do(method, path, bearer string, body any, hdr map[string]string) Reply {
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
	return Reply{res.StatusCode, b, res.Header}
}

// LoginRequest is the path and body of a full login of name: for a
// first-run administrator the password with a signed SM2 challenge (two
// factors), for anyone else the password. The body asks for a cookie; set
// "bearer" for a token.
func (c *Client) LoginRequest(tenant, name, password string) (path string, body map[string]any) {
	c.t.Helper()
	body = map[string]any{"tenant": tenant, "name": name, "password": password}
	k, ok := c.keys[tenant+"/"+name]
	if !ok {
		return "/api/v1/login", body
	}
	r := c.Do("POST", "/api/v1/login/challenge", "", map[string]string{"tenant": tenant, "name": name}, nil)
	var ch struct {
		Nonce string `json:"nonce"`
	}
	r.JSON(c.t, &ch)
	sig, err := gm.Sign(k, nil, auth.SM2LoginMessage(tenant, name, ch.Nonce))
	if err != nil {
		c.t.Fatal(err)
	}
	body["nonce"], body["signature"] = ch.Nonce, base64.StdEncoding.EncodeToString(sig)
	return "/api/v1/login/sm2", body
}

// Login returns a bearer session token of a full login (LoginRequest),
// failing the test on any other answer.
func (c *Client) Login(tenant, name, password string) string {
	c.t.Helper()
	path, body := c.LoginRequest(tenant, name, password)
	body["bearer"] = true
	r := c.Do("POST", path, "", body, nil)
	if r.Code != 200 {
		c.t.Fatalf("login %s/%s: %d %s", tenant, name, r.Code, r.Body)
	}
	var v struct {
		Token string `json:"token"`
	}
	r.JSON(c.t, &v)
	return v.Token
}

// TryLogin returns the status of a bearer password login (one factor).
func (c *Client) TryLogin(tenant, name, password string) int {
	c.t.Helper()
	return c.Do("POST", "/api/v1/login", "", map[string]any{"tenant": tenant, "name": name, "password": password, "bearer": true}, nil).Code
}

// AuditRow is one row of GET /api/v1/audit.
type AuditRow struct {
	ID      int64  `json:"id"`
	Tenant  string `json:"tenant"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Target  string `json:"target"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

// Audit searches the audit log with an auditor's token (query is the URL
// query without "?").
func (c *Client) Audit(token, query string) []AuditRow {
	c.t.Helper()
	r := c.Do("GET", "/api/v1/audit?"+query, token, nil, nil)
	if r.Code != 200 {
		c.t.Fatalf("audit search: %d %s", r.Code, r.Body)
	}
	var rows []AuditRow
	r.JSON(c.t, &rows)
	return rows
}

// NewUser has the platform's system administrator (sysToken) create name
// in tenant, logs in, checks that the generated password must be changed
// before anything else, changes it, and returns the user's id and a
// session token.
func (c *Client) NewUser(sysToken, tenant, name string) (id, token string) {
	c.t.Helper()
	r := c.Do("POST", "/api/v1/tenants/"+tenant+"/users", sysToken, map[string]string{"name": name}, nil)
	if r.Code != 201 {
		c.t.Fatalf("create user %s/%s: %d %s", tenant, name, r.Code, r.Body)
	}
	var u struct {
		ID       string `json:"id"`
		Password string `json:"password"`
	}
	r.JSON(c.t, &u)
	tok := c.Login(tenant, name, u.Password)
	if r := c.Do("GET", "/api/v1/roles", tok, nil, nil); r.Code != 403 || !strings.Contains(string(r.Body), "password must be changed") {
		c.t.Fatalf("user with a generated password: %d %s before changing it, want 403 asking for a change", r.Code, r.Body)
	}
	if r := c.Do("POST", "/api/v1/password", tok, map[string]string{"old_password": u.Password, "new_password": "Changed-" + u.Password}, nil); r.Code != 204 {
		c.t.Fatalf("change password of %s: %d %s", name, r.Code, r.Body)
	}
	return u.ID, tok
}

// Assign has a security administrator (secToken) give user id a role,
// scoped to queues or to an agent.
func (c *Client) Assign(secToken, id, role string, queues []string, agent string) {
	c.t.Helper()
	r := c.Do("POST", "/api/v1/users/"+id+"/roles", secToken, map[string]any{"role": role, "queues": queues, "agent": agent}, nil)
	if r.Code != 204 {
		c.t.Fatalf("assign %s to %s: %d %s", role, id, r.Code, r.Body)
	}
}

// AuditVerify is the answer of GET /api/v1/audit/verify.
type AuditVerify struct {
	OK        bool   `json:"ok"`
	Rows      int    `json:"rows"`
	BrokenRow int64  `json:"broken_row"`
	Reason    string `json:"reason"`
}

// VerifyAudit has an auditor (token) verify the audit chain.
func (c *Client) VerifyAudit(token string) AuditVerify {
	c.t.Helper()
	r := c.Do("GET", "/api/v1/audit/verify", token, nil, nil)
	if r.Code != 200 {
		c.t.Fatalf("verify: %d %s", r.Code, r.Body)
	}
	var v AuditVerify
	r.JSON(c.t, &v)
	return v
}
