package pbxapi

import (
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx/b2bua"
)

// callJSON is a call in progress as GET /api/v1/calls lists it.
type callJSON struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Caller    string    `json:"caller"`
	Callee    string    `json:"callee"`
	State     string    `json:"state"`
	Start     time.Time `json:"start"`
	Answered  time.Time `json:"answered,omitzero"`
	OnHold    bool      `json:"on_hold"`
	CallerRTP string    `json:"caller_rtp,omitempty"` // relay address facing the caller (platform config.read only)
	CalleeRTP string    `json:"callee_rtp,omitempty"` // relay address facing the callee (platform config.read only)
	Connected string    `json:"connected,omitempty"`  // the extension bridged on the callee side (the agent)
	PacketsIn [2]uint64 `json:"packets_in"`           // caller, callee
}

func callJSONOf(c b2bua.CallInfo) callJSON {
	return callJSON{ID: c.ID, Tenant: c.Tenant, Caller: c.Caller, Callee: c.Callee, State: c.State, Start: c.Start,
		Answered: c.Answered, OnHold: c.OnHold, CallerRTP: c.CallerRTP, CalleeRTP: c.CalleeRTP, Connected: c.Connected, PacketsIn: c.PacketsIn}
}

// callList lists the calls in progress the caller may see: their tenant's,
// or an agent's. The relay addresses are shown only to the platform's
// config.read holders (its system administrator): RTP aimed at them by a
// stranger who learnt them competes with the real phones', and no business
// role needs them.
func (a *API) callList(w http.ResponseWriter, r *http.Request) {
	list := a.pbx.Calls()
	q := r.URL.Query()
	media := a.tenancy.Can(r, rbac.PermConfigRead, a.tenancy.PlatformScope(r))
	t := a.tenancy.TenantFilter(r)
	ext, byAgent := "", q.Get("agent") != ""
	if byAgent {
		ext = a.pbx.AgentExtension(t, q.Get("agent"))
	}
	kept := make([]callJSON, 0, len(list))
	for _, c := range list {
		switch {
		case t != "" && c.Tenant != t:
		case q.Get("queue") != "": // calls carry no queue yet
		case byAgent && (ext == "" || (c.Caller != ext && c.Callee != ext)):
		default:
			j := callJSONOf(c)
			if !media {
				j.CallerRTP, j.CalleeRTP = "", ""
			}
			kept = append(kept, j)
		}
	}
	httpx.WriteJSON(w, 200, kept)
}
