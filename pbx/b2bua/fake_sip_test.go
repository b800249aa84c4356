package b2bua

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/registrar"
)

// A call driven without sockets for its signalling: the test plays the
// caller by calling the Manager's handlers with fake server transactions,
// and plays every callee by answering, through fake client transactions,
// what the Manager sends. Media goes through a real relay on loopback
// (bridges are concrete), which nothing here sends packets to.

// patience bounds every wait for the Manager to act; a failure deadline,
// never a measurement.
const patience = 5 * time.Second

// fakeTx is the part of a transaction both kinds share.
type fakeTx struct {
	once sync.Once
	done chan struct{}
}

func newFakeTx() fakeTx { return fakeTx{done: make(chan struct{})} }

func (t *fakeTx) Terminate()                         { t.once.Do(func() { close(t.done) }) }
func (t *fakeTx) OnTerminate(sip.FnTxTerminate) bool { return false }
func (t *fakeTx) Done() <-chan struct{}              { return t.done }
func (t *fakeTx) Err() error                         { return nil }

// serverTx is a request the test sent to the Manager: it records the
// responses and lets the test CANCEL it as the transaction layer would.
type serverTx struct {
	fakeTx
	res      chan *sip.Response
	mu       sync.Mutex
	onCancel sip.FnTxCancel
}

var _ sip.ServerTransaction = (*serverTx)(nil)

func newServerTx() *serverTx {
	return &serverTx{fakeTx: newFakeTx(), res: make(chan *sip.Response, 64)}
}

func (t *serverTx) Respond(res *sip.Response) error {
	select {
	case <-t.done:
		return sip.ErrTransactionTerminated
	default:
	}
	t.res <- res
	return nil
}

func (t *serverTx) Acks() <-chan *sip.Request { return nil }

func (t *serverTx) OnCancel(f sip.FnTxCancel) bool {
	t.mu.Lock()
	t.onCancel = f
	t.mu.Unlock()
	return true
}

// cancel is a CANCEL arriving for the request: sipgo answers it (and the
// INVITE with 487) itself and tells the Manager.
func (t *serverTx) cancel() {
	t.mu.Lock()
	f := t.onCancel
	t.mu.Unlock()
	if f == nil {
		panic("CANCEL for a transaction nobody watches")
	}
	f(nil)
}

// clientTx is a request the Manager sent; the test answers it.
type clientTx struct {
	fakeTx
	req *sip.Request
	res chan *sip.Response
}

var _ sip.ClientTransaction = (*clientTx)(nil)

func (t *clientTx) Responses() <-chan *sip.Response        { return t.res }
func (t *clientTx) OnRetransmission(sip.FnTxResponse) bool { return false }

// sent is one request the Manager sent: tx is nil for one written outside a
// transaction (an ACK).
type sent struct {
	req *sip.Request
	tx  *clientTx
}

// fakeClient records what the Manager sends. BYE, CANCEL and NOTIFY are
// answered 200 at once, unless the test wants to answer them itself.
type fakeClient struct {
	out      chan sent
	autoBye  atomic.Bool
	mu       sync.Mutex
	reqCount map[sip.RequestMethod]int
}

var _ sipClient = (*fakeClient)(nil)

func (f *fakeClient) TransactionRequest(_ context.Context, req *sip.Request, _ ...sipgo.ClientRequestOption) (sip.ClientTransaction, error) {
	tx := &clientTx{fakeTx: newFakeTx(), req: req, res: make(chan *sip.Response, 16)}
	if req.Via() == nil { // as sipgo.ClientRequestAddVia does; a CANCEL carries its INVITE's
		via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: 5060, Params: sip.NewParams()}
		via.Params.Add("branch", sip.GenerateBranch())
		req.PrependHeader(via)
	}
	f.count(req.Method)
	switch req.Method {
	case sip.BYE, sip.CANCEL, sip.NOTIFY:
		if f.autoBye.Load() {
			tx.res <- sip.NewResponseFromRequest(req, 200, "OK", nil)
		}
	}
	f.out <- sent{req: req, tx: tx}
	return tx, nil
}

func (f *fakeClient) WriteRequest(req *sip.Request, _ ...sipgo.ClientRequestOption) error {
	f.count(req.Method)
	f.out <- sent{req: req}
	return nil
}

