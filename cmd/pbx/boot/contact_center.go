package boot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/ivr/callsession"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/b2bua"
)

// ContactCenter joins the ACD, the CTI hub and the PBX: the ACD decides who
// takes a queued caller, this glue rings them through the PBX and reports back.
type ContactCenter struct {
	ACD *acd.ACD
	Hub *cti.Hub
	srv *pbx.Server
	log *slog.Logger

	mu      sync.Mutex
	waiting map[string]*waiter // call id → caller waiting in a queue
}

type waiter struct {
	tenant string
	sess   *callsession.Session
	events chan waitEvent
	mu     sync.Mutex
	rings  map[string]*ringCtl // agent id → ring in progress
}

type ringCtl struct {
	cancel  context.CancelFunc
	stopped bool
}

type waitEvent struct {
	answeredBy string
	overflow   *acd.Target
	announce   *acd.Announcement
}

// buildContactCenter starts the ACD for every tenant and mounts the CTI hub.
// A tenant without queues in its configuration still gets an ACD, so its
// first agents and queues can be added through the admin API.
func buildContactCenter(ctx context.Context, cfg config.Config, srv *pbx.Server, db *store.DB, v *IVR, sec *pbx.Security, log *slog.Logger) (*ContactCenter, error) {
	tenants := cfg.Tenants
	if len(tenants) == 0 {
		return nil, nil
	}
	cc := &ContactCenter{srv: srv, log: log.With("component", "contact-center"), waiting: map[string]*waiter{}}
	acdLog, err := acd.OpenSQLLog(ctx, db, log.With("component", "acd-log"))
	if err != nil {
		return nil, err
	}
	cfgStore, err := acd.OpenConfigStore(ctx, db)
	if err != nil {
		return nil, err
	}
	srv.SetQueueRecords(queueRecords{acdLog})
	tokens, err := loadCTITokens(cfg)
	if err != nil {
		return nil, err
	}
	// The hub and the ACD refer to each other through the adapter.
	var adapter *cti.Adapter
	sink := acdEventSink{get: func() *cti.Adapter { return adapter }}
	cc.ACD, err = acd.New(acd.Deps{Dialer: cc, Events: sink, Log: acdLog, Logger: log.With("component", "acd")})
	if err != nil {
		return nil, err
	}
	cc.Hub, err = cti.NewHub(cti.Config{Recheck: cfg.CTI.Recheck}, cti.Deps{Auth: newCTIAuth(tokens, sec, cc.ACD), Agents: cc.ACD, Calls: callControl{srv: srv, acd: cc.ACD}, Monitoring: callControl{srv: srv, acd: cc.ACD}, Logger: log.With("component", "cti")})
	if err != nil {
		return nil, err
	}
	adapter = cti.NewAdapter(cc.Hub, cc.ACD, log.With("component", "cti"))
	srv.AddCallObserver(adapter)
	srv.AddCallObserver(acdTransfers{acd: cc.ACD, log: cc.log})
	for i, t := range tenants {
		tc, err := tenantACD(t)
		if err != nil {
			return nil, fmt.Errorf("tenants[%d]: %w", i, err)
		}
		if err := storedConfig(ctx, cfgStore, &tc, cc.log); err != nil {
			return nil, err
		}
		if err := cc.ACD.AddTenant(ctx, tc); err != nil {
			return nil, fmt.Errorf("tenants[%d] (%s): %w", i, t.Name, err)
		}
		if t.AutoLogin {
			for _, a := range tc.Agents {
				if err := cc.ACD.Login(ctx, t.Name, a.ID); err != nil && !errors.Is(err, errs.ErrConflict) {
					return nil, fmt.Errorf("auto-login %s: %w", a.ID, err)
				}
				_ = cc.ACD.Ready(ctx, t.Name, a.ID)
			}
		}
	}
	loginOnRegister, autoLogin := map[string]bool{}, map[string]bool{}
	for _, t := range tenants {
		loginOnRegister[t.Name], autoLogin[t.Name] = t.LoginOnRegister, t.AutoLogin
	}
	srv.MountContactCenterAdmin(&ccAdmin{acd: cc.ACD, store: cfgStore, autoLogin: autoLogin, log: cc.log})
	srv.OnRegistrationChange(func(tenant, ext string, registered bool) {
		if !loginOnRegister[tenant] {
			return
		}
		agent, ok := cc.ACD.AgentByEndpoint(tenant, ext)
		if !ok {
			return
		}
		ctx := context.Background()
		if registered {
			if err := cc.ACD.Login(ctx, tenant, agent); err == nil || errors.Is(err, errs.ErrConflict) {
				_ = cc.ACD.Ready(ctx, tenant, agent)
			}
			cc.log.Info("agent logged in by registration", "agent", agent, "ext", ext)
			return
		}
		_ = cc.ACD.Logout(ctx, tenant, agent)
		cc.log.Info("agent logged out: phone unregistered", "agent", agent, "ext", ext)
	})
	if v != nil {
		v.deps.Queue = cc.queue
		v.events.publish = func(tenant, typ string, data any) {
			if _, err := cc.Hub.Publish(tenant, cti.Event{Type: typ, Data: data}); err != nil {
				cc.log.Warn("publish", "type", typ, "err", err)
			}
		}
	}
	srv.Mount("GET /cti", cc.Hub)
	cc.log.Info("contact centre ready", "tenants", len(tenants), "cti", "/cti")
	return cc, nil
}

