package contactcenter_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
	"github.com/yimen/yimen/contactcenter"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/pbx/callevent"
)

const tenant = "demo"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var prompts = config.QueuePrompts{Position: "ahead {ahead}, about {minutes} min", CallbackOffer: "press 7 for a callback", CallbackKey: "7", CallbackBooked: "we will call you"}

// harness is a contact centre on a manual clock and a fake PBX.
type harness struct {
	t     *testing.T
	ctx   context.Context
	clk   *acdtest.Clock
	calls *fakeCalls
	cc    *contactcenter.ContactCenter
}

func newHarness(t *testing.T, agents int, queues ...acd.QueueConfig) *harness {
	t.Helper()
	return newHarnessWith(t, func(*acd.TenantConfig) {}, agents, queues...)
}

// newHarnessWith is newHarness with the tenant's configuration changed by edit.
func newHarnessWith(t *testing.T, edit func(*acd.TenantConfig), agents int, queues ...acd.QueueConfig) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clk: acdtest.NewClock(t0), calls: &fakeCalls{}}
	cc, err := contactcenter.New(contactcenter.Config{Prompts: prompts}, contactcenter.Deps{
		Calls: h.calls, Clock: h.clk,
		Auth: func(*acd.ACD) cti.Authenticator { return cti.NewStaticTokens(nil) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.cc = cc
	t.Cleanup(cc.Close)
	tc := acd.TenantConfig{Tenant: tenant, Location: time.UTC, Queues: queues}
	for i := 1; i <= agents; i++ {
		tc.Agents = append(tc.Agents, acd.AgentConfig{ID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("Agent %d", i), Endpoint: fmt.Sprintf("100%d", i)})
	}
	edit(&tc)
	if err := cc.AddTenant(h.ctx, tc, true, false); err != nil {
		t.Fatal(err)
	}
	h.clk.Settle = h.sync
	return h
}

// sync waits until the ACD's actor has handled everything sent before it.
func (h *harness) sync() {
	if _, err := h.cc.ACD.Agents(h.ctx, tenant); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) agent(id string) acd.AgentStatus {
	h.t.Helper()
	st, err := h.cc.ACD.Agent(h.ctx, tenant, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// eventually polls cond: ring goroutines report to the ACD on their own.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			h.t.Fatalf("never: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) notReady(id string) {
	h.t.Helper()
	if err := h.cc.ACD.NotReady(h.ctx, tenant, id, "break"); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) agentState(id string, want acd.State) {
	h.t.Helper()
	h.eventually(fmt.Sprintf("agent %s %s (is %s)", id, want, h.agent(id).State), func() bool { return h.agent(id).State == want })
}

type result struct {
	res ivr.QueueResult
	err error
}

// wait hands a caller to queue q, as the IVR's queue verb does.
func (h *harness) wait(call *fakeCall, sess *fakeSession, req ivr.QueueRequest) <-chan result {
	out := make(chan result, 1)
	go func() {
		r, err := h.cc.Wait(h.ctx, contactcenter.Caller{Tenant: tenant, CallID: call.id, Session: sess, Call: call}, req)
		out <- result{r, err}
	}()
	h.eventually("caller "+call.id+" queued", func() bool {
		w, _ := h.cc.ACD.Waiting(h.ctx, tenant, req.Queue)
		for _, c := range w {
			if c.ID == call.id {
				return true
			}
		}
		return len(call.ringing()) > 0
	})
	return out
}

func (h *harness) result(ch <-chan result) result {
	h.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(3 * time.Second):
		h.t.Fatal("the caller is still waiting")
		return result{}
	}
}

// fakeCall is a caller's call answered by the PBX. Rings for several
// extensions share one outcome, like b2bua.LocalCall: answer(ext) ends them
// all, the others learn who won. A ring whose ctx ends first gives 408.
type fakeCall struct {
	id     string
	number string
	done   chan struct{}

	mu        sync.Mutex
	rings     map[string]*fakeRing
	cancelled []string // extensions whose ring ctx ended before an outcome
	transfers []string
	transfer  int // SIP code Transfer returns
}

type fakeRing struct {
	ext    string
	result chan string // the winner's extension
}

func newCall(id string) *fakeCall {
	return &fakeCall{id: id, number: "13800138000", done: make(chan struct{}), rings: map[string]*fakeRing{}, transfer: 200}
}

func (c *fakeCall) Caller() string        { return c.number }
func (c *fakeCall) Number() string        { return "8000" }
func (c *fakeCall) Done() <-chan struct{} { return c.done }
func (c *fakeCall) hangUp()               { close(c.done) }

func (c *fakeCall) Ring(ctx context.Context, ext string) (int, string, error) {
	r := &fakeRing{ext: ext, result: make(chan string, 1)}
	c.mu.Lock()
	c.rings[ext] = r
	c.mu.Unlock()
	select {
	case by := <-r.result:
		return 200, by, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.rings, ext)
		c.cancelled = append(c.cancelled, ext)
		c.mu.Unlock()
		return 408, "", nil
	}
}

func (c *fakeCall) Transfer(_ context.Context, ext string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.transfers = append(c.transfers, ext)
	return c.transfer, nil
}

// ringing lists the extensions ringing now.
func (c *fakeCall) ringing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for ext := range c.rings {
		out = append(out, ext)
	}
	return out
}

