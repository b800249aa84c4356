// Package ctilink is the OA's one connection to the PBX: a CTI websocket
// client (cti/client) per tenant, authenticated with an API token of the
// cti_system role, that follows the tenant's events, hands each to the OA
// with the seq it came with (the OA applies it and moves its cursor in one
// transaction), resumes from the saved cursor after any reconnect, and
// answers call.ringing with the screenpop command. It reconnects with a
// growing, jittered pause; it imports no PBX package.
package ctilink