func (f *fakeClient) count(m sip.RequestMethod) {
	f.mu.Lock()
	f.reqCount[m]++
	f.mu.Unlock()
}

func (f *fakeClient) sentCount(m sip.RequestMethod) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqCount[m]
}

type allowAll struct{}

func (allowAll) Check(_ context.Context, req *sip.Request, _ string, _ bool) (string, registrar.Outcome) {
	return req.From().Address.User, registrar.OutcomeOK
}
func (allowAll) Challenge(*sip.Request, bool, bool) *sip.Response { return nil }

type oneTenant struct{}

func (oneTenant) TenantFor(string) (string, bool) { return "t1", true }

// contacts maps an extension to its registered contacts; an extension
// listed with none exists but is not registered.
type contacts map[string][]Target

func (c contacts) Locate(_, ext string) ([]Target, bool) {
	t, ok := c[ext]
	return t, ok
}

type nullSink struct{}

func (nullSink) WriteCallLog(context.Context, pbxstore.CallLog) error { return nil }

// contact is a registered phone of ext at port on loopback.
func contact(ext string, port int) Target {
	return Target{
		URI:  sip.Uri{Scheme: "sip", User: ext, Host: "127.0.0.1", Port: port},
		Dest: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)), Transport: "UDP",
	}
}

// clock is the Manager's time, moved by the test (nanoseconds since the epoch).
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// harness is one Manager with fake signalling.
type harness struct {
	t     *testing.T
	m     *Manager
	cli   *fakeClient
	clock *clock
	stash []sent // sent but not yet taken by the test
	// bodyOverride, when set, is the next INVITE's body instead of an offer.
	bodyOverride []byte
	// source, when set, is where the next callers' requests come from
	// instead of 127.0.0.1:5070.
	source string
	// display, when set, is the next callers' display name in From.
	display string
	seq     atomic.Int64
}

func newHarness(t *testing.T, loc contacts, tweak func(*Config)) *harness {
	t.Helper()
	h32 := fnv.New32a()
	h32.Write([]byte(t.Name()))
	lo := 30000 + int(h32.Sum32()%100)*100
	relay, err := media.NewRelay(media.Config{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: lo, PortMax: lo + 99}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = relay.Close() })
	cfg := Config{Host: "127.0.0.1", Port: 5060, Codecs: []string{"PCMU", "PCMA"},
		RingTimeout: patience, MaxDuration: time.Hour, MediaTimeout: time.Hour, UserAgent: "yimen-test"}
	if tweak != nil {
		tweak(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := New(cfg, nil, allowAll{}, loc, oneTenant{}, relay, nullSink{}, log, nil)
	cli := &fakeClient{out: make(chan sent, 256), reqCount: map[sip.RequestMethod]int{}}
	cli.autoBye.Store(true)
	m.client = cli
	clk := &clock{}
	// From the real time: the bridges' last-packet times are real, and
	// the media timeout compares them with this clock.
	clk.ns.Store(time.Now().UnixNano())
	m.now = clk.Now
	return &harness{t: t, m: m, cli: cli, clock: clk}
}

// take returns the next request the Manager sent with method in the dialog
// callID ("" for any), waiting for it; others are kept for later takes.
func (h *harness) take(method sip.RequestMethod, callID string) sent {
	h.t.Helper()
	match := func(s sent) bool {
		return s.req.Method == method && (callID == "" || s.req.CallID().Value() == callID)
	}
	for i, s := range h.stash {
		if match(s) {
			h.stash = append(h.stash[:i], h.stash[i+1:]...)
			return s
		}
	}
	deadline := time.After(patience)
	for {
		select {
		case s := <-h.cli.out:
			if match(s) {
				return s
			}
			h.stash = append(h.stash, s)
		case <-deadline:
			h.t.Fatalf("no %s sent in dialog %q within %s (sent meanwhile: %s)", method, callID, patience, h.stashed())
			return sent{}
		}
	}
}

// none asserts the Manager sent no method in callID ("" for any) by now.
func (h *harness) none(method sip.RequestMethod, callID string) {
	h.t.Helper()
	for {
		select {
		case s := <-h.cli.out:
			h.stash = append(h.stash, s)
			continue
		default:
		}
		break
	}
	for _, s := range h.stash {
		if s.req.Method == method && (callID == "" || s.req.CallID().Value() == callID) {
			h.t.Fatalf("%s sent in dialog %q, want none", method, callID)
		}
	}
}

func (h *harness) stashed() string {
	var b strings.Builder
	for _, s := range h.stash {
		fmt.Fprintf(&b, "%s(%s) ", s.req.Method, s.req.CallID().Value())
	}
	return b.String()
}

const offerSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"

// sdpBody is an offer or answer from port with direction dir ("" for sendrecv).
func sdpBody(port int, dir string) []byte {
	s := strings.Replace(offerSDP, "m=audio 4000", fmt.Sprintf("m=audio %d", port), 1)
	if dir != "" {
		s += "a=" + dir + "\r\n"
	}
	return []byte(s)
}

// caller is the test's caller: one dialog with the PBX.
type caller struct {
	h      *harness
	ext    string
	callID string
	tag    string
	seq    uint32
	invite *sip.Request
	tx     *serverTx
	ours   string // the PBX's To tag, once answered
	done   chan struct{}
}

// dial sends the caller's INVITE for callee; onInvite runs until the caller
// has a final response.
func (h *harness) dial(from, callee string) *caller {
	n := h.seq.Add(1)
	c := &caller{h: h, ext: from, callID: fmt.Sprintf("caller-%d@test", n), tag: fmt.Sprintf("ct%d", n), seq: 1, done: make(chan struct{})}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: callee, Host: "127.0.0.1", Port: 5060})
	c.addDialogHeaders(req, sip.INVITE, "")
	req.From().DisplayName = h.display
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1", Port: 5070}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	body := sdpBody(4000, "")
	if h.bodyOverride != nil {
		body = h.bodyOverride
	}
	req.SetBody(body)
	if h.source != "" {
		req.SetSource(h.source)
	}
	c.invite, c.tx = req, newServerTx()
	go func() {
		defer close(c.done)
		h.m.onInvite(req, c.tx)
	}()
	return c
}

