package guard

import (
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/yimen/yimen/internal/httpx"
)

// maxBanSeconds keeps a requested duration well inside time.Duration.
const maxBanSeconds = 10 * 366 * 24 * 3600

// banRequest is the body of POST /api/v1/bans; seconds 0 means BanDuration.
type banRequest struct {
	IP      string `json:"ip"`
	Reason  string `json:"reason"`
	Seconds int64  `json:"seconds"`
}

// AdminHandler serves the ban list: GET /api/v1/bans lists it, POST
// /api/v1/bans {"ip","reason","seconds"} bans, DELETE /api/v1/bans/{ip}
// lifts. Requests authorize rejects get 401; errors are JSON {"error":...}.
func (g *Guard) AdminHandler(authorize func(r *http.Request) bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/bans", g.handleListBans)
	mux.HandleFunc("POST /api/v1/bans", g.handleCreateBan)
	mux.HandleFunc("DELETE /api/v1/bans/{ip}", g.handleLiftBan)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if authorize == nil || !authorize(r) {
			httpx.WriteError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (g *Guard) handleListBans(w http.ResponseWriter, r *http.Request) {
	bans := g.Bans()
	if bans == nil {
		bans = []Ban{}
	}
	httpx.WriteJSON(w, http.StatusOK, bans)
}

func (g *Guard) handleCreateBan(w http.ResponseWriter, r *http.Request) {
	var req banRequest
	if err := httpx.DecodeJSON(w, r, 4<<10, &req); err != nil {
		g.writeFailure(w, r, err)
		return
	}
	ip, err := netip.ParseAddr(req.IP)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "bad ip")
		return
	}
	if req.Seconds < 0 || req.Seconds > maxBanSeconds {
		httpx.WriteError(w, http.StatusBadRequest, fmt.Sprintf("seconds must be within 0..%d", maxBanSeconds))
		return
	}
	if len(req.Reason) > 200 {
		httpx.WriteError(w, http.StatusBadRequest, "reason longer than 200 bytes")
		return
	}
	if err := g.Ban(r.Context(), ip, req.Reason, time.Duration(req.Seconds)*time.Second); err != nil {
		g.writeFailure(w, r, err)
		return
	}
	b, ok := g.lookup(ip)
	if !ok { // lifted or expired in the meantime
		b = Ban{IP: sourceKey(ip), Reason: req.Reason}
	}
	httpx.WriteJSON(w, http.StatusCreated, b)
}

func (g *Guard) handleLiftBan(w http.ResponseWriter, r *http.Request) {
	ip, err := netip.ParseAddr(r.PathValue("ip"))
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "bad ip")
		return
	}
	if err := g.Lift(r.Context(), ip); err != nil {
		g.writeFailure(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeFailure answers through httpx: the error kind's status, a server
// fault logged there once and never shown.
func (g *Guard) writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Fail(w, r, g.log.With("api", "guard admin api"), "cannot change the ban list", err)
}
