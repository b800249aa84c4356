// Package b2bua owns calls: each call is two SIP dialogs (the caller's leg A
// and the callee's leg B) joined by a media bridge. It authenticates and routes
// INVITEs, forks to every registered contact (first answer wins), relays
// provisional responses and early media, re-INVITE hold/unhold, BYE and CANCEL
// races from either side, enforces ring, media and duration limits, and writes
// one CDR per call. SDP is rewritten so media always flows through the relay.
// Listeners (CTI, recorder, contact centre) hear calls as pbx/callevent values,
// never as this package's types. A call's state is split by concern, each
// file saying what holds for its part at its top: fork.go, hold.go,
// transfer.go (and caller_transfer.go), consult.go, splice.go, join.go;
// disposition.go names how calls end. An answered call holds what its
// in-dialog requests need (dialog.go: Call-ID, tags, CSeq, URIs as text),
// never the parsed INVITEs, their transactions or the offer after the ACK.
package b2bua
