package pbx

import (
	"sync"

	"github.com/emiago/sipgo/sip"
)

// acceptedTimers shortens how long sipgo keeps an INVITE transaction in
// RFC 6026's Accepted state after a 2xx: Timer L for the caller's INVITE we
// answered, Timer M for an INVITE we sent (both 64*T1, 32 s).
//
// sipgo's Terminate leaves these two timers running, and each holds its
// transaction, with the INVITE and its responses, until it fires: whatever
// the B2BUA terminated stayed in memory for 32 s. At 1000 calls/s that was
// most of the PBX's heap (docs/BENCHMARKS.md, "round two").
//
// The B2BUA uses neither state. It ends the caller's transaction at the ACK
// and sends the 2xx's retransmissions through the transport once the
// transaction is gone; it ends its own at the 2xx and re-ACKs retransmitted
// 2xx from the stray-response handler, which is RFC 3261 §17.1.1.2's core
// behaviour. What is left for the two states is absorbing a late copy of a
// request or response for 4*T1 (2 s), far beyond a 2xx or INVITE
// retransmission's first intervals.
//
// The timers are sipgo's package variables, read by every transaction, so
// they are set once per process, before the first PBX makes any.
var acceptedTimers sync.Once

func setAcceptedTimers() {
	acceptedTimers.Do(func() {
		sip.Timer_L = 4 * sip.T1
		sip.Timer_M = 4 * sip.T1
	})
}
