package cti_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/pbx/callevent"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the examples in docs/cti.md")

const docPath = "../docs/cti.md"

// recorder is a raw websocket client that keeps the exact JSON of what it
// sends and receives, for the documentation.
type recorder struct {
	t       *testing.T
	ws      *websocket.Conn
	ex      map[string]string
	seq     int
	tag     string
	backlog [][]byte // received, not yet asked for
}

func (e *env) recorder(token, tag string, ex map[string]string) *recorder {
	e.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ws, _, err := websocket.DefaultDialer.Dial(e.url, h)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.Close() })
	return &recorder{t: e.t, ws: ws, ex: ex, tag: tag}
}

func (r *recorder) keep(key string, raw []byte) {
	r.t.Helper()
	if _, dup := r.ex[key]; dup {
		r.t.Fatalf("example %s recorded twice", key)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		r.t.Fatalf("example %s: %v", key, err)
	}
	r.ex[key] = out.String()
}

// send writes a command; key, if set, records it.
func (r *recorder) send(key, typ string, data any) {
	r.t.Helper()
	r.seq++
	env := protocol.Envelope{V: 1, Type: typ, ID: fmt.Sprintf("%s%d", r.tag, r.seq)}
	if data != nil {
		env.Data, _ = json.Marshal(data)
	}
	raw, _ := json.Marshal(env)
	if key != "" {
		r.keep(key, raw)
	}
	if err := r.ws.WriteMessage(websocket.TextMessage, raw); err != nil {
		r.t.Fatal(err)
	}
}

// recv returns the first message of type typ not yet taken (reading more
// as needed) and records it under key.
func (r *recorder) recv(key, typ string) protocol.Envelope {
	r.t.Helper()
	for i := 0; ; i++ {
		if i == len(r.backlog) {
			_ = r.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, raw, err := r.ws.ReadMessage()
			if err != nil {
				r.t.Fatalf("waiting for %s: %v", typ, err)
			}
			r.backlog = append(r.backlog, raw)
		}
		raw := r.backlog[i]
		env, err := protocol.DecodeMessage(raw)
		if err != nil {
			r.t.Fatal(err)
		}
		if env.Type == protocol.TypeError && typ != protocol.TypeError {
			r.t.Fatalf("waiting for %s: error %s", typ, env.Data)
		}
		if env.Type == typ {
			r.backlog = append(r.backlog[:i], r.backlog[i+1:]...)
			if key != "" {
				r.keep(key, raw)
			}
			return env
		}
	}
}

// do sends a command and records its request and its reply.
func (r *recorder) do(key, typ string, data any, replyKey string) {
	r.t.Helper()
	r.send(key, typ, data)
	r.recv(replyKey, protocol.TypeOK)
}