func tenantACD(t config.Tenant) (acd.TenantConfig, error) {
	tc := acd.TenantConfig{Tenant: t.Name, MaxNoAnswer: t.MaxNoAnswer}
	for _, a := range t.Agents {
		tc.Agents = append(tc.Agents, acd.AgentConfig{ID: a.ID, Name: a.Name, Endpoint: a.Extension, Skills: a.Skills})
	}
	for id, q := range t.Queues {
		qc := acd.QueueConfig{ID: id, Name: q.Name, Agents: q.Agents, Skill: q.Skill, MinLevel: q.MinLevel,
			RingTimeout: q.RingTimeout, WrapUp: q.WrapUp, MaxWait: q.MaxWait, AnnounceEvery: q.AnnounceEvery,
			CallbackAfter: q.CallbackAfter, SLThreshold: q.SLThreshold}
		if q.Strategy != "" {
			st, err := acd.ParseStrategy(q.Strategy)
			if err != nil {
				return tc, fmt.Errorf("queues.%s.strategy: %w", id, err)
			}
			qc.Strategy = st
		}
		if q.Overflow != "" {
			o, err := acd.ParseTarget(q.Overflow)
			if err != nil {
				return tc, fmt.Errorf("queues.%s.overflow: %w", id, err)
			}
			qc.Overflow = o
		}
		tc.Queues = append(tc.Queues, qc)
	}
	return tc, nil
}

