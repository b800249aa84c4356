// Package pbx wires the softswitch together: guard-wrapped SIP listeners,
// sipgo, the registrar, the B2BUA and the RTP relay, the account directory,
// and the PBX's HTTP surface (health, metrics, admin API). Subpackages own
// each part; this package only assembles them and runs their lifecycles.
package pbx
