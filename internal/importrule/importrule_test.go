package importrule

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/yimen/yimen"

// moduleGraph lists the module's packages and their direct imports within
// the module (test files excluded: a test may import any harness).
func moduleGraph(t *testing.T) Graph {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goBin, "list", "-e", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	g := Graph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		from := rel(f[0])
		g[from] = nil
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module+"/") {
				g[from] = append(g[from], rel(imp))
			}
		}
	}
	return g
}

func rel(importPath string) string { return strings.TrimPrefix(importPath, module+"/") }

func TestModuleKeepsTheImportRule(t *testing.T) {
	g := moduleGraph(t)
	for _, must := range []string{"pbx", "acd", "cti", "internal/store", "cmd/pbx", "oa", "cmd/oa/oaboot"} {
		if _, ok := g[must]; !ok {
			t.Fatalf("go list did not report %s: the graph is not the module's (%d packages)", must, len(g))
		}
	}
	for _, v := range Check(g, Rules()) {
		t.Error(v)
	}
}

// Each rule, shown failing on a deliberately wrong import, and the imports
// the architecture allows passing.
func TestRulesCatchWrongImports(t *testing.T) {
	cases := []struct {
		name  string
		graph Graph
		rule  string // "" when the graph is allowed
	}{
		{"oa imports pbx directly", Graph{"oa": {"pbx"}, "pbx": nil}, "oa and cmd/oa never import"},
		{"oa reaches pbx/b2bua through a helper", Graph{"oa": {"oa/screenpop"}, "oa/screenpop": {"oa/sipclient"}, "oa/sipclient": {"pbx/b2bua"}}, "oa and cmd/oa never import"},
		{"oa uses the CTI client", Graph{"oa": {"cti/client"}, "cti/client": {"cti/protocol"}}, ""},
		{"oa imports the ACD", Graph{"oa/oaapi": {"acd"}}, "oa and cmd/oa never import"},
		{"cmd/oa imports the recorder", Graph{"cmd/oa/oaboot": {"oa", "recorder"}}, "oa and cmd/oa never import"},
		{"cmd/oa reaches the contact centre through a helper", Graph{"cmd/oa": {"cmd/oa/oaboot"}, "cmd/oa/oaboot": {"oa/ctilink"}, "oa/ctilink": {"contactcenter"}}, "oa and cmd/oa never import"},
		{"oa imports the IVR", Graph{"oa": {"ivr"}}, "oa and cmd/oa never import"},
		{"oa imports the CTI hub", Graph{"oa/ctilink": {"cti"}}, "oa and cmd/oa never import"},
		{"cmd/oa wires the OA on the platform", Graph{"cmd/oa/oaboot": {"oa", "oa/ctilink", "oa/oaapi", "internal/adminapi"}, "oa/ctilink": {"cti/client", "cti/protocol", "oa"}}, ""},
		{"acd imports pbx", Graph{"acd": {"pbx/b2bua"}}, "acd imports only"},
		{"acd imports cti", Graph{"acd": {"cti"}}, "acd imports only"},
		{"acd imports its platform packages", Graph{"acd": {"internal/store", "internal/errs"}, "acd/acdapi": {"acd", "internal/rbac"}}, ""},
		{"a platform package imports a feature", Graph{"internal/store": {"recorder"}}, "internal/* imports no feature"},
		{"a platform package imports the contact centre", Graph{"internal/audit": {"contactcenter"}}, "internal/* imports no feature"},
		{"ivr reaches pbx through callsession", Graph{"ivr": {"ivr/callsession"}, "ivr/callsession": {"pbx/b2bua"}}, "ivr never imports pbx"},
		{"the CTI client imports the hub", Graph{"cti/client": {"cti"}}, "cti/client imports only"},
		{"the relay imports the store", Graph{"pbx/media": {"pbx/pbxstore"}}, "the pbx leaves"},
		{"the browser gateway hangs up through the B2BUA", Graph{"pbx/webrtc": {"pbx/sdp", "pbx/b2bua"}}, "pbx/webrtc imports only"},
		{"the browser gateway answers SIP and plays its hold tone", Graph{"pbx/webrtc": {"pbx/sdp", "internal/errs", "internal/prompt"}}, ""},
		{"the CTI adapter takes the B2BUA's types", Graph{"cti": {"cti/protocol", "pbx/b2bua"}}, "cti, recorder and contactcenter reach pbx only through pbx/callevent"},
		{"the recorder reaches the relay through a helper", Graph{"recorder": {"internal/config", "recorder/tap"}, "recorder/tap": {"pbx/media"}}, "cti, recorder and contactcenter reach pbx only through pbx/callevent"},
		{"the contact centre names the B2BUA's monitor modes", Graph{"contactcenter": {"acd", "pbx/b2bua"}}, "cti, recorder and contactcenter reach pbx only through pbx/callevent"},
		{"cti and the recorder hear call events", Graph{"cti": {"acd", "cti/protocol", "pbx/callevent"}, "recorder": {"pbx/callevent", "internal/errs"}}, ""},
		{"the call events import the store", Graph{"pbx/callevent": {"pbx/pbxstore"}}, "pbx/callevent imports nothing"},
		{"the guard answers its ban API with httpx", Graph{"pbx/guard": {"internal/errs", "internal/httpx"}, "internal/httpx": {"internal/errs"}}, ""},
		{"httpx imports rbac", Graph{"internal/httpx": {"internal/rbac"}}, "internal/httpx imports only"},
		{"the B2BUA authorizes a request", Graph{"pbx/b2bua": {"internal/rbac"}}, "the softswitch imports no auth"},
		{"the PBX mounts the admin API itself", Graph{"pbx": {"internal/adminapi"}}, "the softswitch imports no auth"},
		{"the PBX's API guards its routes", Graph{"pbx/pbxapi": {"pbx", "internal/adminapi", "internal/httpx/route", "internal/rbac"}}, ""},
		{"production code imports the test PBX", Graph{"pbx": {"tests/testpbx"}}, "no package imports a test harness"},
		{"production code imports the ACD fakes", Graph{"contactcenter": {"acd/acdtest"}}, "no package imports a test harness"},
		{"production code imports the SIPp runner", Graph{"bench/cmd/flood": {"internal/sipp"}}, "no package imports a test harness"},
		{"the harness imports the wiring", Graph{"tests/testpbx": {"cmd/pbx/boot", "internal/sipp"}, "acd/acdtest": {"acd"}}, ""},
		{"a feature imports the wiring", Graph{"recorder": {"cmd/pbx/boot"}}, "only commands and the test harness import cmd/*"},
	}
	fired := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := Check(c.graph, Rules())
			if c.rule == "" {
				for _, v := range vs {
					t.Errorf("allowed graph reported: %v", v)
				}
				return
			}
			found := false
			for _, v := range vs {
				if strings.HasPrefix(v.Rule, c.rule) {
					found = true
					fired[v.Rule] = true
				} else {
					t.Errorf("unexpected violation: %v", v)
				}
			}
			if !found {
				t.Errorf("no violation of %q in %v", c.rule, vs)
			}
		})
	}
	for _, r := range Rules() {
		if !fired[r.Name] {
			t.Errorf("rule %q is shown failing by no case above", r.Name)
		}
	}
}
