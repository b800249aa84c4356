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
// in-dialog request to the peer. A call holds two for its whole length, so
// the URIs are kept as text (uriText) and parsed again for each request
// sent, which are few.
type dialog struct {
	mu        sync.Mutex
	callID    string
	local     uriText // our From/To URI
	localTag  string
	remote    uriText // the peer's URI
	remoteTag string
	target    uriText // the peer's Contact
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
	req := sip.NewRequest(method, d.target.uri())
	from := &sip.FromHeader{Address: d.local.uri(), Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	to := &sip.ToHeader{Address: d.remote.uri(), Params: sip.NewParams()}
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

// uriText is a SIP URI as its text. A parsed sip.Uri is 144 bytes of
// fields plus the header line its strings are slices of; the text is the
// URI's own bytes, and with it a call's two dialogs drop about 800 bytes.
type uriText string

// textOf is u as text, without URI headers ("?name=value"): RFC 3261
// §19.1.1 allows none in a Request-URI, From or To, which is all a
// dialog's URIs are used for.
func textOf(u sip.Uri) uriText {
	u.Headers = nil
	return uriText(u.String())
}

// uri parses the text back. It was written by textOf from a parsed URI, so
// it parses; should it not, the request goes to a URI naming nobody
// (sip:invalid) rather than the PBX failing. Headers are dropped again:
// sipgo reads a "?" inside the last parameter as headers as well.
func (t uriText) uri() sip.Uri {
	var u sip.Uri
	if err := sip.ParseUri(string(t), &u); err != nil {
		return sip.Uri{Scheme: "sip", Host: "invalid"}
	}
	u.Headers = nil
	return u
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
