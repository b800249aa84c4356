package system_test

import (
	"fmt"
	"github.com/yimen/yimen/internal/config"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// uas starts a SIPp callee on ip and registers it as ext with the PBX.
func uas(t *testing.T, p *testpbx.PBX, ext, ip, scenario string, echo bool, vars map[string]string) *sipp.Proc {
	t.Helper()
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario(scenario), LocalIP: ip, RTPEcho: echo, Vars: vars, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("start %s: %v", scenario, err)
	}
	t.Cleanup(func() { proc.Stop() })
	register(t, p, ext, ip, proc.Port())
	return proc
}

// register runs a digest REGISTER of ext whose Contact is ip:contactPort.
func register(t *testing.T, p *testpbx.PBX, ext, ip string, contactPort int) {
	t.Helper()
	res := run(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIPAddr(), LocalIP: ip,
		User: ext, Password: p.Secrets[ext], Service: ext,
		Vars: map[string]string{"contact_port": fmt.Sprint(contactPort), "expires": "600"}})
	if err := res.Check(1); err != nil {
		t.Fatalf("register %s: %v", ext, err)
	}
}

func run(t *testing.T, o sipp.Options) *sipp.Result {
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
	requireChallenge(t, o, res)
	return res
}

// requireChallenge fails the test when a SIPp run with credentials
// completed calls the PBX did not challenge: the scenarios accept an
// optional 401 or 407 (so that they also run against a bare SIPp peer),
// the PBX must send one before every call or registration it lets through.
// (A call refused before authentication, such as a 503 while draining,
// does not complete its scenario with credentials: see the drain test.)
func requireChallenge(t *testing.T, o sipp.Options, res *sipp.Result) {
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

// caller runs a SIPp caller as ext.
func caller(t *testing.T, p *testpbx.PBX, ext, ip, scenario, callee string, vars map[string]string) *sipp.Result {
	t.Helper()
	return run(t, sipp.Options{Scenario: scenario, Remote: p.SIPAddr(), LocalIP: ip, User: ext, Password: p.Secrets[ext],
		Service: callee, Vars: vars})
}

// pollLenient is the Lenient of the peers whose scenarios talk in a loop
// of 100 ms receive timeouts so that they can also hang up or take a
// re-INVITE (uas_media.tmpl, uac_media_hold.tmpl): a request that lands
// while SIPp is between two polls counts as unexpected, which on a loaded
// machine aborted calls the PBX handled correctly. Every other peer of the
// call tests runs strict: an unexpected BYE or re-INVITE fails its call.
const pollLenient = true

// holdCaller is caller for uac_media_hold.tmpl, the customer the PBX
// holds and resumes with re-INVITEs (pollLenient).
func holdCaller(t *testing.T, p *testpbx.PBX, ext, ip, scenario, callee string, vars map[string]string) *sipp.Result {
	t.Helper()
	return run(t, sipp.Options{Scenario: scenario, Remote: p.SIPAddr(), LocalIP: ip, User: ext, Password: p.Secrets[ext],
		Service: callee, Vars: vars, Lenient: pollLenient})
}

func expectScenario(t *testing.T, code int, media string) string {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), "uac_expect.tmpl", sipp.Expect{Code: code, Media: media})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// within checks a duration the PBX measured against what the SIPp peers did.
// A busy machine only ever makes the SIPp peers late, so a duration the PBX
// measures (ring, talk, hold) can stretch but not shrink: the upper bound
// allows loadSlack more, so that a loaded CI box does not fail a test whose
// point is that the duration is measured at all, and measured right.
func within(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol+loadSlack {
		t.Errorf("%s = %v, want %v (-%v, +%v)", what, got, want, tol, tol+loadSlack)
	}
}

const loadSlack = 1500 * time.Millisecond

type cfgT = config.Config

// referringPhone registers ext from ip as a SIPp phone that answers its
// first call and, afterMs later, transfers it blind to "to" with a REFER.
func referringPhone(t *testing.T, p *testpbx.PBX, ext, ip, to string, afterMs int) *sipp.Proc {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), "uas_refer.tmpl", struct {
		To      string
		AfterMs int
	}{to, afterMs})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: path, LocalIP: ip, Dir: t.TempDir(), Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	register(t, p, ext, ip, proc.Port())
	return proc
}
