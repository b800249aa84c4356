package oa_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/cmd/oa/oaboot"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/tests/testpbx"
)

// oaProc is an OA built and run in process on a data directory that
// outlives it (restart builds it again there).
type oaProc struct {
	*oaboot.OA
	cfg    config.OA
	env    []string
	cancel context.CancelFunc
	done   chan error
	log    *os.File
	// Passwords of the accounts created on the first start, by name.
	Passwords map[string]string
	// Keys are the administrators' SM2 login keys, by name.
	Keys map[string]*gm.PrivateKey
}

// startOA runs an OA for the PBX's demo tenant, its CTI link on the PBX's
// hub with the token the PBX's demo boot wrote, trusting the PBX's
// one-login key.
func startOA(t *testing.T, p *testpbx.PBX) *oaProc {
	t.Helper()
	dir := t.TempDir()
	cfg := config.OADefaults()
	cfg.DataDir = dir
	cfg.Log = config.Log{Level: "debug", Format: "text"}
	cfg.Store.Path = filepath.Join(dir, "oa.db")
	cfg.HTTP.Addr = net.JoinHostPort(testpbx.Loopback(), "0")
	cfg.Tenants = []string{"demo"}
	cfg.Demo.Enabled = true
	cfg.Admin.PasswordIterations = 1000
	cfg.CTI = config.OACTI{}
	if p != nil {
		cfg.CTI = config.OACTI{URL: "ws://" + p.HTTPAddr() + "/cti", TokensFile: filepath.Join(p.Dir, "oa-cti-tokens.txt"), MaxBackoff: 2 * time.Second, PingInterval: time.Second}
		cfg.SSO.PBXPublicKey = filepath.Join(p.Dir, "sso-signing.key.pub")
	}
	cfg.Business.Calendars = testpbx.RepoPath("configs/calendars")
	cfg.Business.SLAInterval = time.Second
	cfg.Business.BaseURL = "http://oa.test"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := &oaProc{cfg: cfg, env: []string{"YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()}, Passwords: map[string]string{}, Keys: map[string]*gm.PrivateKey{}}
	o.start(t)
	for _, c := range o.Created {
		o.Passwords[c.Name] = c.Password
		if !rbac.IsAdminRole(c.Role) {
			continue
		}
		// The administrators' second factor, as PUT /api/v1/sm2-key enrols it.
		u, err := o.Security.Auth.FindUser(t.Context(), c.Tenant, c.Name)
		k, _ := gm.GenerateKey()
		if err == nil {
			err = o.Security.Auth.RegisterSM2Key(t.Context(), u.ID, &k.PublicKey, auth.Proof{Password: c.Password})
		}
		if err != nil {
			t.Fatal(err)
		}
		o.Keys[c.Name] = k
	}
	t.Cleanup(func() { o.stop(t) })
	return o
}

func (o *oaProc) start(t *testing.T) {
	t.Helper()
	var err error
	if o.log, err = os.OpenFile(filepath.Join(o.cfg.DataDir, "oa.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	built, err := oaboot.Build(ctx, o.cfg, o.env, o.log)
	if err != nil {
		cancel()
		t.Fatalf("oa: %v", err)
	}
	// The next start listens where this one did.
	o.cfg.HTTP.Addr = built.HTTP.Addr()
	o.OA, o.cancel, o.done = built, cancel, make(chan error, 1)
	go func() { o.done <- built.Run(ctx) }()
}

// stop ends the OA at once: its context is cancelled wherever it is (a
// call may be in progress), nothing is drained (idempotent).
func (o *oaProc) stop(t *testing.T) {
	t.Helper()
	if o.cancel == nil {
		return
	}
	o.cancel()
	o.cancel = nil
	select {
	case err := <-o.done:
		if err != nil {
			t.Errorf("oa run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("oa did not stop")
	}
	o.log.Close()
	if t.Failed() {
		b, _ := os.ReadFile(filepath.Join(o.cfg.DataDir, "oa.log"))
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		t.Logf("oa log tail:\n%s", b)
	}
}

func (o *oaProc) url(path string) string { return "http://" + o.HTTP.Addr() + path }

// do sends a JSON request with a bearer token and decodes the reply into out.
func (o *oaProc) do(t *testing.T, method, path, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, o.url(path), rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

// login opens a bearer session for a demo account; an administrator signs
// an SM2 challenge as its second factor.
func (o *oaProc) login(t *testing.T, name string) string {
	t.Helper()
	path, body := "/api/v1/login", map[string]any{"tenant": "demo", "name": name, "password": o.Passwords[name], "bearer": true}
	if k := o.Keys[name]; k != nil {
		var ch struct{ Nonce string }
		o.do(t, "POST", "/api/v1/login/challenge", "", map[string]string{"tenant": "demo", "name": name}, &ch)
		sig, err := gm.Sign(k, nil, auth.SM2LoginMessage("demo", name, ch.Nonce))
		if err != nil {
			t.Fatal(err)
		}
		path, body["nonce"], body["signature"] = "/api/v1/login/sm2", ch.Nonce, base64.StdEncoding.EncodeToString(sig)
	}
	var s struct{ Token string }
	if code := o.do(t, "POST", path, "", body, &s); code != 200 {
		t.Fatalf("login %s: %d", name, code)
	}
	return s.Token
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
	}
}

// department is the id of the demo department called name (0: none).
func (o *oaProc) department(t *testing.T, token, name string) int64 {
	t.Helper()
	var deps struct{ Items []oa.Department }
	o.do(t, "GET", "/api/v1/departments", token, nil, &deps)
	for _, d := range deps.Items {
		if d.Name == name {
			return d.ID
		}
	}
	return 0
}
