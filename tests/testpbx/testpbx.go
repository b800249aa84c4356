package testpbx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/yimen/yimen/cmd/pbx/boot"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// PBX is a running test PBX.
type PBX struct {
	*boot.PBX
	Dir     string
	Config  config.Config
	Secrets map[string]string // extension → SIP password
	// AdminToken is an API token of a platform-wide business role
	// ("integration": CDRs, calls, recordings, QA). It hides boot.PBX's
	// AdminToken, which is the break-glass token (BreakGlass here): under
	// the separation of duties no one credential may do both.
	AdminToken string
	// BreakGlass is the static admin token: the platform's sysadmin only.
	BreakGlass string
	// Admins holds the first-run administrators' passwords by "tenant/name".
	Admins map[string]string
	// AdminKeys holds the SM2 login keys the harness registered for the
	// first-run administrators (sysadmin, secadmin, auditor), by
	// "tenant/name": administrators log in with two factors, and
	// Client.Login signs the challenge with these.
	AdminKeys map[string]*gm.PrivateKey
	env       []string
	cancel    context.CancelFunc
	done      chan error
	stopped   bool
}

// Option adjusts the configuration before start.
type Option func(*config.Config)

// testConfig returns the test configuration rooted at dir, listening on an
// address of its own (Loopback).
func testConfig(dir string) config.Config {
	cfg := config.Defaults()
	cfg.DataDir = dir
	cfg.Log = config.Log{Level: "info", Format: "text"}
	cfg.Store.Path = filepath.Join(dir, "yimen.db")
	ip := Loopback()
	cfg.SIP.UDP = net.JoinHostPort(ip, "0")
	cfg.SIP.TCP = net.JoinHostPort(ip, "0")
	cfg.SIP.DigestAlgs = []string{"MD5", "SHA-256"}
	cfg.HTTP.Addr = net.JoinHostPort(ip, "0")
	cfg.RTP.BindIP = ip
	cfg.RTP.PortMin, cfg.RTP.PortMax = 30000, 30099 // the address is the PBX's own
	cfg.Guard.RatePerSec, cfg.Guard.Burst = 2000, 4000
	cfg.Calls.DrainTimeout = 5 * time.Second
	cfg.Demo = config.Demo{Enabled: true, CredentialsFile: filepath.Join(dir, "demo-credentials.txt")}
	cfg.Tenants = []config.Tenant{{Name: "demo", Extensions: []string{"1001-1010"}}}
	cfg.Admin.PasswordIterations = 1000 // the floor: logins in tests should not take 100 ms each
	return cfg
}

// Start starts a PBX that stops when the test ends.
func Start(t testing.TB, opts ...Option) *PBX {
	t.Helper()
	dir := t.TempDir()
	cfg := testConfig(dir)
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("testpbx: config: %v", err)
	}
	p := &PBX{Dir: dir, Config: cfg, Secrets: map[string]string{}, Admins: map[string]string{},
		AdminKeys: map[string]*gm.PrivateKey{},
		env:       []string{"YIMEN_MASTER_KEY=" + keys.GenerateMasterKey(), fmt.Sprintf("YIMEN_ADMIN_TOKEN=test-admin-%016x%016x", rand.Uint64(), rand.Uint64())}}
	p.start(t)
	t.Cleanup(func() { p.Stop(t) })
	return p
}

func (p *PBX) start(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(p.Dir, "pbx.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := boot.BuildPBX(ctx, p.Config, p.env, logf)
	if err != nil {
		cancel()
		t.Fatalf("testpbx: build: %v", err)
	}
	p.PBX, p.cancel, p.done, p.stopped = b, cancel, make(chan error, 1), false
	for _, c := range b.Credentials {
		p.Secrets[c.Ext] = c.Secret
	}
	for _, a := range b.Security.Admins {
		p.Admins[a.Tenant+"/"+a.Name] = a.Password
		if rbac.IsAdminRole(a.Role) {
			if err := p.enrolSM2(ctx, b, a); err != nil {
				cancel()
				t.Fatalf("testpbx: SM2 key of %s/%s: %v", a.Tenant, a.Name, err)
			}
		}
	}
	p.BreakGlass = b.AdminToken
	if p.AdminToken == "" {
		if p.AdminToken, err = integrationToken(ctx, b); err != nil {
			cancel()
			t.Fatalf("testpbx: integration token: %v", err)
		}
	}
	go func() {
		err := b.Run(ctx)
		// As cmd/pbx closes them: the recorder (its files, its playback
		// summaries), then security (the audit head), then the database.
		b.Recorder.Close()
		b.Security.Close()
		b.DB.Close()
		logf.Close()
		p.done <- err
	}()
}

// enrolSM2 gives a first-run administrator an SM2 login key, as one does
// through PUT /api/v1/sm2-key on first login.
func (p *PBX) enrolSM2(ctx context.Context, b *boot.PBX, a boot.AdminCredential) error {
	u, err := b.Security.Platform.Auth.FindUser(ctx, a.Tenant, a.Name)
	if err != nil {
		return err
	}
	k, err := gm.GenerateKey()
	if err != nil {
		return err
	}
	if err := b.Security.Platform.Auth.RegisterSM2Key(ctx, u.ID, &k.PublicKey, auth.Proof{Password: a.Password}); err != nil {
		return err
	}
	p.AdminKeys[a.Tenant+"/"+a.Name] = k
	return nil
}

// Stop drains and stops the PBX (idempotent).
func (p *PBX) Stop(t testing.TB) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("pbx run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("pbx did not stop")
	}
	if t.Failed() {
		if b, err := os.ReadFile(filepath.Join(p.Dir, "pbx.log")); err == nil {
			t.Logf("pbx log tail:\n%s", tail(string(b), 40))
		}
	}
}

