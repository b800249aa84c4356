package browser

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/tests/testpbx"
)

// customerMedia is the customer's audio end: it sends A-law silence to the
// relay (so the relay latches to it and the agent hears a stream) and counts
// the packets that carry sound, as the browser's fake microphone beeps do.
type customerMedia struct {
	conn  *net.UDPConn
	loud  atomic.Int64
	first atomic.Int64 // unix ms of the first loud packet after the last reset
}

func newCustomerMedia(t *testing.T, ip string) *customerMedia {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	m := &customerMedia{conn: conn}
	go m.read()
	return m
}

func (m *customerMedia) port() int { return m.conn.LocalAddr().(*net.UDPAddr).Port }

func (m *customerMedia) read() {
	buf := make([]byte, 1500)
	for {
		n, _, err := m.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if loudALaw(buf[:n]) {
			m.loud.Add(1)
			m.first.CompareAndSwap(0, time.Now().UnixMilli())
		}
	}
}

// loudALaw: an RTP packet of PCMA whose payload has a sample of at least
// segment 2 among one every 16 (the rule of soundFilter, in Go).
func loudALaw(pkt []byte) bool {
	if len(pkt) < 12 || pkt[0]&0xc0 != 0x80 || pkt[1]&0x7f != 8 {
		return false
	}
	off := 12 + int(pkt[0]&0x0f)*4
	if pkt[0]&0x10 != 0 {
		if len(pkt) < off+4 {
			return false
		}
		off += 4 + int(binary.BigEndian.Uint16(pkt[off+2:]))*4
	}
	for i := off; i < len(pkt); i += 16 {
		if (pkt[i]^0x55)&0x70 >= 0x20 {
			return true
		}
	}
	return false
}

// send streams A-law silence to addr every 20 ms until stop.
func (m *customerMedia) send(t *testing.T, addr string) (stop func()) {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		pkt := make([]byte, 12+160)
		pkt[0], pkt[1] = 0x80, 8
		binary.BigEndian.PutUint32(pkt[8:], 0x5eed)
		for i := 12; i < len(pkt); i++ {
			pkt[i] = 0xd5
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq++ {
			binary.BigEndian.PutUint16(pkt[2:], seq)
			binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*160)
			m.conn.WriteToUDP(pkt, to)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done) }
}