func (c *fakeCall) isRinging(ext string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rings[ext] != nil
}

func (c *fakeCall) wasCancelled(ext string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.cancelled {
		if e == ext {
			return true
		}
	}
	return false
}

// answer: ext picks up; every ring in progress ends with ext as the winner.
func (c *fakeCall) answer(t *testing.T, ext string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rings[ext] == nil {
		t.Fatalf("%s answered but is not ringing (ringing: %v)", ext, c.rings)
	}
	for e, r := range c.rings {
		r.result <- ext
		delete(c.rings, e)
	}
}

// fakeSession is the IVR side of the caller: what they heard, the key they
// will press, and the bridge to an agent (ended by agentHangsUp).
type fakeSession struct {
	call    *fakeCall
	key     string // pressed when asked
	mu      sync.Mutex
	played  []string
	asked   []string
	hungUp  bool
	bridged chan struct{} // closed when WaitBridge starts
	ended   chan struct{} // close to end the bridge (the agent hangs up)
}

func newSession(call *fakeCall) *fakeSession {
	return &fakeSession{call: call, bridged: make(chan struct{}), ended: make(chan struct{})}
}

func (s *fakeSession) Play(_ context.Context, p ivr.PromptRef) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.played = append(s.played, p.Text)
	return nil
}

func (s *fakeSession) CollectDigits(_ context.Context, req ivr.DigitRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Prompt != nil {
		s.asked = append(s.asked, req.Prompt.Text)
	}
	return s.key, nil
}

func (s *fakeSession) WaitBridge(ctx context.Context) {
	close(s.bridged)
	select {
	case <-s.ended:
	case <-s.call.done:
	case <-ctx.Done():
	}
}

func (s *fakeSession) Hangup(context.Context) error {
	s.mu.Lock()
	s.hungUp = true
	s.mu.Unlock()
	s.call.hangUp()
	return nil
}

func (s *fakeSession) heard() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.played...)
}

// fakeCalls is the PBX's call control: it records each command and, for
// OriginateNotify (callbacks), keeps the report to make.
type fakeCalls struct {
	mu       sync.Mutex
	commands []string
	notify   func(bool)
	err      error // returned by every command when set
	// during runs inside Originate: what happens while the PBX places the call.
	during func()
}

var _ contactcenter.Calls = (*fakeCalls)(nil)

func (f *fakeCalls) add(format string, a ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = append(f.commands, fmt.Sprintf(format, a...))
	return f.err
}

func (f *fakeCalls) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func (f *fakeCalls) Originate(_ context.Context, tenant, agentExt, to, callerID string) (string, error) {
	if f.during != nil {
		f.during()
	}
	return "dialled", f.add("originate %s %s→%s as %q", tenant, agentExt, to, callerID)
}

func (f *fakeCalls) OriginateNotify(_ context.Context, tenant, agentExt, to, callerID string, answered func(bool)) (string, error) {
	f.mu.Lock()
	f.notify = answered
	f.mu.Unlock()
	return "callback", f.add("callback %s %s→%s", tenant, agentExt, to)
}

func (f *fakeCalls) report(t *testing.T, answered bool) {
	t.Helper()
	f.mu.Lock()
	n := f.notify
	f.mu.Unlock()
	if n == nil {
		t.Fatal("no callback was dialled")
	}
	n(answered)
}

func (f *fakeCalls) Monitor(_ context.Context, tenant, sup, agent string, mode callevent.MonitorMode) (string, error) {
	return "monitor", f.add("monitor %s %s→%s mode %d", tenant, sup, agent, mode)
}

func (f *fakeCalls) RemoteAnswer(_ context.Context, tenant, callID, ext string) error {
	return f.add("answer %s %s %s", tenant, callID, ext)
}

func (f *fakeCalls) HangupParty(tenant, callID, ext string) error {
	return f.add("hangup %s %s %s", tenant, callID, ext)
}

func (f *fakeCalls) Hold(_ context.Context, tenant, callID, ext string, hold bool) error {
	return f.add("hold %s %s %s %v", tenant, callID, ext, hold)
}

func (f *fakeCalls) BlindTransfer(_ context.Context, tenant, callID, ext, to string) error {
	return f.add("blind %s %s %s→%s", tenant, callID, ext, to)
}

func (f *fakeCalls) Consult(_ context.Context, tenant, callID, ext, to string) error {
	return f.add("consult %s %s %s→%s", tenant, callID, ext, to)
}

func (f *fakeCalls) CompleteConsult(_ context.Context, tenant, callID, ext, to string) error {
	return f.add("complete %s %s %s→%s", tenant, callID, ext, to)
}

func (f *fakeCalls) CancelConsult(_ context.Context, tenant, callID, ext string) error {
	return f.add("cancel %s %s %s", tenant, callID, ext)
}

func (f *fakeCalls) Conference(_ context.Context, tenant, callID, ext, to string) (string, error) {
	return "conf", f.add("conference %s %s %s→%s", tenant, callID, ext, to)
}

func (f *fakeCalls) SendDTMF(_ context.Context, tenant, callID, ext, keys string) error {
	return f.add("dtmf %s %s %s %s", tenant, callID, ext, keys)
}

var errNoPhone = fmt.Errorf("no phone: %w", errs.ErrUnavailable)
