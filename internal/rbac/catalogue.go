package rbac

// Roles.
const (
	RoleSysAdmin   = "sysadmin"   // 系统管理员: configuration and users
	RoleSecAdmin   = "secadmin"   // 安全管理员: roles and permissions
	RoleAuditor    = "auditor"    // 审计管理员: reads and exports the audit log
	RoleAgent      = "agent"      // handles calls; sees its own
	RoleSupervisor = "supervisor" // watches and steers its queues
	RoleQA         = "qa"         // scores calls of its queues
	// RoleCTISystem is an integration on the CTI (the OA): every event of
	// the tenant and screen pops to any agent.
	RoleCTISystem = "cti_system"
	// RoleOAHandler is a department's member in the OA (工单办理人员):
	// signs, handles and returns the tickets dispatched to it.
	RoleOAHandler = "oa_handler"
)

// Permissions.
const (
	PermConfigRead    = "config.read"
	PermConfigWrite   = "config.write"
	PermUserRead      = "user.read"
	PermUserWrite     = "user.write"
	PermBanWrite      = "ban.write"
	PermRoleRead      = "role.read"
	PermRoleWrite     = "role.write"
	PermAuditRead     = "audit.read"
	PermAuditExport   = "audit.export"
	PermCDRRead       = "cdr.read"
	PermRecordingRead = "recording.read"
	// PermRecordingDelete removes a recording before its retention ends:
	// destroying evidence is the security administrator's decision, not
	// the system administrator's, and is audited (recorder).
	PermRecordingDelete = "recording.delete"
	PermQueueRead       = "queue.read"
	PermAgentState      = "agent.state.write"
	PermCallControl     = "call.control"
	PermCallMonitor     = "call.monitor"
	PermQAScoreWrite    = "qa.score.write"
	PermCDRExport       = "cdr.export"
	PermScreenPop       = "cti.screenpop"

	// The OA's business data (oa/): customers, contact records, tickets.
	PermOACustomerRead  = "oa.customer.read"
	PermOACustomerWrite = "oa.customer.write"
	// PermOACustomerPII shows customers' phone and ID numbers unmasked.
	PermOACustomerPII  = "oa.customer.pii"
	PermOAContactRead  = "oa.contact.read"
	PermOAContactWrite = "oa.contact.write"
	PermOATicketRead   = "oa.ticket.read"
	PermOATicketWrite  = "oa.ticket.write"
	// PermOATicketSupervise: 督办, approving 延期, archiving, merging.
	PermOATicketSupervise = "oa.ticket.supervise"
	PermOAExport          = "oa.export"

	// The OA's knowledge base (oa/knowledge): reading and searching (in
	// the bases the reader's department may see), writing drafts, and
	// reviewing (publishing) them.
	PermOAKnowledgeRead    = "oa.knowledge.read"
	PermOAKnowledgeWrite   = "oa.knowledge.write"
	PermOAKnowledgePublish = "oa.knowledge.publish"
	// PermOAReportRead reads the OA's statistics (oa/report), in the web
	// UI or through the report API with an API token.
	PermOAReportRead = "oa.report.read"
)

// Scope kinds of a role-permission row.
const (
	ScopeTenant = "tenant" // anything in the tenant
	ScopeQueue  = "queue"  // only the queues listed on the user's role binding
	ScopeOwn    = "own"    // only the agent id on the user's role binding
)

// Grant is one permission of a role with its scope.
type Grant struct {
	Permission string
	Scope      string
}