// docExamples runs a scripted session against a real hub and ACD and
// returns the JSON of every message, keyed as docs/cti.md names them.
func docExamples(t *testing.T) map[string]string {
	e := newEnv(t, cti.Config{ReplayWindow: 4096})
	ex := map[string]string{}
	ctx := e.cctx()

	// A browser: auth message first.
	br := e.recorder("", "b", ex)
	br.send("auth", protocol.CmdAuth, protocol.Auth{Token: tokAgent2})
	br.recv("auth.ok", protocol.TypeOK)
	br.recv("", protocol.TypeHello)

	ag := e.recorder(tokAgent1, "r", ex)
	ag.recv("hello", protocol.TypeHello)
	ag.do("subscribe", protocol.CmdSubscribe, protocol.Subscribe{Topics: []string{"agent:a1", "queue:hotline"}}, "subscribe.ok")
	ag.do("ping", protocol.CmdPing, nil, "ping.ok")
	ag.send("error.forbidden.request", protocol.CmdSubscribe, protocol.Subscribe{Topics: []string{"tenant"}})
	ag.recv("error.forbidden", protocol.TypeError)
	ag.send("error.bad_request.request", protocol.CmdAgentNotReady, map[string]string{})
	ag.recv("error.bad_request", protocol.TypeError)
	ag.send("", "call.teleport", nil)
	ag.recv("error.unknown_type", protocol.TypeError)
	if err := ag.ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"ping","id":"r9"`)); err != nil {
		t.Fatal(err)
	}
	ag.recv("error.bad_json", protocol.TypeError)

	sup := e.recorder(tokSup, "s", ex)
	sup.recv("", protocol.TypeHello)
	sys := e.recorder(tokSys, "y", ex)
	sys.recv("", protocol.TypeHello)

	// A caller waits 12 s, then a1 signs in and is offered the call.
	if err := e.acd.Enqueue(ctx, "demo", acd.Call{ID: "c1001", Queue: "hotline", Caller: "13800138000", DID: "12345",
		Priority: 1, Vars: map[string]string{"menu": "2", "lang": "zh"}}); err != nil {
		t.Fatal(err)
	}
	ag.recv("", protocol.EventQueueStats)
	e.clk.Advance(12 * time.Second)
	ag.do("agent.login", protocol.CmdAgentLogin, protocol.AgentRef{}, "")
	ag.recv("agent.state", protocol.EventAgentState)
	ag.recv("call.ringing", protocol.EventCallRinging)
	e.clk.Advance(3 * time.Second)
	if err := e.acd.AgentAnswered(ctx, "demo", "c1001", "a1"); err != nil {
		t.Fatal(err)
	}
	ci := callevent.Call{ID: "c1001", Tenant: "demo", Caller: "13800138000", Callee: "1001", Start: t0, Answered: e.clk.Now()}
	e.adapter.CallAnswered(callevent.Answered{Call: ci})
	ag.recv("call.answered", protocol.EventCallAnswered)
	ag.recv("queue.stats", protocol.EventQueueStats)
	e.adapter.CallHold(callevent.Hold{Call: ci, Held: true})
	ag.recv("call.held", protocol.EventCallHeld)
	e.adapter.CallHold(callevent.Hold{Call: ci, Held: false})
	ag.recv("call.resumed", protocol.EventCallResumed)
	e.adapter.CallTransfer(callevent.Transfer{Call: ci, Mode: callevent.TransferAttended, State: callevent.ConsultAnswered, From: "1001", To: "1003"})
	ag.recv("call.consult.event", protocol.EventCallConsult)
	e.adapter.CallTransferred("demo", "c1001", "a1", "1003", true)
	ag.recv("call.transferred", protocol.EventCallTransferred)
	e.clk.Advance(95 * time.Second)
	if err := e.acd.CallEnded(ctx, "demo", "c1001"); err != nil {
		t.Fatal(err)
	}
	e.adapter.CallEnded(callevent.Ended{Call: ci, CDR: callevent.CDR{Caller: "13800138000", Callee: "1001", Start: t0,
		Answer: ci.Answered, End: e.clk.Now(), Ring: 15 * time.Second, Talk: 95 * time.Second, Hold: 20 * time.Second,
		Disposition: "answered", HangupSide: "caller", HangupCause: "bye", SIPCode: 200}})
	ag.recv("call.ended", protocol.EventCallEnded)
	// The caller answers the satisfaction question: it counts for a1 and the queue.
	if err := e.acd.Survey(ctx, "demo", "c1001", true, 5); err != nil {
		t.Fatal(err)
	}

	// Agent commands.
	ag.do("agent.wrapup.done", protocol.CmdAgentWrapUpDone, protocol.AgentRef{}, "")
	ag.do("agent.notready", protocol.CmdAgentNotReady, protocol.NotReady{Reason: "lunch"}, "")
	ag.do("agent.ready", protocol.CmdAgentReady, protocol.AgentRef{}, "")
	// Call control.
	ag.do("call.answer", protocol.CmdCallAnswer, protocol.CallRef{Call: "c1002"}, "")
	ag.do("call.hold", protocol.CmdCallHold, protocol.CallRef{Call: "c1002"}, "")
	ag.do("call.unhold", protocol.CmdCallUnhold, protocol.CallRef{Call: "c1002"}, "")
	ag.do("call.transfer", protocol.CmdCallTransfer, protocol.Transfer{Call: "c1002", To: "1003", Mode: "blind"}, "")
	ag.do("call.conference", protocol.CmdCallConference, protocol.Conference{Call: "c1002", To: "1004"}, "")
	ag.do("call.consult", protocol.CmdCallConsult, protocol.Consult{Call: "c1002", To: "1003"}, "")
	ag.do("call.transfer.attended", protocol.CmdCallTransfer, protocol.Transfer{Call: "c1002", Mode: "attended"}, "")
	ag.do("call.consult_cancel", protocol.CmdCallConsultCancel, protocol.CallRef{Call: "c1002"}, "")
	ag.do("call.dtmf", protocol.CmdCallDTMF, protocol.DTMF{Call: "c1002", Digits: "1#"}, "")
	ag.do("call.hangup", protocol.CmdCallHangup, protocol.CallRef{Call: "c1002"}, "")
	ag.do("call.dial", protocol.CmdCallDial, protocol.Dial{To: "13800138000", CallerID: "12345"}, "call.dial.ok")
	// Supervision.
	sup.do("supervisor.listen", protocol.CmdSupervisorListen, protocol.Monitor{Agent: "a1"}, "supervisor.listen.ok")
	sup.do("supervisor.whisper", protocol.CmdSupervisorWhisper, protocol.Monitor{Agent: "a1"}, "")
	sup.do("supervisor.barge", protocol.CmdSupervisorBarge, protocol.Monitor{Agent: "a1"}, "")
	if err := e.acd.Login(ctx, "demo", "a2"); err != nil {
		t.Fatal(err)
	}
	sup.do("supervisor.force_state", protocol.CmdSupervisorForceState, protocol.ForceState{Agent: "a2", State: "not_ready", Reason: "meeting"}, "")
	// The OA pops a screen on a1's bar.
	sys.do("screenpop", protocol.CmdScreenPop, protocol.ScreenPop{Agent: "a1", Call: "c1001", Title: "张三 · 2 open tickets",
		URL: "https://oa.example/customers/42", Fields: map[string]string{"customer": "张三", "tickets": "2"}}, "screenpop.ok")
	ag.recv("screenpop.event", protocol.EventScreenPop)
	// Callback and overflow.
	if err := e.acd.Enqueue(ctx, "demo", acd.Call{ID: "c1003", Queue: "hotline", Caller: "13900139000"}); err != nil {
		t.Fatal(err)
	}
	if err := e.acd.NotReady(ctx, "demo", "a1", "meeting"); err != nil {
		t.Fatal(err)
	}
	if err := e.acd.AcceptCallback(ctx, "demo", "c1003", "13900139000"); err != nil {
		t.Fatal(err)
	}
	ag.recv("callback.created", protocol.EventCallbackCreated)
	e.adapter.ACDEvent(acd.OverflowEvent{Tenant: "demo", At: e.clk.Now(), Call: acd.CallView{Call: acd.Call{ID: "c1004", Queue: "hotline"}},
		From: "hotline", To: acd.Target{Kind: acd.TargetVoicemail, Value: "800"}})
	ag.recv("call.overflowed", protocol.EventCallOverflowed)
	ag.do("unsubscribe", protocol.CmdUnsubscribe, protocol.Subscribe{Topics: []string{"queue:hotline"}}, "unsubscribe.ok")
	ag.do("agent.logout", protocol.CmdAgentLogout, protocol.AgentRef{}, "")

	// Resuming: a new connection asks for what came after seq 20.
	re := e.recorder(tokAgent1, "n", ex)
	re.recv("", protocol.TypeHello)
	since := uint64(20)
	re.do("subscribe.since", protocol.CmdSubscribe, protocol.Subscribe{Topics: []string{"agent:a1"}, Since: &since, Epoch: "ep1"}, "subscribe.since.ok")
	old := e.recorder(tokAgent1, "o", ex)
	old.recv("", protocol.TypeHello)
	gone := uint64(3)
	old.send("", protocol.CmdSubscribe, protocol.Subscribe{Topics: []string{"agent:a1"}, Since: &gone, Epoch: "ep0"})
	old.recv("error.replay_gap", protocol.TypeError)

	// What the recorder and the IVR announce on the tenant's topic.
	sup.do("", protocol.CmdSubscribe, protocol.Subscribe{Topics: []string{"tenant"}}, "")
	score := 5
	for _, ev := range []cti.Event{
		{Type: protocol.EventRecordingReady, Data: protocol.RecordingReady{ID: "c1001", Call: "c1001", Agent: "a1", Queue: "hotline",
			Caller: "138****8000", DurationS: 95.02, Size: 1520364, SM3: "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
			State: "complete", URL: "/api/v1/recordings/c1001/audio"}},
		{Type: protocol.EventVoicemailRecorded, Data: protocol.VoicemailRecorded{ID: "vm-c1004", Call: "c1004", Mailbox: "800",
			Caller: "13700137000", DurationS: 12.4, Vars: map[string]string{"caller": "13700137000", "number": "8000", "call_id": "c1004"}}},
		{Type: protocol.EventCallSurvey, Data: protocol.CallSurvey{Call: "c1001", Flow: "survey", Answered: true, Score: &score}},
		{Type: protocol.EventTrunkState, Data: protocol.TrunkState{Trunk: "telecom", State: "down", Reason: "options unanswered", Since: "2026-03-02T09:02:10Z"}},
	} {
		if _, err := e.hub.Publish("demo", ev); err != nil {
			t.Fatal(err)
		}
		sup.recv(ev.Type, ev.Type)
	}
	// a2's meeting (forced above) outlasts its hour: the supervisors hear.
	e.clk.Advance(time.Hour)
	sup.recv("agent.overrun", protocol.EventAgentOverrun)
	// The agent bar opens its media session for the shift, and closes it.
	ag.do("webrtc.open", protocol.CmdWebRTCOpen, protocol.WebRTCOpen{SDP: "v=0\r\no=- 4215775240449105457 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Fk3x\r\na=ice-pwd:…\r\n" +
		"a=fingerprint:sha-256 9B:0E:…\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n" +
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host\r\n"}, "webrtc.open.ok")
	if _, err := e.hub.Publish("demo", cti.Event{Type: protocol.EventWebRTCState, Agents: []string{"a1"},
		Data: protocol.WebRTCState{Agent: "a1", State: protocol.WebRTCConnected}}); err != nil {
		t.Fatal(err)
	}
	ag.recv("webrtc.state", protocol.EventWebRTCState)
	ag.do("webrtc.close", protocol.CmdWebRTCClose, protocol.WebRTCClose{}, "")

	// A wallboard starts from a snapshot, then subscribes from its seq.
	wb := e.recorder(tokWall, "w", ex)
	wb.recv("", protocol.TypeHello)
	wb.do("wallboard.snapshot", protocol.CmdWallboardSnapshot, protocol.SnapshotRequest{}, "wallboard.snapshot.ok")
	return ex
}

// eventsCovered checks that the examples show every event the protocol
// defines (protocol.EventData), each decoding into its data type with no
// field left over.
func eventsCovered(t *testing.T, ex map[string]string) {
	t.Helper()
	data := protocol.EventData()
	shown := map[string]bool{}
	for key, body := range ex {
		env, err := protocol.DecodeMessage([]byte(body))
		if err != nil {
			t.Fatalf("example %s: %v", key, err)
		}
		zero, ok := data[env.Type]
		if !ok {
			continue
		}
		shown[env.Type] = true
		dec := json.NewDecoder(bytes.NewReader(env.Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(reflect.New(reflect.TypeOf(zero)).Interface()); err != nil {
			t.Errorf("example %s does not decode into %T: %v", key, zero, err)
		}
	}
	var missing []string
	for typ := range data {
		if !shown[typ] {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("events without an example in docs/cti.md: %s", strings.Join(missing, ", "))
	}
}

var exampleRE = regexp.MustCompile("(?s)<!-- example: ([a-z0-9._]+) -->\n(```json\n(?:.*?\n)??```\n)?")

// TestDocExamples keeps docs/cti.md true: every message example there is
// what the code produces (go test ./cti -run DocExamples -update-docs
// rewrites them), and every recorded message is documented.
func TestDocExamples(t *testing.T) {
	ex := docExamples(t)
	eventsCovered(t, ex)
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	var missing, stale []string
	out := exampleRE.ReplaceAllFunc(doc, func(m []byte) []byte {
		key := string(exampleRE.FindSubmatch(m)[1])
		used[key] = true
		body, ok := ex[key]
		if !ok {
			missing = append(missing, key)
			return m
		}
		want := "<!-- example: " + key + " -->\n```json\n" + body + "\n```\n"
		if string(m) != want {
			stale = append(stale, key)
		}
		return []byte(want)
	})
	if len(missing) > 0 {
		t.Errorf("docs/cti.md names examples the code does not produce: %v", missing)
	}
	var undocumented []string
	for k := range ex {
		if !used[k] {
			undocumented = append(undocumented, k)
		}
	}
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Errorf("messages without an example in docs/cti.md: %s", strings.Join(undocumented, ", "))
	}
	if *updateDocs {
		if err := os.WriteFile(docPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if len(stale) > 0 {
		t.Errorf("docs/cti.md examples differ from the code: %v (go test ./cti -run DocExamples -update-docs)", stale)
	}
}
