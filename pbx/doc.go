// Package pbx wires the softswitch together: guard-wrapped SIP listeners,
// sipgo, the registrar, the B2BUA and the RTP relay, and the account
// directory. Subpackages own each part; this package only assembles them
// and runs their SIP and media lifecycles. Its HTTP API is pbx/pbxapi; the
// HTTP listener is the process wiring's (cmd/pbx/boot over internal/httpx).
package pbx
