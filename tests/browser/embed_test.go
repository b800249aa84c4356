package browser

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// A third party's page on another origin (agentbar/examples/embed.html)
// embeds the agent bar: the agent logs in inside the iframe, the page
// starts a click-to-dial through postMessage (the PBX rings the agent's
// phone, then the customer) and hangs it up, then receives the ringing
// event of a queue call.
func TestEmbeddedBarClickToDialAndRingingEvent(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(testpbx.Loopback(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	site := &http.Server{Handler: http.FileServer(http.Dir(testpbx.RepoPath("agentbar/examples")))}
	go site.Serve(ln)
	t.Cleanup(func() { site.Close() })
	origin := "http://" + ln.Addr().String()

	p := floor(t, func(c *config.Config) { c.HTTP.UIEmbedOrigins = []string{origin} })
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	if err := p.Contact.ACD.NotReady(t.Context(), "demo", "a1002", "培训"); err != nil {
		t.Fatal(err)
	}
	p.Callee(t, "1001", testpbx.Loopback(), "uas_answer.xml", false, map[string]string{"ring_ms": "1000"})
	p.Callee(t, "1003", testpbx.Loopback(), "uas_answer.xml", false, nil)

	b := startBrowser(t)
	b.Open("crm", origin+"/embed.html?pbx="+base(p))
	in := func(op, sel string, more map[string]any) json.RawMessage {
		c := map[string]any{"op": op, "page": "crm", "frame": "#bar", "selector": sel}
		for k, v := range more {
			c[k] = v
		}
		return b.Do(c)
	}
	in("wait", "#l-name", map[string]any{"timeout": 10000})
	in("fill", "#l-name", map[string]any{"value": "wangfang"})
	in("fill", "#l-pass", map[string]any{"value": pass})
	in("click", "button[type=submit]", nil)
	in("wait", "[data-test=state][data-state=ready]", map[string]any{"timeout": 10000})
	b.Wait("crm", "#log li[data-type=connection]:has-text('open')", 5*time.Second)

	// Click-to-dial from the CRM: the agent's phone answers, then 1003 does;
	// the CRM hangs up.
	b.Fill("crm", "#to", "1003")
	b.Click("crm", "#dial")
	b.Wait("crm", "#status:has-text('ok')", 10*time.Second)
	waitCall(t, p, "1003", true)
	b.Shot("crm", "13-embedded-click-to-dial")
	b.Click("crm", "#hangup")
	b.Wait("crm", "#status:has-text('ok')", 5*time.Second)
	waitCall(t, p, "1003", false)
	in("wait", "[data-test=state][data-state=ready]", map[string]any{"timeout": 5000})

	// A queue call: the CRM hears call.ringing with the caller.
	call(t, p, "1005", "8000", 30*time.Second)
	b.Wait("crm", "#log li[data-type='call.ringing']", 10*time.Second)
	if s := b.Text("crm", "#status"); !strings.Contains(s, "来电：1005") {
		t.Fatalf("CRM status %q, want the ringing caller", s)
	}
	b.Shot("crm", "14-embedded-ringing")
}

// waitCall waits until a call to callee is answered (or, with up false, gone).
func waitCall(t *testing.T, p *testpbx.PBX, callee string, up bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		for _, c := range p.Server.Calls() {
			if c.Callee == callee && (!up || !c.Answered.IsZero()) {
				found = true
			}
		}
		if found == up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("call to %s up=%v, want %v: %+v", callee, found, up, p.Server.Calls())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
