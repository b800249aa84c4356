// Package adminapi is the platform's admin API, the part every yimen server
// (the PBX now, the OA next) mounts the same way: logging in and out, a
// user's own credentials, users and API tokens, roles and grants, the audit
// log — and the Guard that authenticates, authorizes (internal/rbac) and
// audits (internal/audit) every protected route.Route, whichever package
// declared it. It imports platform packages only; New takes the services,
// Routes returns the routes for the server's own mux:
//
//	api := adminapi.New(adminapi.Deps{Security: sec, KnownTenant: known, Log: log})
//	err := route.Mount(mux, api, append(api.Routes(), ownRoutes...))
package adminapi
