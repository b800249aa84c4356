// Package trunk owns the PBX's SIP trunks to carriers, per tenant: the
// caller numbers normalised once at the edge (number.go), the calling
// classes and number formats (class.go, format.go), the dial patterns and
// routing tables (pattern.go, table.go: DIDs in, outbound routes out),
// the toll-fraud and rate caps (limits.go), and each trunk's life with
// its carrier: outbound REGISTER with digest (registration.go), OPTIONS
// keep-alive and the up/down state the router skips on (keepalive.go,
// state.go). The B2BUA asks it where a call goes through small interfaces
// of its own; this package never sees a call.
package trunk