func (c *caller) addDialogHeaders(req *sip.Request, method sip.RequestMethod, toTag string) {
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: 5070, Params: sip.NewParams()}
	via.Params.Add("branch", fmt.Sprintf("z9hG4bK-%s-%d", c.tag, c.seq))
	req.AppendHeader(via)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: c.ext, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", c.tag)
	to := &sip.ToHeader{Address: req.Recipient, Params: sip.NewParams()}
	if toTag != "" {
		to.Params.Add("tag", toTag)
	}
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.seq, MethodName: method})
	req.SetTransport("UDP")
	req.SetSource("127.0.0.1:5070")
}

// response waits for the next response to the caller's INVITE.
func (c *caller) response() *sip.Response {
	c.h.t.Helper()
	select {
	case res := <-c.tx.res:
		if c.ours == "" {
			c.ours, _ = res.To().Params.Get("tag")
		}
		return res
	case <-time.After(patience):
		c.h.t.Fatalf("the caller got no response within %s", patience)
		return nil
	}
}

// expect waits for a response with code to the caller's INVITE, skipping
// none in between.
func (c *caller) expect(code int) *sip.Response {
	c.h.t.Helper()
	res := c.response()
	if res.StatusCode != code {
		c.h.t.Fatalf("the caller got %d %s, want %d", res.StatusCode, res.Reason, code)
	}
	return res
}

// finished waits for onInvite to return: the INVITE has its final answer.
func (c *caller) finished() {
	c.h.t.Helper()
	select {
	case <-c.done:
	case <-time.After(patience):
		c.h.t.Fatal("onInvite still running: the caller's INVITE has no final response")
	}
}

// request is an in-dialog request from the caller.
func (c *caller) request(method sip.RequestMethod, body []byte) (*sip.Request, *serverTx) {
	if method != sip.ACK {
		c.seq++
	}
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: "b2bua", Host: "127.0.0.1", Port: 5060})
	req.Recipient = c.invite.Recipient
	c.addDialogHeaders(req, method, c.ours)
	if len(body) > 0 {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	}
	return req, newServerTx()
}

