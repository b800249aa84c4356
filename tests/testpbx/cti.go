package testpbx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cticlient "github.com/yimen/yimen/cti/client"
)

// CTIToken is the demo CTI token of role ("system", "supervisor", …) from
// the data directory's cti-tokens.txt ("TOKEN ROLE [agent ID]" lines).
func (p *PBX) CTIToken(t testing.TB, role string) string {
	t.Helper()
	for _, f := range p.ctiTokens(t) {
		if len(f) >= 3 && f[1] == role {
			return f[0]
		}
	}
	t.Fatalf("no %s CTI token", role)
	return ""
}

// AgentCTIToken is the CTI token of role bound to agent (role "agent" for
// the agent's own).
func (p *PBX) AgentCTIToken(t testing.TB, role, agent string) string {
	t.Helper()
	for _, f := range p.ctiTokens(t) {
		if len(f) == 4 && f[1] == role && f[3] == agent {
			return f[0]
		}
	}
	t.Fatalf("no %s CTI token for %s", role, agent)
	return ""
}

func (p *PBX) ctiTokens(t testing.TB) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.Config.DataDir, "cti-tokens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		out = append(out, strings.Fields(line))
	}
	return out
}

// DialCTI connects a CTI client with token for the rest of the test.
func (p *PBX) DialCTI(t testing.TB, token string) *cticlient.Client {
	t.Helper()
	cl, err := cticlient.Dial(t.Context(), "ws://"+p.HTTPAddr()+"/cti", cticlient.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}
