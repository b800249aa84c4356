package b2bua

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// dialog is our side of one SIP dialog: everything needed to send an
// in-dialog request to the peer.
type dialog struct {
	mu        sync.Mutex
	callID    string
	local     sip.Uri // our From/To URI
	localTag  string
	remote    sip.Uri // the peer's URI
	remoteTag string
	target    sip.Uri // the peer's Contact
	dest      string  // host:port actually sent to (NAT-aware; a stream's flow, flow.go), under mu
	transport string
	seq       uint32
	// flow says dest is a connection the party opened (flow.go): never
	// dialled, so a request fails once it is closed. Under mu.
	flow bool
	// via and laddr, when set, are the address a carrier-facing dialog's
	// requests name in their Via and the socket they leave from, so that
	// the carrier's answers come back through its own listener.
	via   *sip.Addr
	laddr *sip.Addr
}

// sentBy reports whether req comes from this dialog's peer: it names the
// dialog by both tags (From the peer's, To ours) and arrives from the host
// the dialog's requests go to (the NAT-aware address the party signals
// from). A request that only knows the Call-ID fails it.
func (d *dialog) sentBy(req *sip.Request) bool {
	from, to := req.From(), req.To()
	if from == nil || to == nil {
		return false
	}
	fromTag, _ := from.Params.Get("tag")
	toTag, _ := to.Params.Get("tag")
	if fromTag != d.remoteTag || toTag != d.localTag {
		return false
	}
	want, err1 := netip.ParseAddrPort(d.destination())
	got, err2 := netip.ParseAddrPort(req.Source())
	return err1 != nil || err2 != nil || want.Addr().Unmap() == got.Addr().Unmap()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newTag() string { return randomHex(6) }

// newRequest builds an in-dialog request with the next CSeq.
func (d *dialog) newRequest(method sip.RequestMethod, contact sip.Uri) *sip.Request {
	d.mu.Lock()
	if method != sip.ACK && method != sip.CANCEL {
		d.seq++
	}
	seq := d.seq
	d.mu.Unlock()
	return d.build(method, seq, contact)
}

func (d *dialog) build(method sip.RequestMethod, seq uint32, contact sip.Uri) *sip.Request {
	req := sip.NewRequest(method, *d.target.Clone())
	from := &sip.FromHeader{Address: *d.local.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	to := &sip.ToHeader{Address: *d.remote.Clone(), Params: sip.NewParams()}
	if d.remoteTag != "" {
		to.Params.Add("tag", d.remoteTag)
	}
	cid := sip.CallIDHeader(d.callID)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.AppendHeader(&mf)
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(&sip.ContactHeader{Address: contact})
	}
	req.SetTransport(d.transport)
	req.SetDestination(d.destination())
	if d.via != nil {
		via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: strings.ToUpper(d.transport),
			Host: d.via.IP.String(), Port: d.via.Port, Params: sip.NewParams()}
		via.Params.Add("branch", sip.GenerateBranchN(16))
		via.Params.Add("rport", "")
		req.PrependHeader(via)
	}
	if d.laddr != nil {
		req.Laddr = *d.laddr
	}
	return req
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