// hears waits up to within for at least n loud packets counted from now,
// and returns when the first came.
func (m *customerMedia) hears(t *testing.T, what string, n int64, within time.Duration) time.Time {
	t.Helper()
	start := time.Now()
	base := m.loud.Load()
	m.first.Store(0)
	for m.loud.Load()-base < n {
		if time.Since(start) > within {
			t.Fatalf("%s: the customer heard %d packets of the agent's microphone in %v", what, m.loud.Load()-base, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.UnixMilli(m.first.Load())
}

// customerCall returns the PBX's call from ext once it is answered.
func customerCall(t *testing.T, p *testpbx.PBX, ext string) b2bua.CallInfo {
	t.Helper()
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			if c.Caller == ext && c.State == "answered" {
				return c
			}
		}
	}
	t.Fatalf("no answered call from %s among %+v", ext, p.Server.Calls())
	return b2bua.CallInfo{}
}

// answeredInTheBrowser has a SIPp customer (1005, taking re-INVITEs, its
// audio at a Go socket) call the queue for talk; the agent answers in the
// bar; it returns the customer's media end and the PBX's call.
func answeredInTheBrowser(t *testing.T, p *testpbx.PBX, b *browser, talk time.Duration) (*customerMedia, b2bua.CallInfo) {
	t.Helper()
	custIP := testpbx.Loopback()
	media := newCustomerMedia(t, custIP)
	scenario, err := sipp.Render(t.TempDir(), "uac_media_hold.tmpl", struct {
		RTPIP   string
		RTPPort int
	}{custIP, media.port()})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := sipp.Start(t.Context(), sipp.Options{Scenario: scenario, Remote: p.SIPAddr(), LocalIP: custIP, User: "1005",
		Password: p.Secrets["1005"], Service: "8000", Dir: t.TempDir(), Timeout: talk + 30*time.Second, Lenient: true,
		Vars: map[string]string{"talk_ms": fmt.Sprint(talk.Milliseconds())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cust.Stop() })
	answerInBar(t, p, b)
	return media, customerCall(t, p, "1005")
}

// answerInBar answers the call ringing a1001's bar and waits for the ACD
// to have the agent on the call.
func answerInBar(t *testing.T, p *testpbx.PBX, b *browser) {
	t.Helper()
	b.Wait("bar", "[data-test=call][data-phase=ringing]", 10*time.Second)
	b.Click("bar", "[data-test=answer]")
	b.Wait("bar", "[data-test=call][data-phase=talking]", 5*time.Second)
	waitACD(t, p, "a1001", acd.OnCall)
}

// stillUp fails unless the PBX still has the call, answered.
func stillUp(t *testing.T, p *testpbx.PBX, id, when string) {
	t.Helper()
	for _, c := range p.Server.Calls() {
		if c.ID == id && c.State == "answered" {
			return
		}
	}
	t.Fatalf("%s: the customer's call %s is gone (calls: %+v)", when, id, p.Server.Calls())
}

// The browser is the agent's phone for a queue call from a SIPp customer
// who takes re-INVITEs: the agent holds and resumes from the bar, then
// reloads the page mid-call. The customer is never hung up: the reloaded bar
// finds the call again (from the snapshot), its media session re-attaches,
// and the customer hears the agent's microphone again. Last the agent
// transfers the customer blind to 1004 from the bar; the customer's call
// goes on without the agent, who wraps up.
func TestBrowserSoftphoneHoldReloadAndBlindTransfer(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	p := floor(t, func(c *config.Config) { c.WebRTC.Disabled = false })
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	if err := p.Contact.ACD.NotReady(t.Context(), "demo", "a1002", "培训"); err != nil {
		t.Fatal(err)
	}
	p.Callee(t, "1004", testpbx.Loopback(), "uas_answer.xml", false, nil)
	b := startBrowser(t)
	signIn(b, p, "wangfang", pass)
	b.Wait("bar", "[data-test=device]:has-text('浏览器话机')", 10*time.Second)
	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(t.Context(), "agent:a1001", "queue:hotline"); err != nil {
		t.Fatal(err)
	}

	media, c := answeredInTheBrowser(t, p, b, 60*time.Second)
	defer media.send(t, c.CallerRTP)()
	media.hears(t, "answered", 10, 5*time.Second)

	time.Sleep(300 * time.Millisecond) // the ACK is in: the customer can be re-INVITEd
	b.Click("bar", "[data-test=hold]")
	waitEvent(t, cl, "call.held", nil)
	b.Wait("bar", "[data-test=call][data-phase=held]", time.Second)
	b.Shot("bar", "20-browser-call-held")
	b.Click("bar", "[data-test=hold]")
	waitEvent(t, cl, "call.resumed", nil)
	b.Wait("bar", "[data-test=call][data-phase=talking]", time.Second)
	media.hears(t, "resumed", 10, 3*time.Second)

	// The page is reloaded mid-call.
	reloaded := time.Now()
	b.Open("bar", base(p)+"/agent/")
	b.Wait("bar", "[data-test=call][data-phase=talking]", 10*time.Second)
	b.Wait("bar", "[data-test=device]:has-text('浏览器话机')", 10*time.Second)
	back := media.hears(t, "after the reload", 10, 10*time.Second)
	t.Logf("reload: the customer heard the agent again %v after the page began to reload", back.Sub(reloaded).Round(time.Millisecond))
	stillUp(t, p, c.ID, "after the reload")
	if st := agentState(t, p, "a1001"); st.State != acd.OnCall || st.Call != c.ID {
		t.Fatalf("after the reload the agent is %+v, want on call %s", st, c.ID)
	}
	b.Shot("bar", "21-browser-call-after-reload")

	// Blind transfer from the reloaded bar: the customer goes on with 1004.
	b.Click("bar", "[data-test=transfer]")
	b.Wait("bar", "#xfer-to", 2*time.Second)
	b.Fill("bar", "#xfer-to", "1004")
	b.Click("bar", "[data-test=xfer-blind]")
	waitEvent(t, cl, "call.transferred", func(d map[string]any) bool { return d["to"] == "1004" && d["mode"] == "blind" })
	b.Wait("bar", "[data-test=call][data-phase=idle]", 3*time.Second)
	waitACD(t, p, "a1001", acd.WrapUp)
	time.Sleep(time.Second)
	stillUp(t, p, c.ID, "after the transfer")
	for {
		select {
		case ev := <-cl.Events():
			if ev.Type == "call.ended" {
				t.Fatalf("call.ended while the customer should still talk to 1004: %s", ev.Data)
			}
			continue
		default:
		}
		break
	}
}

// A supervisor listens to a browser agent's call from the wallboard: their
// desk phone (SIPp on 1002, the endpoint their role binding names) is rung
// and joined to the call, and hears the browser's microphone (A-law above
// the noise arriving at its address) while the customer still hears the
// agent.
func TestSupervisorListensToABrowserAgentFromTheWallboard(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	sipp.RequireTool(t, "dumpcap", "apt-get install tshark")
	p := floor(t, func(c *config.Config) { c.WebRTC.Disabled = false })
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	supPass := account(t, p, "banzhang", "supervisor", []string{"hotline"}, "a1002")
	if err := p.Contact.ACD.NotReady(t.Context(), "demo", "a1002", "培训"); err != nil {
		t.Fatal(err)
	}
	supIP := testpbx.Loopback()
	p.Callee(t, "1002", supIP, "uas_answer.xml", false, nil)
	b := startBrowser(t)
	signIn(b, p, "wangfang", pass)
	b.Wait("bar", "[data-test=device]:has-text('浏览器话机')", 10*time.Second)

	media, c := answeredInTheBrowser(t, p, b, 30*time.Second)
	defer media.send(t, c.CallerRTP)()
	media.hears(t, "answered", 10, 5*time.Second)

	b.Open("wall", base(p)+"/wallboard/")
	b.Wait("wall", "#l-name", 10*time.Second)
	b.login("wall", "banzhang", supPass)
	b.Wait("wall", "[data-test=wb-agent][data-agent=a1001][data-state=on_call]", 10*time.Second)
	b.Click("wall", "[data-test=wb-agent][data-agent=a1001]")
	b.Click("wall", ".el-dialog button:has-text('监听')")
	deadline := time.Now().Add(10 * time.Second)
	for !monitoring(p, "1002") {
		if time.Now().After(deadline) {
			t.Fatalf("no monitor leg to 1002 among %+v", p.Server.Calls())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the mix has started
	heard, err := sipp.CaptureUDP(t.Context(), soundFilter(supIP))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	n, err := heard.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the supervisor got %d packets of sound in 3 s", n)
	if n < 10 {
		t.Errorf("the supervisor heard %d packets of the browser agent's microphone in 3 s", n)
	}
	media.hears(t, "while listened to", 10, 3*time.Second)
	stillUp(t, p, c.ID, "while listened to")
}

// monitoring reports whether ext's monitor leg (the PBX rings the
// supervisor, then joins them: "listen:<agent's extension>") is answered.
func monitoring(p *testpbx.PBX, ext string) bool {
	for _, c := range p.Server.Calls() {
		if c.State == "answered" && c.Caller == ext && strings.HasPrefix(c.Callee, "listen:") {
			return true
		}
	}
	return false
}
