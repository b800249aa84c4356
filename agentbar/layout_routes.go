package agentbar

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

// LayoutAPI serves the wallboard layouts: every logged-in user of a tenant
// reads the layout of a role (the wallboard asks for its own); the system
// administrator, who holds config.write, saves them.
type LayoutAPI struct {
	Store LayoutStore
	Log   *slog.Logger
}

// Routes are the layout endpoints, acting in the caller's tenant.
func (a LayoutAPI) Routes() []route.Route {
	return []route.Route{
		{Method: "GET", Pattern: "/api/v1/wallboard/layouts/{role}", Perm: route.AnyUser, Action: "wallboard.layout.read",
			Handler: http.HandlerFunc(a.get)},
		{Method: "PUT", Pattern: "/api/v1/wallboard/layouts/{role}", Perm: rbac.PermConfigWrite, Action: "wallboard.layout.write",
			Limit: 8 << 10, Handler: http.HandlerFunc(a.put)},
	}
}

// target is the caller's tenant and the role named in the path.
func (a LayoutAPI) target(r *http.Request) (tenant, role string, err error) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return "", "", fmt.Errorf("no principal: %w", errs.ErrForbidden)
	}
	role = r.PathValue("role")
	if !slices.Contains(LayoutRoles, role) {
		return "", "", fmt.Errorf("role %q: layouts are kept for %v: %w", role, LayoutRoles, errs.ErrInvalid)
	}
	return p.Tenant, role, nil
}

func (a LayoutAPI) get(w http.ResponseWriter, r *http.Request) {
	tenant, role, err := a.target(r)
	if err != nil {
		httpx.Fail(w, r, a.Log, "cannot read the layout", err)
		return
	}
	l, err := a.Store.Layout(r.Context(), tenant, role)
	if err != nil {
		httpx.Fail(w, r, a.Log, "cannot read the layout", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, l)
}

func (a LayoutAPI) put(w http.ResponseWriter, r *http.Request) {
	tenant, role, err := a.target(r)
	if err != nil {
		httpx.Fail(w, r, a.Log, "cannot save the layout", err)
		return
	}
	var l Layout
	if err := httpx.DecodeJSON(w, r, 8<<10, &l); err != nil {
		httpx.Fail(w, r, a.Log, "cannot save the layout", err)
		return
	}
	if err := l.Validate(); err != nil {
		a.Log.Info("wallboard layout refused", "tenant", tenant, "role", role, "err", err)
		httpx.Fail(w, r, a.Log, "cannot save the layout", fmt.Errorf("%w: %w", err, errs.ErrInvalid))
		return
	}
	if err := a.Store.SaveLayout(r.Context(), tenant, role, l); err != nil {
		httpx.Fail(w, r, a.Log, "cannot save the layout", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