// DefaultGrants returns the permissions SeedTenant gives role.
//
// The three administrator roles are fixed: their permission sets cannot be
// edited, a user may hold only one of them, and their permissions cannot be
// given to any other role. That is what keeps the three duties separate.
// The business roles are defaults that secadmin may change per tenant.
func DefaultGrants(role string) []Grant {
	switch role {
	case RoleSysAdmin:
		return []Grant{
			{PermConfigRead, ScopeTenant}, {PermConfigWrite, ScopeTenant},
			{PermUserRead, ScopeTenant}, {PermUserWrite, ScopeTenant}, {PermBanWrite, ScopeTenant},
		}
	case RoleSecAdmin:
		return []Grant{{PermRoleRead, ScopeTenant}, {PermRoleWrite, ScopeTenant}, {PermUserRead, ScopeTenant}, {PermRecordingDelete, ScopeTenant}}
	case RoleAuditor:
		return []Grant{{PermAuditRead, ScopeTenant}, {PermAuditExport, ScopeTenant}}
	case RoleAgent:
		return []Grant{
			{PermCDRRead, ScopeOwn}, {PermRecordingRead, ScopeOwn},
			{PermAgentState, ScopeOwn}, {PermCallControl, ScopeOwn},
			{PermOACustomerRead, ScopeTenant}, {PermOACustomerWrite, ScopeTenant}, {PermOAContactRead, ScopeTenant},
			{PermOAContactWrite, ScopeTenant}, {PermOATicketRead, ScopeTenant}, {PermOATicketWrite, ScopeTenant},
			{PermOAKnowledgeRead, ScopeTenant},
		}
	case RoleSupervisor:
		return []Grant{
			{PermCDRRead, ScopeQueue}, {PermRecordingRead, ScopeQueue}, {PermCDRExport, ScopeQueue},
			{PermQueueRead, ScopeQueue}, {PermAgentState, ScopeQueue}, {PermCallMonitor, ScopeQueue},
			{PermOACustomerRead, ScopeTenant}, {PermOACustomerWrite, ScopeTenant}, {PermOACustomerPII, ScopeTenant},
			{PermOAContactRead, ScopeTenant}, {PermOAContactWrite, ScopeTenant}, {PermOATicketRead, ScopeTenant},
			{PermOATicketWrite, ScopeTenant}, {PermOATicketSupervise, ScopeTenant}, {PermOAExport, ScopeTenant},
			{PermOAKnowledgeRead, ScopeTenant}, {PermOAKnowledgeWrite, ScopeTenant}, {PermOAKnowledgePublish, ScopeTenant}, {PermOAReportRead, ScopeTenant},
		}
	case RoleQA:
		return []Grant{{PermCDRRead, ScopeQueue}, {PermRecordingRead, ScopeQueue}, {PermQAScoreWrite, ScopeQueue}}
	case RoleCTISystem:
		// cdr.read: the OA's statistics reconcile with the CDR API.
		return []Grant{{PermQueueRead, ScopeTenant}, {PermScreenPop, ScopeTenant}, {PermCDRRead, ScopeTenant}}
	case RoleOAHandler:
		return []Grant{{PermOACustomerRead, ScopeTenant}, {PermOAContactRead, ScopeTenant}, {PermOATicketRead, ScopeTenant}, {PermOATicketWrite, ScopeTenant},
			{PermOAKnowledgeRead, ScopeTenant}}
	}
	return nil
}

// IsAdminRole reports whether role is one of the three separated administrators.
func IsAdminRole(role string) bool {
	return role == RoleSysAdmin || role == RoleSecAdmin || role == RoleAuditor
}

// IsAdminPermission reports whether perm belongs to an administrator role
// (and so may not be granted to any other role).
func IsAdminPermission(perm string) bool {
	for _, r := range AdminRoles() {
		for _, g := range DefaultGrants(r) {
			if g.Permission == perm {
				return true
			}
		}
	}
	return false
}

// AdminRoles lists the three separated administrator roles.
func AdminRoles() []string { return []string{RoleSysAdmin, RoleSecAdmin, RoleAuditor} }

// BuiltinRoles lists every role SeedTenant creates.
func BuiltinRoles() []string {
	return []string{RoleSysAdmin, RoleSecAdmin, RoleAuditor, RoleAgent, RoleSupervisor, RoleQA, RoleCTISystem, RoleOAHandler}
}

// Permissions lists every permission yimen knows.
func Permissions() []string {
	return []string{PermConfigRead, PermConfigWrite, PermUserRead, PermUserWrite, PermBanWrite,
		PermRoleRead, PermRoleWrite, PermAuditRead, PermAuditExport, PermCDRRead, PermCDRExport,
		PermRecordingRead, PermRecordingDelete, PermQueueRead, PermAgentState, PermCallControl, PermCallMonitor, PermQAScoreWrite, PermScreenPop,
		PermOACustomerRead, PermOACustomerWrite, PermOACustomerPII, PermOAContactRead, PermOAContactWrite,
		PermOATicketRead, PermOATicketWrite, PermOATicketSupervise, PermOAExport,
		PermOAKnowledgeRead, PermOAKnowledgeWrite, PermOAKnowledgePublish, PermOAReportRead}
}
