// Package cti owns the CTI websocket hub: one protocol (cti/protocol) for
// agent bars, wallboards and the OA. It authenticates connections through an
// Authenticator, keeps each tenant's events in order with a seq and a
// bounded replay window for reconnecting clients, fans events out to
// subscribers without ever blocking the publisher (a slow consumer is cut
// off; each event is encoded once and each connection's writer sends what
// is queued in one writev), checks each connection's credential again
// every Config.Recheck, and turns commands into calls on the ACD (AgentControl) and the PBX
// (CallControl, Monitoring). Adapter turns the ACD's events and the call
// events (pbx/callevent values) into CTI events; it knows nothing else of
// the PBX.
package cti
