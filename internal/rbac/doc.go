// Package rbac owns what a principal may do: per-tenant roles (the three
// separated administrators of GB/T 22239 — sysadmin, secadmin, auditor —
// and the business roles agent, supervisor, qa), their permissions with a
// scope (tenant, the supervisor's queues, the agent's own calls), and the
// HMAC-SM3 tag on every user-role and role-permission row that Authorize
// checks each time it relies on a row. A bad tag denies and raises an alarm
// (callback, audit entry, log line) naming the table and row.
package rbac
