package system_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
)

// A phone holding two calls through the PBX (a customer who called it, and
// a colleague it called) transfers with REFER + Replaces (RFC 5589 §7):
// the customer and the colleague end up talking, with no new INVITE to
// either; the phone gets 202, a sipfrag NOTIFY and a BYE on both calls.
// The phone is a small sipgo UA, since SIPp cannot name one call's dialog
// from another.
func TestPhoneAttendedTransferWithREFERReplaces(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cust, target := newEndpoint(t, "127.0.104.4"), newEndpoint(t, "127.0.104.3")
	phone(t, p, "1003", "127.0.104.3", target)
	const agentIP = "127.0.104.2"
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// Bound before the REGISTER, so the first INVITE finds it listening,
	// on a port the kernel picks (a fixed one met the same test run from
	// other checkouts on the machine).
	conn, err := net.ListenPacket("udp", net.JoinHostPort(agentIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	agentPort := conn.LocalAddr().(*net.UDPAddr).Port

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("refer-test"), sipgo.WithUserAgentHostname(agentIP))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	srv, _ := sipgo.NewServer(ua)
	cli, _ := sipgo.NewClient(ua, sipgo.WithClientHostname(agentIP), sipgo.WithClientPort(agentPort))
	agentSDP := func() []byte {
		return []byte(fmt.Sprintf("v=0\r\no=agent 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n", agentIP, agentIP))
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: agentIP, Port: agentPort}}
	incoming := make(chan *sip.Request, 1)
	const myTag = "agenttag1"
	var byes, notifies, seq atomic.Int32
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", agentSDP())
		res.To().Params.Add("tag", myTag)
		res.AppendHeader(&contact)
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		_ = tx.Respond(res)
		select {
		case incoming <- req:
		default:
		}
		<-tx.Done()
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		byes.Add(1)
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		if string(req.Body()) == "SIP/2.0 200 OK" {
			notifies.Add(1)
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go srv.ServeUDP(conn)
	p.Register(t, "1002", agentIP, agentPort)

	// Call 1: the customer calls the agent.
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1004", "127.0.104.4", mediaScenario(t, "uac_media.tmpl", "127.0.104.4", cust.port()), "1002", map[string]string{"talk_ms": "9000"})
	}()
	var inv1 *sip.Request
	select {
	case inv1 = <-incoming:
	case <-time.After(8 * time.Second):
		t.Fatal("the customer's call never reached the agent")
	}
	call1 := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1002" })
	defer cust.send(call1.CallerRTP, 500)()

	// Call 2: the agent calls 1003.
	pbxHost, pbxPortS, _ := net.SplitHostPort(p.SIPAddr())
	pbxPort, _ := strconv.Atoi(pbxPortS)
	dc := sipgo.NewDialogClientCache(cli, contact)
	sess, err := dc.Invite(ctx, sip.Uri{Scheme: "sip", User: "1003", Host: pbxHost, Port: pbxPort}, agentSDP(), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1002", Password: p.Secrets["1002"]}); err != nil {
		t.Fatalf("call 2: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	call2 := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1003" })
	defer target.send(call2.CalleeRTP, 1200)()
	time.Sleep(500 * time.Millisecond)

	// REFER on call 1 naming call 2's dialog.
	cid := sess.InviteRequest.CallID().Value()
	fromTag, _ := sess.InviteRequest.From().Params.Get("tag")
	toTag, _ := sess.InviteResponse.To().Params.Get("tag")
	refer := func(replaces string) *sip.Response {
		peer := inv1.Contact().Address
		req := sip.NewRequest(sip.REFER, peer)
		from := &sip.FromHeader{Address: inv1.To().Address, Params: sip.NewParams()}
		from.Params.Add("tag", myTag)
		req.AppendHeader(from)
		// The PBX's From in call 1 is the To of the phone's requests in it.
		req.AppendHeader(&sip.ToHeader{DisplayName: inv1.From().DisplayName, Address: inv1.From().Address, Params: inv1.From().Params.Clone()})
		req.AppendHeader(sip.HeaderClone(inv1.CallID()))
		req.AppendHeader(&sip.CSeqHeader{SeqNo: uint32(100 + seq.Add(1)), MethodName: sip.REFER})
		req.AppendHeader(&contact)
		req.AppendHeader(sip.NewHeader("Refer-To", fmt.Sprintf("<sip:1003@%s?Replaces=%s>", pbxHost, replaces)))
		req.AppendHeader(sip.NewHeader("Referred-By", "<sip:1002@"+pbxHost+">"))
		req.SetDestination(p.SIPAddr())
		res, err := cli.Do(ctx, req, sipgo.ClientRequestAddVia)
		if err != nil {
			t.Fatalf("REFER: %v", err)
		}
		return res
	}
	esc := url.QueryEscape
	if res := refer(esc(cid + ";to-tag=" + toTag + ";from-tag=wrong")); res.StatusCode != 481 {
		t.Errorf("REFER naming tags of no dialog: %d, want 481", res.StatusCode)
	}
	if res := refer(esc(cid)); res.StatusCode != 400 {
		t.Errorf("REFER with a Replaces missing its tags: %d, want 400", res.StatusCode)
	}
	if res := refer(esc(cid + ";to-tag=" + toTag + ";from-tag=" + fromTag)); res.StatusCode != 202 {
		t.Fatalf("REFER Replaces: %d, want 202", res.StatusCode)
	}
	for deadline := time.Now().Add(5 * time.Second); byes.Load() < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if notifies.Load() != 1 || byes.Load() != 2 {
		t.Errorf("the referrer got %d sipfrag 200 NOTIFY and %d BYE, want 1 and 2", notifies.Load(), byes.Load())
	}
	time.Sleep(300 * time.Millisecond)
	cust.reset()
	target.reset()
	time.Sleep(1500 * time.Millisecond)
	c, tg := cust.heard(1200)[0], target.heard(500)[0]
	t.Logf("after REFER Replaces: customer hears target %.3f, target hears customer %.3f", c, tg)
	if c < 0.05 || tg < 0.05 {
		t.Errorf("customer and target do not hear each other: %.3f %.3f", c, tg)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	var kept, gone bool
	for _, x := range p.CDRs(t, 2) {
		switch x.ID {
		case call1.ID:
			kept = x.Disposition == "answered" && x.HangupSide == "caller" && x.B.PacketsIn > 50
		case call2.ID:
			gone = x.HangupCause == "transferred"
		}
	}
	if !kept || !gone {
		t.Errorf("CDRs: customer's call kept talking %v, agent's call to 1003 ended as transferred %v: %+v", kept, gone, p.CDRs(t, 2))
	}
}
