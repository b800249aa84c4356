package pbxapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/callevent"
)

// oneCall is a PBX with one call in progress in tenant demo.
type oneCall struct{ fakePBX }

func (oneCall) Calls() []b2bua.CallInfo {
	return []b2bua.CallInfo{{Call: callevent.Call{ID: "c1", Tenant: "demo", Caller: "1001", Callee: "1002", State: "answered"},
		CallerRTP: "192.0.2.1:30000", CalleeRTP: "192.0.2.1:30002"}}
}

// sysadmin holds config.read in the platform tenant when set.
type sysadmin struct {
	platformOnly
	configRead bool
}

func (s sysadmin) Can(_ *http.Request, perm string, sc rbac.Scope) bool {
	return s.configRead && perm == rbac.PermConfigRead && sc.Tenant == "platform"
}

// TestCallListShowsRelayAddressesToThePlatformOnly: the relay addresses a
// stranger could aim RTP at are in the list for the platform's config.read
// holders and absent (not empty strings) for every other call.monitor holder.
func TestCallListShowsRelayAddressesToThePlatformOnly(t *testing.T) {
	for _, admin := range []bool{false, true} {
		a := New(Deps{PBX: oneCall{}, Tenancy: sysadmin{configRead: admin}})
		w := httptest.NewRecorder()
		a.callList(w, httptest.NewRequest("GET", "/api/v1/calls?tenant=demo", nil))
		var calls []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &calls); err != nil || len(calls) != 1 {
			t.Fatalf("config.read %v: %d %s", admin, w.Code, w.Body)
		}
		_, caller := calls[0]["caller_rtp"]
		_, callee := calls[0]["callee_rtp"]
		if caller != admin || callee != admin {
			t.Errorf("config.read %v: caller_rtp shown %v, callee_rtp shown %v: %s", admin, caller, callee, w.Body)
		}
		if admin && calls[0]["caller_rtp"] != "192.0.2.1:30000" {
			t.Errorf("caller_rtp = %v", calls[0]["caller_rtp"])
		}
	}
}
