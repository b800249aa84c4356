package system_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/tests/testpbx"
)

// sipUA is a small sipgo phone on ip:port, for what SIPp cannot do (hold
// two dialogs, name one from another): it answers INVITEs with audio at
// rtpPort, answers BYE and NOTIFY and counts them (NOTIFYs whose sipfrag
// is a 200).
type sipUA struct {
	ip       string
	port     int
	cli      *sipgo.Client
	contact  sip.ContactHeader
	byes     atomic.Int32
	notifies atomic.Int32
	invites  chan *sip.Request
}

const uaTag = "uatag1"

// newSipUA starts a sipgo phone on ip, on a port the kernel picks (fixed
// ports met the same tests run from other checkouts on the machine).
func newSipUA(t *testing.T, ctx context.Context, ext, ip string, rtpPort int) *sipUA {
	t.Helper()
	// Bound before the REGISTER, so the first INVITE finds it listening.
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	port := conn.LocalAddr().(*net.UDPAddr).Port
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("replaces-test"), sipgo.WithUserAgentHostname(ip))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	srv, _ := sipgo.NewServer(ua)
	cli, _ := sipgo.NewClient(ua, sipgo.WithClientHostname(ip))
	u := &sipUA{ip: ip, port: port, cli: cli, invites: make(chan *sip.Request, 1),
		contact: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: ip, Port: port}}}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", u.sdp(rtpPort))
		res.To().Params.Add("tag", uaTag)
		res.AppendHeader(&u.contact)
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		_ = tx.Respond(res)
		select {
		case u.invites <- req:
		default:
		}
		<-tx.Done()
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		u.byes.Add(1)
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		if string(req.Body()) == "SIP/2.0 200 OK" {
			u.notifies.Add(1)
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go srv.ServeUDP(conn)
	return u
}

func (u *sipUA) sdp(rtpPort int) []byte {
	return fmt.Appendf(nil, "v=0\r\no=ua 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n", u.ip, u.ip, rtpPort)
}

// invite calls ext on the PBX authenticated as user with extra headers; it
// returns the SIP code of the final answer and the session when answered.
func (u *sipUA) invite(t *testing.T, ctx context.Context, p *testpbx.PBX, user, ext string, rtpPort int, hdrs ...sip.Header) (int, *sipgo.DialogClientSession) {
	t.Helper()
	host, portS, _ := net.SplitHostPort(p.SIPAddr())
	port, _ := strconv.Atoi(portS)
	dc := sipgo.NewDialogClientCache(u.cli, u.contact)
	sess, err := dc.Invite(ctx, sip.Uri{Scheme: "sip", User: ext, Host: host, Port: port}, u.sdp(rtpPort), append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))...)
	if err != nil {
		t.Fatal(err)
	}
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: p.Secrets[user]})
	var dr *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &dr):
		return dr.Res.StatusCode, nil
	case err != nil:
		t.Fatalf("INVITE %s: %v", ext, err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	return 200, sess
}

// A customer talks with agent 1002's desk phone; 1002's second phone sends
// an INVITE with Replaces naming the desk phone's dialog (RFC 3891): it is
// answered and takes the desk phone's place, the desk phone gets BYE, and
// the customer and the second phone hear each other. A Replaces naming no
// dialog gets 481, an early-only one for a confirmed dialog 486, and an
// extension that is not a party of the call 403.
func TestInviteWithReplacesTakesTheCallOver(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cust, second := newEndpoint(t, "127.0.145.4"), newEndpoint(t, "127.0.145.6")
	desk := newSipUA(t, ctx, "1002", "127.0.145.2", 40000)
	p.Register(t, "1002", desk.ip, desk.port)
	other := newSipUA(t, ctx, "1002", "127.0.145.6", second.port())
	stranger := newSipUA(t, ctx, "1003", "127.0.145.3", 40004)

	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1004", "127.0.145.4", mediaScenario(t, "uac_media.tmpl", "127.0.145.4", cust.port()), "1002", map[string]string{"talk_ms": "9000"})
	}()
	var inv *sip.Request
	select {
	case inv = <-desk.invites:
	case <-time.After(8 * time.Second):
		t.Fatal("the customer's call never reached the desk phone")
	}
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1002" })
	defer cust.send(call.CallerRTP, 500)()
	pbxTag, _ := inv.From().Params.Get("tag")
	replaces := func(v string) sip.Header { return sip.NewHeader("Replaces", v) }
	dlg := inv.CallID().Value() + ";to-tag=" + uaTag + ";from-tag=" + pbxTag

	if code, _ := other.invite(t, ctx, p, "1002", "1002", second.port(), replaces(inv.CallID().Value()+";to-tag="+uaTag+";from-tag=nope")); code != 481 {
		t.Errorf("Replaces naming no dialog: %d, want 481", code)
	}
	if code, _ := other.invite(t, ctx, p, "1002", "1002", second.port(), replaces(dlg+";early-only")); code != 486 {
		t.Errorf("early-only Replaces of a confirmed dialog: %d, want 486", code)
	}
	if code, _ := stranger.invite(t, ctx, p, "1003", "1002", 40004, replaces(dlg)); code != 403 {
		t.Errorf("Replaces from an extension not on the call: %d, want 403", code)
	}
	code, _ := other.invite(t, ctx, p, "1002", "1002", second.port(), replaces(dlg))
	if code != 200 {
		t.Fatalf("Replaces from the agent's second phone: %d, want 200", code)
	}
	for deadline := time.Now().Add(3 * time.Second); desk.byes.Load() == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if desk.byes.Load() != 1 {
		t.Errorf("the replaced desk phone got %d BYE, want 1", desk.byes.Load())
	}
	now := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == call.ID && c.CalleeRTP != call.CalleeRTP })
	defer second.send(now.CalleeRTP, 1200)()
	talking(t, "after the INVITE with Replaces", cust, second, 500, 1200, 0)
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	// The BYE to the other side goes out as the customer's is answered.
	for deadline := time.Now().Add(3 * time.Second); other.byes.Load() == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if other.byes.Load() != 1 {
		t.Errorf("the second phone got %d BYE when the customer hung up, want 1", other.byes.Load())
	}
	kept, all := cdrOf(t, p, 2, call.ID)
	if kept.Disposition != "answered" || kept.HangupSide != "caller" || kept.B.PacketsIn < 50 {
		t.Errorf("the kept call's CDR = %+v", kept)
	}
	var replaced bool
	for _, x := range all {
		replaced = replaced || (x.ID != call.ID && x.Caller == "1002" && x.HangupCause == "transferred")
	}
	if !replaced {
		t.Errorf("no CDR for the replacing INVITE ending as transferred: %+v", all)
	}
}
