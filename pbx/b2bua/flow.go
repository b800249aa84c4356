package b2bua

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
)

// Flows: a party on a connection-oriented transport (TCP, TLS, WS, WSS) is
// reached over a connection it opened, not at its Contact (RFC 5626 §5.3,
// RFC 5923): a phone behind NAT, or one that listens on no TLS port we
// could reach, has no other way in. A callee's dialog starts on the flow
// its REGISTER came over (Target.Dest), a caller's on the connection its
// INVITE came over; after that the dialog follows the connection the
// party last used inside it, as Kamailio's contact alias and Asterisk's
// rewrite_contact do — baresip 1.0, for one, answers a call on its
// registration connection, closes it, and sends the retransmitted 200 and
// its later requests over a new one.
//
// What holds:
//   - A stream dialog's dest is either a flow (d.flow: the remote address
//     of a connection that party opened to us) or, for a phone whose
//     registration connection had closed but whose Contact the policy lets
//     us dial, that Contact. follow moves it only to another connection
//     from the same host (sentBy has already refused other hosts), and
//     that is a flow.
//   - A request on a flow whose connection is gone is not sent: we never
//     dial a phone's ephemeral port. It fails with ErrFlowFailed
//     and one log line; a request relayed from the other party is then
//     answered 480, as RFC 5626 has the authoritative proxy do when no
//     flow to the UA is left.
//   - A carrier's dialog (its own Via and socket) is the trunk's and is
//     left to the transport layer.

// Flows says whether a connection a party opened to us is still open.
type Flows interface {
	Open(network, addr string) bool
}

// ErrFlowFailed is a request for a party whose connection is gone.
var ErrFlowFailed = fmt.Errorf("flow failed: the party's connection is closed: %w", errs.ErrUnavailable)

// SetFlows installs the check of open connections; without one every
// flow counts as open and the transport layer decides.
func (m *Manager) SetFlows(f Flows) { m.flows = f }

// streamTransport says transport keeps a connection per peer.
func streamTransport(transport string) bool {
	switch strings.ToLower(transport) {
	case "tcp", "tls", "ws", "wss":
		return true
	}
	return false
}

// follow moves the dialog onto the connection src, which a message of this
// dialog's party just came over, when the dialog is on a stream transport
// and src is on the host the dialog already talks to.
func (d *dialog) follow(src string) {
	if !streamTransport(d.transport) || d.via != nil {
		return
	}
	got, err := netip.ParseAddrPort(src)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	want, err := netip.ParseAddrPort(d.dest)
	if err == nil && want.Addr().Unmap() != got.Addr().Unmap() {
		return
	}
	if got != want {
		// A connection we dialled answers from the address we dialled;
		// any other is one the party opened.
		d.dest, d.flow = got.String(), true
	}
}

// destination is where the dialog's requests go now.
func (d *dialog) destination() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dest
}

// flowCheck refuses a request of dialog d when d is on a flow whose
// connection is gone, logging it once. Requests of no dialog, on UDP, to an
// address we may dial (a Contact), of a carrier's dialog and of a Manager
// without Flows pass.
func (m *Manager) flowCheck(d *dialog, req *sip.Request) error {
	if m.flows == nil || d == nil || !streamTransport(d.transport) || d.via != nil {
		return nil
	}
	d.mu.Lock()
	flow, dest := d.flow, d.dest
	d.mu.Unlock()
	network := strings.ToLower(d.transport)
	if !flow || m.flows.Open(network, dest) {
		return nil
	}
	m.log.Warn("request not sent: the party's connection is closed", "method", string(req.Method), "transport", network, "dest", dest, "call_id", d.callID)
	return ErrFlowFailed
}

// relayFailure is the code for an in-dialog request that could not be
// relayed to the other party: 480 when its connection is gone, 408 when it
// did not answer.
func relayFailure(err error) (int, string) {
	if errors.Is(err, ErrFlowFailed) {
		return 480, "Temporarily Unavailable"
	}
	return 408, "Request Timeout"
}
