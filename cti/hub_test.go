package cti_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
)

func publishN(t *testing.T, h *cti.Hub, tenant string, n int, agent string) {
	t.Helper()
	for i := range n {
		var agents []string
		if agent != "" {
			agents = []string{agent}
		}
		if _, err := h.Publish(tenant, cti.Event{Type: "test.event", Agents: agents, Data: map[string]int{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEventsInOrderWithConsecutiveSeq(t *testing.T) {
	e := newEnv(t, cti.Config{})
	wall := e.dial(tokWall)
	if h := wall.Hello(); h.Tenant != "demo" || h.Epoch != "ep1" || h.Seq != 0 {
		t.Fatalf("hello = %+v", h)
	}
	if _, err := wall.Subscribe(e.cctx(), "tenant"); err != nil {
		t.Fatal(err)
	}
	// Events from the ACD (through the adapter) and from direct publishes
	// share one stream.
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := e.acd.Login(e.ctx, "demo", id); err != nil {
			t.Fatal(err)
		}
	}
	publishN(t, e.hub, "demo", 300, "")
	var last uint64
	counts := map[string]int{}
	for i := 0; i < 3+1+300; i++ { // three agent.state, one queue.stats, 300 test events
		ev := next(t, wall)
		if ev.Seq != last+1 {
			t.Fatalf("event %d: seq %d after %d", i, ev.Seq, last)
		}
		if ev.Tenant != "demo" || ev.V != 1 || ev.ID != fmt.Sprintf("ep1-%d", ev.Seq) || ev.TS == "" {
			t.Fatalf("envelope %+v", ev)
		}
		last = ev.Seq
		counts[ev.Type]++
	}
	if counts[protocol.EventAgentState] != 3 || counts["test.event"] != 300 || counts[protocol.EventQueueStats] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	if wall.LastSeq() != last || e.hub.Seq("demo") != last {
		t.Fatalf("client last seq %d, hub seq %d, read %d", wall.LastSeq(), e.hub.Seq("demo"), last)
	}
	quiet(t, wall)
}

func TestResumeGetsExactlyWhatWasMissed(t *testing.T) {
	e := newEnv(t, cti.Config{ReplayWindow: 64})
	c1 := e.dial(tokWall)
	if _, err := c1.Subscribe(e.cctx(), "tenant"); err != nil {
		t.Fatal(err)
	}
	publishN(t, e.hub, "demo", 10, "")
	for range 10 {
		next(t, c1)
	}
	lastSeen := c1.LastSeq()
	c1.Close()
	publishN(t, e.hub, "demo", 15, "")

	c2 := e.dial(tokWall)
	sub, err := c2.Resume(e.cctx(), lastSeen, c2.Hello().Epoch, "tenant")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Replayed != 15 || sub.Seq != 25 {
		t.Fatalf("subscribed = %+v, want 15 replayed up to seq 25", sub)
	}
	publishN(t, e.hub, "demo", 1, "") // live, after the replay
	for want := lastSeen + 1; want <= 26; want++ {
		if ev := next(t, c2); ev.Seq != want {
			t.Fatalf("got seq %d, want %d", ev.Seq, want)
		}
	}
	quiet(t, c2) // nothing twice

	// A resume filtered by topic replays only that topic's events.
	publishN(t, e.hub, "demo", 3, "a1")
	publishN(t, e.hub, "demo", 3, "a2")
	c3 := e.dial(tokAgent1)
	sub, err = c3.Resume(e.cctx(), 26, "", "agent:a1")
	if err != nil || sub.Replayed != 3 {
		t.Fatalf("agent resume = %+v, %v", sub, err)
	}
	for want := uint64(27); want <= 29; want++ {
		if ev := next(t, c3); ev.Seq != want {
			t.Fatalf("agent replay seq %d, want %d", ev.Seq, want)
		}
	}
	quiet(t, c3)
}

func TestResumeRefusedWhenTooOldOrFromAnotherEpoch(t *testing.T) {
	e := newEnv(t, cti.Config{ReplayWindow: 8})
	publishN(t, e.hub, "demo", 20, "") // seqs 13..20 are kept
	c := e.dial(tokWall)
	if _, err := c.Resume(e.cctx(), 11, "", "tenant"); codeOf(err) != protocol.CodeReplayGap || !strings.Contains(err.Error(), "oldest is 13") {
		t.Fatalf("too old: %v", err)
	}
	if _, err := c.Resume(e.cctx(), 15, "ep0", "tenant"); codeOf(err) != protocol.CodeReplayGap || !strings.Contains(err.Error(), "restarted") {
		t.Fatalf("other epoch: %v", err)
	}
	if _, err := c.Resume(e.cctx(), 99, "", "tenant"); codeOf(err) != protocol.CodeReplayGap {
		t.Fatalf("ahead: %v", err)
	}
	// The connection stays up, and since 12 (the oldest kept is 13) works.
	sub, err := c.Resume(e.cctx(), 12, "ep1", "tenant")
	if err != nil || sub.Replayed != 8 {
		t.Fatalf("resume at the edge: %+v, %v", sub, err)
	}
	if _, err := c.Resume(e.cctx(), 12, "", "tenant"); codeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("second since on one connection: %v", err)
	}
}

func TestTenantIsolationAndTopicRights(t *testing.T) {
	e := newEnv(t, cti.Config{})
	other := e.dial(tokOther)
	if _, err := other.Subscribe(e.cctx(), "tenant"); err != nil {
		t.Fatal(err)
	}
	a1 := e.dial(tokAgent1)
	// A queue's events carry callers' numbers: an agent follows its own queues only.
	for _, topic := range []string{"tenant", "agent:a2", "queue:vip"} {
		if _, err := a1.Subscribe(e.cctx(), topic); codeOf(err) != protocol.CodeForbidden {
			t.Fatalf("agent subscribing to %s: %v", topic, err)
		}
	}
	if _, err := a1.Subscribe(e.cctx(), "agent:a1", "queue:hotline"); err != nil {
		t.Fatal(err)
	}
	publishN(t, e.hub, "demo", 2, "a2")
	publishN(t, e.hub, "demo", 1, "a1")
	if _, err := e.hub.Publish("demo", cti.Event{Type: "q", Queues: []string{"hotline"}}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, a1); ev.Seq != 3 {
		t.Fatalf("a1 got seq %d, want its own event 3", ev.Seq)
	}
	if ev := next(t, a1); ev.Seq != 4 || ev.Type != "q" {
		t.Fatalf("a1 got %s seq %d, want the queue event 4", ev.Type, ev.Seq)
	}
	quiet(t, a1)
	quiet(t, other) // demo's events never reach tenant "other"
	if _, err := a1.Unsubscribe(e.cctx(), "queue:hotline"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Publish("demo", cti.Event{Type: "q", Queues: []string{"hotline"}}); err != nil {
		t.Fatal(err)
	}
	quiet(t, a1)
}

func TestBadInputGetsErrorAndConnectionStays(t *testing.T) {
	e := newEnv(t, cti.Config{MaxMessageBytes: 1024})
	ws, _, err := websocket.DefaultDialer.Dial(e.url, http.Header{"Authorization": {"Bearer " + tokAgent1}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() protocol.Envelope {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, raw, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		env, err := protocol.DecodeMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	if h := read(); h.Type != protocol.TypeHello {
		t.Fatalf("first message %s", h.Type)
	}
	cases := []struct{ in, id, code string }{
		{`{"v":1,"type":"ping",`, "", protocol.CodeBadRequest},
		{`[1,2,3]`, "", protocol.CodeBadRequest},
		{`{"v":1,"type":"call.teleport","id":"t1"}`, "t1", protocol.CodeUnknownType},
		{`{"v":1,"type":"agent.notready","id":"t2","data":{}}`, "t2", protocol.CodeBadRequest},
		{`{"v":1,"type":"call.hangup","id":"t3","data":{"agent":"a1"}}`, "t3", protocol.CodeBadRequest},
		{`{"v":1,"type":"ping"}`, "", protocol.CodeBadRequest},
		{`{"v":7,"type":"ping","id":"t4"}`, "t4", protocol.CodeBadRequest},
		{`{"v":1,"type":"auth","id":"t5","data":{"token":"x"}}`, "t5", protocol.CodeBadRequest},
		{`{"v":1,"type":"ping","id":"t6"}`, "t6", ""},
	}
	for _, c := range cases {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(c.in)); err != nil {
			t.Fatal(err)
		}
		got := read()
		var pe protocol.Error
		_ = got.Decode(&pe)
		if got.ID != c.id || pe.Code != c.code || (c.code == "" && got.Type != protocol.TypeOK) {
			t.Errorf("%s → %s id %q %+v; want id %q code %q", c.in, got.Type, got.ID, pe, c.id, c.code)
		}
	}
	// Too large: the hub closes with 1009.
	big := `{"v":1,"type":"ping","id":"x","data":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	if err := ws.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("after an oversized message: %v, want close 1009", err)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, cti.Config{AuthTimeout: 5 * time.Second})
	// A bad header token is refused before the upgrade.
	_, resp, err := websocket.DefaultDialer.Dial(e.url, http.Header{"Authorization": {"Bearer nope"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %v %v", err, resp)
	}
	// Browsers authenticate with a first message.
	c, err := client.Dial(e.cctx(), e.url, client.Options{Token: tokAgent1, AuthMessage: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Hello().Agent != "a1" {
		t.Fatalf("hello %+v", c.Hello())
	}
	c.Close()
	_, err = client.Dial(e.cctx(), e.url, client.Options{Token: "nope", AuthMessage: true})
	if codeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("bad auth message: %v", err)
	}
	// Anything but auth first is refused and the connection closed (4001).
	ws, _, err := websocket.DefaultDialer.Dial(e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"ping","id":"p"}`))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, raw, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(raw), protocol.CodeUnauthorized) {
		t.Fatalf("reply %s, %v", raw, err)
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != protocol.CloseUnauthorized {
		t.Fatalf("close: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, cti.Config{RatePerSecond: 1, RateBurst: 5})
	c := e.dial(tokAgent1)
	limited := 0
	for range 20 {
		if err := c.Do(e.cctx(), protocol.CmdPing, nil, nil); codeOf(err) == protocol.CodeRateLimited {
			limited++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	// At most the burst plus one token per second of this loop got through.
	if limited < 10 {
		t.Fatalf("%d of 20 rate limited, want most", limited)
	}
	select {
	case <-c.Done():
		t.Fatalf("connection ended: %v", c.Err())
	default:
	}
}

func TestCommandsReachACDAndPBX(t *testing.T) {
	e := newEnv(t, cti.Config{})
	a1 := e.dial(tokAgent1)
	ctx := e.cctx()
	if _, err := a1.Subscribe(ctx, "agent:a1"); err != nil {
		t.Fatal(err)
	}
	if err := a1.Ready(ctx, ""); codeOf(err) != protocol.CodeConflict {
		t.Fatalf("ready while logged out: %v, want conflict", err)
	}
	if err := a1.Login(ctx, ""); err != nil {
		t.Fatal(err)
	}
	ev := nextOf(t, a1, protocol.EventAgentState)
	var st protocol.AgentState
	if err := ev.Decode(&st); err != nil || st.Agent != "a1" || st.State != "ready" || st.Prev != "logged_out" {
		t.Fatalf("agent.state %+v %v", st, err)
	}
	if err := a1.NotReady(ctx, "", "smoking"); codeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("unlisted reason: %v", err)
	}
	if err := a1.NotReady(ctx, "", "lunch"); err != nil {
		t.Fatal(err)
	}
	if err := a1.Login(ctx, "a2"); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("agent acting for another: %v", err)
	}
	sup := e.dial(tokSup)
	if err := sup.ForceState(ctx, "a1", "ready", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.acd.Agent(ctx, "demo", "a1"); got.State != "ready" {
		t.Fatalf("after force: %+v", got)
	}
	if err := a1.ForceState(ctx, "a1", "ready", ""); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("agent forcing: %v", err)
	}
	// Call control goes to the PBX with the acting agent.
	if id, err := a1.Dial(ctx, "", "13800138000", "95110"); err != nil || id != "out-13800138000" {
		t.Fatalf("dial = %q, %v", id, err)
	}
	if err := a1.Transfer(ctx, "", "c7", "1002", "attended"); err != nil {
		t.Fatal(err)
	}
	if err := a1.Hangup(ctx, "", "missing"); codeOf(err) != protocol.CodeNotFound {
		t.Fatalf("hangup unknown call: %v", err)
	}
	if err := a1.Hold(ctx, "", "boom"); codeOf(err) != protocol.CodeInternal || strings.Contains(err.Error(), "socket") {
		t.Fatalf("internal failure: %v (must not leak details)", err)
	}
	if err := a1.Do(ctx, protocol.CmdCallDTMF, protocol.DTMF{Call: "c7", Digits: "12#"}, nil); err != nil {
		t.Fatal(err)
	}
	var mon protocol.DialResult
	if err := sup.Do(ctx, protocol.CmdSupervisorWhisper, protocol.Monitor{Agent: "a1"}, &mon); err != nil || mon.Call != "mon-a1" {
		t.Fatalf("whisper = %+v, %v", mon, err)
	}
	if err := a1.Do(ctx, protocol.CmdSupervisorBarge, protocol.Monitor{Agent: "a2"}, nil); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("agent barging: %v", err)
	}
	sys := e.dial(tokSys)
	if _, err := sys.Dial(ctx, "a2", "1003", ""); err != nil {
		t.Fatalf("system dialling for a2: %v", err)
	}
	if _, err := sys.Dial(ctx, "", "1003", ""); codeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("system dialling for nobody: %v", err)
	}
	want := []string{
		"dial demo a1 13800138000 95110",
		"transfer demo a1 c7 1002 attended=true",
		"hangup demo a1 missing",
		"hold demo a1 boom",
		"dtmf demo a1 c7 12#",
		"monitor demo s1 a1 whisper",
		"dial demo a2 1003 ",
	}
	if got := e.calls.take(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("pbx saw\n%v\nwant\n%v", got, want)
	}
	// Screen pops: the system publishes, the agent's bar receives.
	pop := protocol.ScreenPop{Agent: "a1", Call: "c7", Title: "张三 来电", URL: "https://oa.example/customers/42", Fields: map[string]string{"tickets": "2"}}
	if err := sys.ScreenPop(ctx, pop); err != nil {
		t.Fatal(err)
	}
	ev = nextOf(t, a1, protocol.EventScreenPop)
	var got protocol.ScreenPop
	if err := ev.Decode(&got); err != nil || got.Title != pop.Title || got.Fields["tickets"] != "2" {
		t.Fatalf("screenpop %+v %v", got, err)
	}
	if err := a1.ScreenPop(ctx, pop); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("agent publishing a screen pop: %v", err)
	}
}

func TestSlowConsumerIsCutOthersUnaffected(t *testing.T) {
	e := newEnvListener(t, cti.Config{SendQueue: 64, WriteTimeout: 30 * time.Second}, smallBuffers)
	fast := e.dial(tokWall)
	if _, err := fast.Subscribe(e.cctx(), "tenant"); err != nil {
		t.Fatal(err)
	}
	// The slow client has a small socket buffer and stops reading after
	// its subscription is confirmed.
	slowRaw, _, err := smallDialer().Dial(e.url, http.Header{"Authorization": {"Bearer " + tokWall}})
	if err != nil {
		t.Fatal(err)
	}
	defer slowRaw.Close()
	_, _, _ = slowRaw.ReadMessage() // hello
	sub, _ := json.Marshal(protocol.Envelope{V: 1, Type: "subscribe", ID: "s", Data: json.RawMessage(`{"topics":["tenant"]}`)})
	_ = slowRaw.WriteMessage(websocket.TextMessage, sub)
	_, _, _ = slowRaw.ReadMessage() // ok
	// Publishing never waits for it. The fast client is given time to read
	// between rounds (by waiting for its count, not the clock), so only
	// the client that stopped reading can fall behind.
	got := make(chan int, 256)
	go func() {
		n := 0
		for range fast.Events() {
			n++
			got <- n
		}
	}()
	pad := strings.Repeat("x", 16<<10)
	for round := range 4 {
		for i := range 50 {
			if _, err := e.hub.Publish("demo", cti.Event{Type: "test.big", Data: map[string]any{"i": round*50 + i, "pad": pad}}); err != nil {
				t.Fatal(err)
			}
		}
		for n := 0; n < (round+1)*50; {
			select {
			case n = <-got:
			case <-time.After(20 * time.Second):
				t.Fatalf("the fast client got %d of %d events", n, (round+1)*50)
			}
		}
	}
	if e.hub.Stats().Cut == 0 {
		t.Fatal("the slow client was not cut")
	}
	// When the slow client finally reads, it finds the reason.
	_ = slowRaw.SetReadDeadline(time.Now().Add(45 * time.Second))
	for {
		_, _, err := slowRaw.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != protocol.CloseSlowConsumer || !strings.Contains(ce.Text, "slow consumer") {
			t.Fatalf("slow client ended with %v, want close %d slow consumer", err, protocol.CloseSlowConsumer)
		}
		break
	}
	select {
	case <-fast.Done():
		t.Fatalf("fast client cut: %v", fast.Err())
	default:
	}
	if n := e.hub.Stats().Cut; n != 1 {
		t.Fatalf("%d connections cut, want only the one that stopped reading", n)
	}
}

func TestHubCloseEndsClientsWithAReason(t *testing.T) {
	e := newEnv(t, cti.Config{})
	c := e.dial(tokWall)
	e.hub.Close()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("client still connected after hub.Close")
	}
	var ce *websocket.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("client ended with %v, want 1001 going away", c.Err())
	}
	if err := c.Do(e.cctx(), protocol.CmdPing, nil, nil); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("command after close: %v", err)
	}
	if _, err := client.Dial(e.cctx(), e.url, client.Options{Token: tokWall}); err == nil {
		t.Fatal("a closed hub accepted a connection")
	}
}
