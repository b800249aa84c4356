package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

// Routes is the platform's route table. Grants live per tenant and rbac
// lets only a tenant's own role.write change them, so role routes act in
// the caller's tenant. internal/auth audits logins, failures, lockouts and
// logouts itself, internal/rbac every role change: those routes are Self.
// Nobody can change the audit log through the API: no route would.
func (a *API) Routes() []route.Route {
	f := func(h http.HandlerFunc) http.Handler { return h }
	none := http.HandlerFunc(unavailable)
	var login, challenge, sm2Login, logout, session http.Handler = none, none, none, none, none
	var search, export http.Handler = none, none
	if a.sec != nil {
		login, challenge, sm2Login = a.sec.Auth.LoginHandler(), a.sec.Auth.ChallengeHandler(), a.sec.Auth.SM2LoginHandler()
		logout, session = a.sec.Auth.LogoutHandler(), a.sec.Auth.SessionHandler()
		if a.sec.Audit != nil {
			search, export = a.sec.Audit.SearchHandler(a.auditGate), a.sec.Audit.ExportHandler(a.auditGate)
		}
	}
	own := route.AnyUser
	return []route.Route{
		// Logging in and out, and a user's own credentials.
		{Method: "POST", Pattern: "/api/v1/login", Public: true, Handler: login},
		{Method: "POST", Pattern: "/api/v1/login/challenge", Public: true, Handler: challenge},
		{Method: "POST", Pattern: "/api/v1/login/sm2", Public: true, Handler: sm2Login},
		// Stale: allowed while the password must be changed; Enrol: on an
		// administrator's one-factor session. Changing one's own factors
		// is not Stale: a reset password is not proof enough (see
		// docs/security.md, "Logging in").
		{Method: "POST", Pattern: "/api/v1/logout", Perm: own, Action: "auth.logout", Stale: true, Enrol: true, Self: true, Handler: logout},
		{Method: "GET", Pattern: "/api/v1/session", Perm: own, Action: "auth.session", Stale: true, Enrol: true, Self: true, Handler: session},
		{Method: "POST", Pattern: "/api/v1/password", Perm: own, Action: "auth.password.change", Stale: true, Enrol: true, Self: true, Handler: f(a.passwordChange)},
		{Method: "POST", Pattern: "/api/v1/totp", Perm: own, Action: "auth.totp.enroll", Enrol: true, Handler: f(a.totpEnroll)},
		{Method: "POST", Pattern: "/api/v1/totp/confirm", Perm: own, Action: "auth.totp.confirm", Enrol: true, Self: true, Handler: f(a.totpConfirm)},
		{Method: "PUT", Pattern: "/api/v1/sm2-key", Perm: own, Action: "auth.sm2key.set", Enrol: true, Self: true, Handler: f(a.sm2KeySet)},

		// Accounts: the system administrator's user.write (create, reset,
		// disable, unlock, API tokens); user.read is also the security
		// administrator's, who assigns roles to those accounts.
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/users", Perm: rbac.PermUserWrite, Scope: PathTenant, Action: "user.create", Handler: f(a.userCreate)},
		{Method: "GET", Pattern: "/api/v1/tenants/{tenant}/users/{name}", Perm: rbac.PermUserRead, Scope: PathTenant, Action: "user.read", Handler: f(a.userGet)},
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/users/{name}/password", Perm: rbac.PermUserWrite, Scope: PathTenant, Action: "user.password.reset", Handler: f(a.userPasswordReset)},
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/users/{name}/disable", Perm: rbac.PermUserWrite, Scope: PathTenant, Action: "user.disable", Handler: a.userDisable(true)},
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/users/{name}/enable", Perm: rbac.PermUserWrite, Scope: PathTenant, Action: "user.enable", Handler: a.userDisable(false)},
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/users/{name}/unlock", Perm: rbac.PermUserWrite, Scope: PathTenant, Action: "user.unlock", Handler: f(a.userUnlock)},
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/tokens", Perm: rbac.PermUserWrite, Scope: PathTenant, Action: "token.create", Handler: f(a.tokenCreate)},
		// A token id does not name its tenant, so revoking is the platform's.
		{Method: "DELETE", Pattern: "/api/v1/tokens/{id}", Perm: rbac.PermUserWrite, Scope: a.PlatformScope, Action: "token.revoke", Handler: f(a.tokenRevoke)},

		// Roles and grants: the security administrator's.
		{Method: "GET", Pattern: "/api/v1/roles", Perm: rbac.PermRoleRead, Action: "role.catalogue", Handler: f(a.roleCatalogue)},
		{Method: "GET", Pattern: "/api/v1/users/{id}/roles", Perm: rbac.PermRoleRead, Action: "role.list", Handler: f(a.userRoles)},
		{Method: "POST", Pattern: "/api/v1/users/{id}/roles", Perm: rbac.PermRoleWrite, Action: "rbac.role.assign", Self: true, Handler: f(a.roleAssign)},
		{Method: "DELETE", Pattern: "/api/v1/users/{id}/roles/{role}", Perm: rbac.PermRoleWrite, Action: "rbac.role.revoke", Self: true, Handler: f(a.roleRevoke)},
		{Method: "POST", Pattern: "/api/v1/roles/{role}/permissions", Perm: rbac.PermRoleWrite, Action: "rbac.permission.grant", Self: true, Handler: f(a.permissionGrant)},
		{Method: "DELETE", Pattern: "/api/v1/roles/{role}/permissions/{perm}", Perm: rbac.PermRoleWrite, Action: "rbac.permission.revoke", Self: true, Handler: f(a.permissionRevoke)},

		// The auditor's search, export and chain check.
		{Method: "GET", Pattern: "/api/v1/audit", Perm: rbac.PermAuditRead, Action: "audit.search", Reads: true, Handler: search},
		{Method: "GET", Pattern: "/api/v1/audit/export", Perm: rbac.PermAuditExport, Action: "audit.export", Self: true, Handler: export},
		{Method: "GET", Pattern: "/api/v1/audit/verify", Perm: rbac.PermAuditRead, Action: "audit.verify", Reads: true, Handler: f(a.auditVerify)},
	}
}

// unavailable answers a route whose service is not configured.
func unavailable(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteError(w, http.StatusServiceUnavailable, "admin API security is not configured")
}
