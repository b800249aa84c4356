package b2bua

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestDialogFollowsItsPartysConnection(t *testing.T) {
	for _, c := range []struct {
		name, transport, src, want string
		carrier                    bool
	}{
		{"TLS: the connection we dialled", "TLS", "10.0.0.7:40001", "10.0.0.7:40001", false},
		{"TLS: a new connection from the same host", "TLS", "10.0.0.7:40002", "10.0.0.7:40002", false},
		{"WS too", "ws", "10.0.0.7:40002", "10.0.0.7:40002", false},
		{"another host is not the party", "TLS", "10.0.0.8:40002", "10.0.0.7:40001", false},
		{"an unparsable source", "TCP", "", "10.0.0.7:40001", false},
		{"UDP keeps its NAT-aware address", "UDP", "10.0.0.7:40002", "10.0.0.7:40001", false},
		{"a carrier's dialog is the trunk's", "TCP", "10.0.0.7:40002", "10.0.0.7:40001", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &dialog{dest: "10.0.0.7:40001", transport: c.transport}
			if c.carrier {
				d.via = &sip.Addr{Port: 5080}
			}
			d.follow(c.src)
			if got := d.destination(); got != c.want {
				t.Errorf("dest after a message from %q = %s, want %s", c.src, got, c.want)
			}
			if moved := c.want != "10.0.0.7:40001"; d.flow != moved {
				t.Errorf("flow = %v after a message from %q, want %v: only a connection the party opened is a flow", d.flow, c.src, moved)
			}
		})
	}
}

// openFlows is a Flows whose open connections the test names.
type openFlows struct {
	mu   sync.Mutex
	open map[string]bool
}

func (f *openFlows) Open(network, addr string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open[network+" "+addr]
}

func (f *openFlows) set(network, addr string, open bool) {
	f.mu.Lock()
	f.open[network+" "+addr] = open
	f.mu.Unlock()
}

// A callee on TLS answers on another connection than its registration's
// (baresip does): the ACK follows the 200 onto that connection, and
// carries Content-Length: 0 (without it a stream peer cannot find where
// the ACK ends). Once that connection is gone, a re-INVITE from the caller
// is answered 480 without anything sent towards the callee, and the
// caller's BYE still ends the call.
func TestTLSCalleeIsReachedOverItsFlow(t *testing.T) {
	reg := netip.MustParseAddrPort("127.0.0.1:41001")
	loc := contacts{"1002": {{URI: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.90.1", Port: 5061}, Dest: reg, Transport: "TLS", Flow: true}}}
	h := newHarness(t, loc, nil)
	flows := &openFlows{open: map[string]bool{}}
	flows.set("tls", reg.String(), true)
	h.m.SetFlows(flows)
	c := h.dial("1001", "1002")
	f := h.fork("1002")
	if got := f.s.req.Destination(); got != reg.String() {
		t.Fatalf("INVITE sent to %s, want the registration's connection %s", got, reg)
	}
	flows.set("tls", "127.0.0.1:41002", true)
	res := sip.NewResponseFromRequest(f.s.req, 200, "OK", sdpBody(5072, ""))
	res.To().Params.Add("tag", f.tag)
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1", Port: 41001}})
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.SetSource("127.0.0.1:41002")
	f.s.tx.res <- res
	ack := h.take(sip.ACK, f.callID())
	if got := ack.req.Destination(); got != "127.0.0.1:41002" {
		t.Errorf("ACK sent to %s, want the connection the 200 came over, 127.0.0.1:41002", got)
	}
	if cl := ack.req.ContentLength(); cl == nil || *cl != 0 {
		t.Errorf("ACK Content-Length %v, want 0", cl)
	}
	c.expect(200)
	c.finished()
	c.ack()

	flows.set("tls", "127.0.0.1:41002", false)
	req, tx := c.request(sip.INVITE, sdpBody(4000, "sendonly"))
	go h.m.onInvite(req, tx)
	deadline := time.After(patience)
	for code := 0; code < 200; {
		select {
		case r := <-tx.res:
			code = r.StatusCode
			if code >= 200 && code != 480 {
				t.Fatalf("re-INVITE towards a closed flow answered %d, want 480", code)
			}
		case <-deadline:
			t.Fatal("re-INVITE towards a closed flow not answered")
		}
	}
	h.none(sip.INVITE, f.callID())
	if r := c.bye(); r.StatusCode != 200 {
		t.Fatalf("caller's BYE answered %d", r.StatusCode)
	}
	h.none(sip.BYE, f.callID())
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "caller", CauseBye, 200)
}

// A TCP phone whose registration connection closed but whose Contact the
// policy lets us dial (Flow false) is dialled, not refused: that is a
// listening address, not a flow.
func TestTCPContactThatMayBeDialledIsNotAFlow(t *testing.T) {
	loc := contacts{"1002": {{URI: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1", Port: 5072},
		Dest: netip.MustParseAddrPort("127.0.0.1:5072"), Transport: "TCP"}}}
	h := newHarness(t, loc, nil)
	h.m.SetFlows(&openFlows{open: map[string]bool{}}) // no connection open at all
	c := h.dial("1001", "1002")
	f := h.fork("1002")
	f.answer()
	if ack := h.take(sip.ACK, f.callID()); ack.req.Destination() != "127.0.0.1:5072" {
		t.Errorf("ACK sent to %s, want the Contact 127.0.0.1:5072", ack.req.Destination())
	}
	c.expect(200)
	c.finished()
	c.ack()
	if r := c.bye(); r.StatusCode != 200 {
		t.Fatalf("caller's BYE answered %d", r.StatusCode)
	}
	h.take(sip.BYE, f.callID())
}

// Which requests the flow check stops: only those of a dialog on a flow
// (a connection the party opened) that is closed.
func TestFlowCheck(t *testing.T) {
	h := newHarness(t, contacts{}, nil)
	flows := &openFlows{open: map[string]bool{"tls 10.0.0.7:40002": true}}
	h.m.SetFlows(flows)
	req := sip.NewRequest(sip.BYE, sip.Uri{Scheme: "sip", Host: "10.0.0.7"})
	for _, c := range []struct {
		name    string
		d       *dialog
		refused bool
	}{
		{"a closed flow", &dialog{transport: "TLS", dest: "10.0.0.7:40001", flow: true}, true},
		{"an open flow", &dialog{transport: "TLS", dest: "10.0.0.7:40002", flow: true}, false},
		{"a Contact we may dial", &dialog{transport: "TCP", dest: "10.0.0.7:5060"}, false},
		{"UDP", &dialog{transport: "UDP", dest: "10.0.0.7:40001", flow: true}, false},
		{"a carrier's dialog", &dialog{transport: "TCP", dest: "10.0.0.7:40001", flow: true, via: &sip.Addr{Port: 5080}}, false},
		{"no dialog", nil, false},
	} {
		err := h.m.flowCheck(c.d, req)
		if refused := errors.Is(err, ErrFlowFailed); refused != c.refused {
			t.Errorf("%s: refused %v (%v), want %v", c.name, refused, err, c.refused)
		}
	}
	if code, _ := relayFailure(ErrFlowFailed); code != 480 {
		t.Errorf("a relayed request towards a closed flow answered %d, want 480", code)
	}
}
