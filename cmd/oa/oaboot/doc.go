// Package oaboot assembles an OA process from its config (config.OA): the
// OA's own SQLite database, master key and data keys, the platform's auth,
// rbac and audit services with the three separated administrators, the
// business core (oa), one CTI link per tenant (oa/ctilink) and the HTTP
// API (oa/oaapi behind internal/adminapi's guard). It imports no PBX
// package: the PBX is reached through the CTI websocket only.
package oaboot