func (c *caller) ack() {
	req, _ := c.request(sip.ACK, nil)
	req.CSeq().SeqNo = c.invite.CSeq().SeqNo
	c.h.m.onAck(req, nil)
}

// bye hangs up and returns the PBX's answer.
func (c *caller) bye() *sip.Response {
	req, tx := c.request(sip.BYE, nil)
	c.h.m.onBye(req, tx)
	return <-tx.res
}

// fork is one INVITE the PBX sent to a callee's phone.
type forked struct {
	h   *harness
	s   sent
	tag string
}

// fork waits for the next INVITE the PBX sends to ext.
func (h *harness) fork(ext string) *forked {
	h.t.Helper()
	var s sent
	for i := 0; ; i++ {
		s = h.take(sip.INVITE, "")
		if s.req.Recipient.User == ext {
			break
		}
		h.stash = append(h.stash, s)
		if i > 16 {
			h.t.Fatalf("no INVITE for %s", ext)
		}
	}
	n := h.seq.Add(1)
	return &forked{h: h, s: s, tag: fmt.Sprintf("ft%d", n)}
}

func (f *forked) callID() string { return f.s.req.CallID().Value() }

// respond answers the fork's INVITE with code (an SDP answer on a 2xx or 183).
func (f *forked) respond(code int, body []byte) {
	res := sip.NewResponseFromRequest(f.s.req, code, "", body)
	if code > 100 {
		res.To().Params.Add("tag", f.tag)
	}
	if code >= 200 && code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: f.s.req.Recipient.User, Host: "127.0.0.1", Port: f.s.req.Recipient.Port}})
	}
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	f.s.tx.res <- res
}

func (f *forked) answer() { f.respond(200, sdpBody(f.s.req.Recipient.Port, "")) }

// request is an in-dialog request from the callee's phone.
func (f *forked) request(method sip.RequestMethod, seq uint32) (*sip.Request, *serverTx) {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: "b2bua", Host: "127.0.0.1", Port: 5060})
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: f.s.req.Recipient.Port, Params: sip.NewParams()}
	via.Params.Add("branch", fmt.Sprintf("z9hG4bK-%s-%d", f.tag, seq))
	req.AppendHeader(via)
	from := &sip.FromHeader{Address: f.s.req.Recipient, Params: sip.NewParams()}
	from.Params.Add("tag", f.tag)
	pbxTag, _ := f.s.req.From().Params.Get("tag")
	to := &sip.ToHeader{Address: f.s.req.From().Address, Params: sip.NewParams()}
	to.Params.Add("tag", pbxTag)
	cid := sip.CallIDHeader(f.callID())
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.SetTransport("UDP")
	return req, newServerTx()
}

// bye is the callee hanging up; it returns the PBX's answer.
func (f *forked) bye(seq uint32) *sip.Response {
	req, tx := f.request(sip.BYE, seq)
	f.h.m.onBye(req, tx)
	return <-tx.res
}

// cdr waits for the CDR of the call whose caller leg is callID.
func (h *harness) cdr(callID string) pbxstore.CDR {
	h.t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		h.m.cdrs.mu.Lock()
		for _, c := range h.m.cdrs.q.Ended {
			if c.ACallID == callID {
				h.m.cdrs.mu.Unlock()
				return c
			}
		}
		h.m.cdrs.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("no CDR for %s within %s", callID, patience)
	return pbxstore.CDR{}
}

// wantCDR checks a CDR's outcome fields.
func wantCDR(t *testing.T, c pbxstore.CDR, disp Disposition, side string, cause Cause, code int) {
	t.Helper()
	if c.Disposition != disp.String() || c.HangupSide != side || c.HangupCause != cause.String() || c.SIPCode != code {
		t.Errorf("CDR %s/%s/%s/%d, want %s/%s/%s/%d", c.Disposition, c.HangupSide, c.HangupCause, c.SIPCode, disp, side, cause, code)
	}
}

// callOfCaller is the Manager's call for the caller's dialog.
func (h *harness) callOfCaller(c *caller) *call {
	h.t.Helper()
	x := h.m.lookup(c.callID)
	if x == nil {
		h.t.Fatalf("no call for %s", c.callID)
	}
	return x
}