// Restart stops the PBX and starts it again on the same data directory.
func (p *PBX) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	p.start(t)
}

// StopAsync begins a graceful stop and returns a channel that yields Run's result.
func (p *PBX) StopAsync() <-chan error {
	p.stopped = true
	p.cancel()
	return p.done
}

// SIPAddr is the SIP listener.
func (p *PBX) SIPAddr() string { return p.Server.SIPAddr() }

// Metric sums the samples of a metric family whose labels include all of want.
func (p *PBX) Metric(t testing.TB, name string, want map[string]string) float64 {
	t.Helper()
	return Gather(t, p.Server.Registry(), name, want)
}

// Gather sums a metric from a registry.
func Gather(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsMatch(m, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

func labelsMatch(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Admin calls the admin API and returns status and body.
func (p *PBX) Admin(t testing.TB, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+p.HTTPAddr()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.credentialFor(path))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// AdminJSON calls the admin API and decodes a 200 reply into v.
func (p *PBX) AdminJSON(t testing.TB, path string, v any) {
	t.Helper()
	code, body := p.Admin(t, "GET", path, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// CDRs returns the tenant's CDRs, newest first, waiting up to 5 s for at least n.
func (p *PBX) CDRs(t testing.TB, n int) []pbxstore.CDR {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var list []pbxstore.CDR
		code, body := p.Admin(t, "GET", "/api/v1/cdrs?tenant=demo&limit=1000", nil)
		if code == 200 {
			var raw []struct {
				ID          string            `json:"id"`
				Disposition string            `json:"disposition"`
				HangupSide  string            `json:"hangup_side"`
				HangupCause string            `json:"hangup_cause"`
				Caller      string            `json:"caller"`
				Callee      string            `json:"callee"`
				RingMS      int64             `json:"ring_ms"`
				TalkMS      int64             `json:"talk_ms"`
				HoldMS      int64             `json:"hold_ms"`
				SIPCode     int               `json:"sip_code"`
				A           pbxstore.LegStats `json:"caller_leg"`
				B           pbxstore.LegStats `json:"callee_leg"`
				Dropped     uint64            `json:"dropped_foreign"`
				Trunk       string            `json:"trunk"`
				RawCaller   string            `json:"raw_caller"`
			}
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			for _, r := range raw {
				list = append(list, pbxstore.CDR{ID: r.ID, Caller: r.Caller, Callee: r.Callee, Disposition: r.Disposition,
					HangupSide: r.HangupSide, HangupCause: r.HangupCause, SIPCode: r.SIPCode,
					Ring: time.Duration(r.RingMS) * time.Millisecond, Talk: time.Duration(r.TalkMS) * time.Millisecond,
					Hold: time.Duration(r.HoldMS) * time.Millisecond, A: r.A, B: r.B, DroppedForeign: r.Dropped,
					Trunk: r.Trunk, RawCaller: r.RawCaller})
			}
		}
		if len(list) >= n || time.Now().After(deadline) {
			return list
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// businessPaths are read with the integration token; every other admin path
// (registrations, secrets, bans, reloads, profiling) is the sysadmin's.
var businessPaths = []string{"/api/v1/cdrs", "/api/v1/calls", "/api/v1/recordings", "/api/v1/qa/"}

func (p *PBX) credentialFor(path string) string {
	for _, b := range businessPaths {
		if strings.HasPrefix(path, b) {
			return p.AdminToken
		}
	}
	return p.BreakGlass
}

// integrationToken gives the platform tenant a business role with
// tenant-wide reads of calls, CDRs and recordings and mints an API token for
// it, as a deployment does for the OA or a reporting system.
func integrationToken(ctx context.Context, b *boot.PBX) (string, error) {
	sec := b.Security.Platform
	const role, subject = "integration", "svc:testpbx"
	for _, perm := range []string{rbac.PermCDRRead, rbac.PermCallMonitor, rbac.PermRecordingRead, rbac.PermQAScoreWrite, rbac.PermCallControl} {
		if err := sec.RBAC.GrantPermission(ctx, nil, sec.PlatformTenant, role, perm, rbac.ScopeTenant); err != nil && !errors.Is(err, errs.ErrConflict) {
			return "", err
		}
	}
	if err := sec.RBAC.AssignRole(ctx, nil, subject, sec.PlatformTenant, role, rbac.Binding{}); err != nil && !errors.Is(err, errs.ErrConflict) {
		return "", err
	}
	tok, _, err := sec.Auth.CreateAPIToken(ctx, sec.PlatformTenant, subject, "testpbx", 0)
	return tok, err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
