package guard

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/yimen/yimen/internal/errs"
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
			writeError(w, http.StatusUnauthorized, "unauthorized")
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
	writeJSON(w, http.StatusOK, bans)
}

func (g *Guard) handleCreateBan(w http.ResponseWriter, r *http.Request) {
	var req banRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	ip, err := netip.ParseAddr(req.IP)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad ip")
		return
	}
	if req.Seconds < 0 || req.Seconds > maxBanSeconds {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("seconds must be within 0..%d", maxBanSeconds))
		return
	}
	if len(req.Reason) > 200 {
		writeError(w, http.StatusBadRequest, "reason longer than 200 bytes")
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
	writeJSON(w, http.StatusCreated, b)
}

func (g *Guard) handleLiftBan(w http.ResponseWriter, r *http.Request) {
	ip, err := netip.ParseAddr(r.PathValue("ip"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad ip")
		return
	}
	if err := g.Lift(r.Context(), ip); err != nil {
		g.writeFailure(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeFailure maps an error kind to a status; server faults are logged
// here, once.
func (g *Guard) writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, errs.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, errs.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, errs.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, errs.ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, errs.ErrUnavailable):
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		g.log.LogAttrs(r.Context(), slog.LevelError, "guard admin api", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	writeError(w, status, err.Error())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
