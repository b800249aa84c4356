package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// soundFilter matches RTP to host carrying sound: a G.711 A-law sample,
// among one every 16 in the 20 ms payload, of at least segment 2 (|x| ≥ 128
// of 4096), as Chromium's fake microphone beeps are; silence (0xd5/0x55)
// and the low noise around it are segment 0. The payload starts after the
// 12-byte header, or after one word of header extension more when the X bit
// is set (WebRTC's one-byte extensions).
func soundFilter(host string) string {
	loud := func(base int) string {
		var any []string
		for off := 0; off < 160; off += 16 {
			any = append(any, fmt.Sprintf("((udp[%d] ^ 0x55) & 0x70) >= 0x20", base+off))
		}
		return "(" + strings.Join(any, " or ") + ")"
	}
	return fmt.Sprintf("udp and dst host %s and udp[8] & 0xc0 = 0x80 and udp[8] & 0x0f = 0 and "+
		"((udp[8] & 0x10 = 0 and %s) or (udp[8] & 0x10 != 0 and udp[22:2] = 1 and %s))", host, loud(20), loud(28))
}

// The browser is the agent's phone (WebRTC over the CTI, DTLS-SRTP, PCMA):
// a SIPp customer's queue call rings the bar, the agent answers in the
// browser; the browser receives the customer's audio (getStats inbound
// packets) and the customer receives the fake microphone's beeps (non-silent
// A-law captured at SIPp's address), which stop when the agent mutes; the
// agent hangs up from the bar.
func TestBrowserSoftphoneAnswersAndTalks(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	sipp.RequireTool(t, "dumpcap", "apt-get install tshark")
	p := floor(t, func(c *config.Config) { c.WebRTC.Disabled = false })
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	if err := p.Contact.ACD.NotReady(t.Context(), "demo", "a1002", "培训"); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t)
	signIn(b, p, "wangfang", pass)
	b.Wait("bar", "[data-test=device]:has-text('浏览器话机')", 10*time.Second)

	custIP := testpbx.Loopback()
	cust, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIPAddr(), LocalIP: custIP,
		User: "1005", Password: p.Secrets["1005"], Service: "8000", Dir: t.TempDir(), Timeout: 60 * time.Second,
		Vars: map[string]string{"talk_ms": "30000"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cust.Stop() })
	answerInBar(t, p, b)

	sound, err := sipp.CaptureUDP(t.Context(), soundFilter(custIP))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	beeps, err := sound.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var q struct{ PacketsIn, PacketsOut int }
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "bar", "js": "window.yimenBar.phone.quality()"}), &q)
	t.Logf("browser: %d packets in, %d out; customer got %d packets of sound in 4 s", q.PacketsIn, q.PacketsOut, beeps)
	if q.PacketsIn < 100 || q.PacketsOut < 100 {
		t.Errorf("getStats: %d packets in, %d out; want the call's audio both ways", q.PacketsIn, q.PacketsOut)
	}
	if beeps < 10 {
		t.Errorf("the customer heard %d packets of the browser's microphone in 4 s", beeps)
	}
	b.Shot("bar", "19-browser-softphone-call")

	// Muted: the customer gets only silence.
	b.Do(map[string]any{"op": "press", "page": "bar", "value": "Alt+M"})
	time.Sleep(time.Second) // what was on its way has arrived
	quiet, err := sipp.CaptureUDP(t.Context(), soundFilter(custIP))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if n, err := quiet.Stop(); err != nil || n != 0 {
		t.Errorf("muted, the customer still got %d packets of sound (%v)", n, err)
	}

	b.Click("bar", "[data-test=hangup]")
	b.Wait("bar", "[data-test=state][data-state=wrap_up]", 5*time.Second)
}
