package testpbx

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
)

// RunSIPp runs a SIPp scenario to its end and returns its stats, failing
// the test when SIPp cannot run (skipping it, outside CI, when SIPp is not
// installed). Dir defaults to a test directory, Timeout to 40 s. A run
// with credentials must have been challenged (RequireChallenge).
func RunSIPp(t testing.TB, o sipp.Options) *sipp.Result {
	t.Helper()
	sipp.Require(t)
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Timeout == 0 {
		o.Timeout = 40 * time.Second
	}
	res, err := sipp.Run(t.Context(), o)
	if err != nil {
		t.Fatalf("sipp %s: %v", filepath.Base(o.Scenario), err)
	}
	RequireChallenge(t, o, res)
	return res
}

// RequireChallenge fails the test when a SIPp run with credentials
// completed calls the PBX did not challenge: the scenarios accept an
// optional 401 or 407 (so that they also run against a bare SIPp peer),
// the PBX must send one before every call or registration it lets through.
// (A call refused before authentication, such as a 503 while draining,
// does not complete its scenario with credentials.)
func RequireChallenge(t testing.TB, o sipp.Options, res *sipp.Result) {
	t.Helper()
	if o.Password == "" || o.Remote == "" || res.Successful == 0 {
		return
	}
	c401, c407 := res.Received("401"), res.Received("407")
	if c401 < 0 || c407 < 0 {
		t.Logf("sipp %s: no message counts (SIPp wrote no screen): the challenge is not checked", filepath.Base(o.Scenario))
		return
	}
	if n := c401 + c407; n < res.Successful {
		t.Errorf("sipp %s: %d calls completed but %d digest challenges: the PBX let a request through unauthenticated",
			filepath.Base(o.Scenario), res.Successful, n)
	}
}

// Register runs a digest REGISTER of ext (register.xml) from ip whose
// Contact is ip:contactPort, typically a SIPp callee's port.
func (p *PBX) Register(t testing.TB, ext, ip string, contactPort int) {
	t.Helper()
	res := RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIPAddr(), LocalIP: ip,
		User: ext, Password: p.Secrets[ext], Service: ext,
		Vars: map[string]string{"contact_port": fmt.Sprint(contactPort), "expires": "600"}})
	if err := res.Check(1); err != nil {
		t.Fatalf("register %s: %v", ext, err)
	}
}

// Callee starts a strict SIPp callee (scenario from tests/scenarios) on ip
// for the rest of the test and registers it as ext; echo turns on SIPp's
// RTP echo.
func (p *PBX) Callee(t *testing.T, ext, ip, scenario string, echo bool, vars map[string]string) *sipp.Proc {
	t.Helper()
	sipp.Require(t)
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario(scenario), LocalIP: ip, RTPEcho: echo, Vars: vars,
		Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("start %s: %v", scenario, err)
	}
	t.Cleanup(func() { proc.Stop() })
	p.Register(t, ext, ip, proc.Port())
	return proc
}

// Call runs a strict SIPp caller as ext from ip to callee with the
// scenario at path (sipp.Scenario, or a rendered template).
func (p *PBX) Call(t *testing.T, ext, ip, scenario, callee string, vars map[string]string) *sipp.Result {
	t.Helper()
	return RunSIPp(t, sipp.Options{Scenario: scenario, Remote: p.SIPAddr(), LocalIP: ip, User: ext, Password: p.Secrets[ext],
		Service: callee, Vars: vars})
}
