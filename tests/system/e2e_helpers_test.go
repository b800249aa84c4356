package system_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

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
	return testpbx.RunSIPp(t, sipp.Options{Scenario: scenario, Remote: p.SIPAddr(), LocalIP: ip, User: ext, Password: p.Secrets[ext],
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
	p.Register(t, ext, ip, proc.Port())
	return proc
}