// loadCTITokens reads "TOKEN ROLE TENANT [AGENT]" lines. In demo mode the
// file is created with a system token and one token per agent.
func loadCTITokens(cfg config.Config) (map[string]cti.Principal, error) {
	path := ctiTokensPath(cfg)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && cfg.Demo.Enabled {
		var b strings.Builder
		for _, t := range cfg.Tenants {
			fmt.Fprintf(&b, "%s system %s\n", randomToken(), t.Name)
			fmt.Fprintf(&b, "%s wallboard %s\n", randomToken(), t.Name)
			for _, a := range t.Agents {
				fmt.Fprintf(&b, "%s agent %s %s\n", randomToken(), t.Name, a.ID)
				if slices.Contains(t.Supervisors, a.Extension) {
					fmt.Fprintf(&b, "%s supervisor %s %s\n", randomToken(), t.Name, a.ID)
				}
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
	}
	out := map[string]cti.Principal{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cti.tokens_file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s:%d: want TOKEN ROLE TENANT [AGENT]", path, n)
		}
		p := cti.Principal{Tenant: fields[2], Roles: []string{fields[1]}}
		if len(fields) > 3 {
			p.Agent = fields[3]
		}
		out[fields[0]] = p
	}
	return out, sc.Err()
}

type acdEventSink struct{ get func() *cti.Adapter }

func (s acdEventSink) ACDEvent(e acd.Event) {
	if a := s.get(); a != nil {
		a.ACDEvent(e)
	}
}

// queue is the IVR's queue verb on the ACD.
func (cc *ContactCenter) queue(ctx context.Context, s *callsession.Session, req ivr.QueueRequest) (ivr.QueueResult, error) {
	call := s.Call()
	lc, ok := call.(*b2bua.LocalCall)
	if !ok {
		return ivr.QueueResult{}, fmt.Errorf("queue: not a PBX call: %w", errs.ErrInvalid)
	}
	tenant := lc.Info().Tenant
	w := &waiter{tenant: tenant, sess: s, events: make(chan waitEvent, 8), rings: map[string]*ringCtl{}}
	id := s.CallID()
	cc.mu.Lock()
	cc.waiting[id] = w
	cc.mu.Unlock()
	defer func() {
		cc.mu.Lock()
		delete(cc.waiting, id)
		cc.mu.Unlock()
	}()
	err := cc.ACD.Enqueue(ctx, tenant, acd.Call{ID: id, Queue: req.Queue, Caller: lc.Caller(), DID: lc.Number(),
		Priority: req.Priority, Skill: req.Skill, Vars: req.Vars})
	if err != nil {
		return ivr.QueueResult{}, err
	}
	var timeout <-chan time.Time
	if req.Timeout > 0 {
		t := time.NewTimer(req.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	bg := context.WithoutCancel(ctx)
	for {
		select {
		case ev := <-w.events:
			switch {
			case ev.answeredBy != "":
				s.WaitBridge(ctx)
				_ = cc.ACD.CallEnded(bg, tenant, id)
				return ivr.QueueResult{Answered: true}, nil
			case ev.overflow != nil:
				if ev.overflow.Kind == acd.TargetExtension {
					if code, err := lc.Transfer(ctx, ev.overflow.Value); err == nil && code == 200 {
						s.WaitBridge(ctx)
						return ivr.QueueResult{Answered: true}, nil
					}
				}
				return ivr.QueueResult{}, nil
			case ev.announce != nil:
				a := ev.announce
				text := fmt.Sprintf("您前面还有%d位，预计等待%d分钟", a.Position-1, int(a.ExpectedWait.Minutes()+0.5))
				_ = s.Play(ctx, ivr.PromptRef{Text: text})
				if !a.OfferCallback {
					continue
				}
				key, err := s.CollectDigits(ctx, ivr.DigitRequest{Prompt: &ivr.PromptRef{Text: "如需预约回电，请按1"}, BargeIn: true, Min: 1, Max: 1, Timeout: 5 * time.Second})
				if err != nil || key != "1" {
					continue
				}
				if err := cc.ACD.AcceptCallback(bg, tenant, id, lc.Caller()); err != nil {
					cc.log.Warn("callback request refused", "call", id, "err", err)
					continue
				}
				_ = s.Play(ctx, ivr.PromptRef{Text: "已为您预约回电，请保持电话畅通，再见"})
				_ = s.Hangup(ctx)
				return ivr.QueueResult{}, callsession.ErrHungUp
			}
		case <-timeout:
			_ = cc.ACD.CallerAbandoned(bg, tenant, id)
			return ivr.QueueResult{}, nil
		case <-lc.Done():
			_ = cc.ACD.CallerAbandoned(bg, tenant, id)
			return ivr.QueueResult{}, callsession.ErrHungUp
		case <-ctx.Done():
			_ = cc.ACD.CallerAbandoned(bg, tenant, id)
			return ivr.QueueResult{}, ctx.Err()
		}
	}
}

func (cc *ContactCenter) waiter(callID string) *waiter {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.waiting[callID]
}

// RingAgent implements acd.Dialer: ring the agent's extension for the queued caller.
func (cc *ContactCenter) RingAgent(ctx context.Context, r acd.Ring) {
	if r.Callback != "" {
		// A callback request: ring the agent first, then the customer who asked.
		_, err := cc.srv.OriginateNotify(context.Background(), r.Tenant, r.Endpoint, r.Callback, "", func(answered bool) {
			bg := context.Background()
			if answered {
				_ = cc.ACD.AgentAnswered(bg, r.Tenant, r.CallID, r.AgentID)
				return
			}
			_ = cc.ACD.AgentNoAnswer(bg, r.Tenant, r.CallID, r.AgentID)
		})
		if err != nil {
			cc.log.Warn("callback dial failed", "call", r.CallID, "agent", r.AgentID, "err", err)
			_ = cc.ACD.AgentNoAnswer(context.WithoutCancel(ctx), r.Tenant, r.CallID, r.AgentID)
		}
		return
	}
	w := cc.waiter(r.CallID)
	if w == nil {
		_ = cc.ACD.AgentNoAnswer(context.WithoutCancel(ctx), r.Tenant, r.CallID, r.AgentID)
		return
	}
	lc := w.sess.Call().(*b2bua.LocalCall)
	rctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
	ctl := &ringCtl{cancel: cancel}
	w.mu.Lock()
	w.rings[r.AgentID] = ctl
	w.mu.Unlock()
	go func() {
		defer cancel()
		code, by, err := lc.Ring(rctx, r.Endpoint)
		w.mu.Lock()
		stopped := ctl.stopped
		delete(w.rings, r.AgentID)
		w.mu.Unlock()
		bg := context.Background()
		switch {
		case err == nil && code == 200 && by == r.Endpoint:
			if err := cc.ACD.AgentAnswered(bg, r.Tenant, r.CallID, r.AgentID); err != nil {
				cc.log.Warn("ACD took the offer back after the agent answered", "call", r.CallID, "agent", r.AgentID, "err", err)
			}
			select {
			case w.events <- waitEvent{answeredBy: r.AgentID}:
			case <-lc.Done():
			}
		case err == nil && code == 200:
			// another agent of a ring-all took it
		case stopped:
		default:
			_ = cc.ACD.AgentNoAnswer(bg, r.Tenant, r.CallID, r.AgentID)
		}
	}()
}

// StopRing implements acd.Dialer.
func (cc *ContactCenter) StopRing(_ context.Context, _, callID, agentID string) {
	w := cc.waiter(callID)
	if w == nil {
		return
	}
	w.mu.Lock()
	if ctl := w.rings[agentID]; ctl != nil {
		ctl.stopped = true
		ctl.cancel()
	}
	w.mu.Unlock()
}

// Overflow implements acd.Dialer.
func (cc *ContactCenter) Overflow(_ context.Context, _, callID string, to acd.Target) {
	if w := cc.waiter(callID); w != nil {
		// Never block the ACD's actor on a caller that is not listening.
		go func() {
			select {
			case w.events <- waitEvent{overflow: &to}:
			case <-w.sess.Call().Done():
			}
		}()
	}
}

// Announce implements acd.Dialer.
func (cc *ContactCenter) Announce(_ context.Context, a acd.Announcement) {
	if w := cc.waiter(a.CallID); w != nil {
		select {
		case w.events <- waitEvent{announce: &a}:
		default:
		}
	}
}

// callControl is the CTI's call commands on the PBX: dial, remote answer,
// hang-up, hold, unhold, blind and attended transfer (consult, complete,
// cancel), three-way conference, DTMF and supervision.
type callControl struct {
	srv *pbx.Server
	acd *acd.ACD
}

func (c callControl) endpoint(ctx context.Context, tenant, agentID string) (string, error) {
	st, err := c.acd.Agent(ctx, tenant, agentID)
	if err != nil {
		return "", err
	}
	return st.Endpoint, nil
}

// Answer makes the agent's ringing phone answer (NOTIFY Event: talk); a
// phone that refuses gets the CTI code "unsupported".
func (c callControl) Answer(ctx context.Context, tenant, agent, callID string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	err = c.srv.RemoteAnswer(ctx, tenant, callID, ext)
	if errors.Is(err, b2bua.ErrNoRemoteAnswer) {
		return &protocol.Error{Code: protocol.CodeUnsupported, Message: "the agent's phone does not take remote answer (NOTIFY Event: talk): " + err.Error()}
	}
	return err
}
func (c callControl) Hangup(ctx context.Context, tenant, agent, callID string) error {
	return c.srv.HangupCall(tenant, callID)
}
func (c callControl) Dial(ctx context.Context, tenant, agent, to, callerID string) (string, error) {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return "", err
	}
	return c.srv.Originate(ctx, tenant, ext, to, callerID)
}

// Monitor implements cti.Monitoring: ring the supervisor, then join the agent's call.
func (c callControl) Monitor(ctx context.Context, tenant, supervisor, agent string, mode cti.MonitorMode) (string, error) {
	supExt, err := c.endpoint(ctx, tenant, supervisor)
	if err != nil {
		return "", err
	}
	agentExt, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return "", err
	}
	m := map[cti.MonitorMode]b2bua.MonitorMode{cti.Listen: b2bua.Listen, cti.Whisper: b2bua.Whisper, cti.Barge: b2bua.Barge}[mode]
	if m == 0 {
		return "", fmt.Errorf("monitor mode %q: %w", mode, errs.ErrInvalid)
	}
	return c.srv.Monitor(ctx, tenant, supExt, agentExt, m)
}
func (c callControl) Hold(ctx context.Context, tenant, agent, callID string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return c.srv.HoldCall(ctx, tenant, callID, ext, true)
}

func (c callControl) Unhold(ctx context.Context, tenant, agent, callID string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return c.srv.HoldCall(ctx, tenant, callID, ext, false)
}

// Transfer moves the other party blind, or completes the agent's
// consultation (attended); either way the agent is done with the call, so
// the ACD moves them on (wrap-up) at once.
func (c callControl) Transfer(ctx context.Context, tenant, agent, callID, to string, attended bool) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	if attended {
		err = c.srv.CompleteConsult(ctx, tenant, callID, ext, to)
	} else {
		err = c.srv.BlindTransfer(ctx, tenant, callID, ext, to)
	}
	if err != nil {
		return err
	}
	if err := c.acd.CallEnded(context.WithoutCancel(ctx), tenant, callID); err != nil && !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	return nil
}

// Consult holds the other party of the agent's call and rings to.
func (c callControl) Consult(ctx context.Context, tenant, agent, callID, to string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return c.srv.Consult(ctx, tenant, callID, ext, to)
}

// ConsultCancel ends the agent's consultation and resumes the other party.
func (c callControl) ConsultCancel(ctx context.Context, tenant, agent, callID string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return c.srv.CancelConsult(ctx, tenant, callID, ext)
}
func (c callControl) Conference(ctx context.Context, tenant, agent, callID, to string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	_, err = c.srv.Conference(ctx, tenant, callID, ext, to)
	return err
}
func (c callControl) DTMF(ctx context.Context, tenant, agent, callID, digits string) error {
	ext, err := c.endpoint(ctx, tenant, agent)
	if err != nil {
		return err
	}
	return c.srv.SendDTMF(ctx, tenant, callID, ext, digits)
}

func ctiTokensPath(cfg config.Config) string {
	if cfg.CTI.TokensFile != "" {
		return cfg.CTI.TokensFile
	}
	return filepath.Join(cfg.DataDir, "cti-tokens.txt")
}
