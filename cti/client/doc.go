// Package client is the Go client of the CTI websocket: it dials and
// authenticates, reads the hello, sends commands and waits for their
// replies, delivers events in seq order on a channel, and remembers the
// last seq so a new connection can resume where the old one stopped. The
// tests, the OA and cmd/cti-tail use it. It depends only on cti/protocol.
package client
