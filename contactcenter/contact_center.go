package contactcenter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// Calls is what the contact centre asks of the PBX's calls in progress;
// *b2bua.Manager implements it. ext is the agent's extension the command
// acts from, so the PBX can check the call is theirs.
type Calls interface {
	// Originate rings agentExt and, once answered, to; OriginateNotify
	// also reports whether the agent answered.
	Originate(ctx context.Context, tenant, agentExt, to, callerID string) (string, error)
	OriginateNotify(ctx context.Context, tenant, agentExt, to, callerID string, answered func(bool)) (string, error)
	Monitor(ctx context.Context, tenant, supervisorExt, agentExt string, mode callevent.MonitorMode) (string, error)
	RemoteAnswer(ctx context.Context, tenant, callID, ext string) error
	HangupParty(tenant, callID, ext string) error
	Hold(ctx context.Context, tenant, callID, ext string, hold bool) error
	BlindTransfer(ctx context.Context, tenant, callID, ext, to string) error
	Consult(ctx context.Context, tenant, callID, ext, to string) error
	CompleteConsult(ctx context.Context, tenant, callID, ext, to string) error
	CancelConsult(ctx context.Context, tenant, callID, ext string) error
	Conference(ctx context.Context, tenant, callID, ext, to string) (string, error)
	SendDTMF(ctx context.Context, tenant, callID, ext, keys string) error
}

// Deps are the contact centre's collaborators.
type Deps struct {
	Calls Calls // required
	// Auth authenticates CTI connections; it is given the ACD so it can
	// check that a credential's agent exists.
	Auth   func(agents *acd.ACD) cti.Authenticator // required
	Log    acd.Log                                 // optional: the ACD's state log (acd.SQLLog)
	Clock  acd.Clock                               // optional: acd.SystemClock
	Logger *slog.Logger                            // optional: discards
	// Browsers are the browser agents' media sessions (webrtc.open); nil:
	// agents have desk phones only and webrtc.open answers unavailable.
	Browsers Browsers
}

// Config is what the contact centre takes from the process configuration.
type Config struct {
	Prompts config.QueuePrompts
	CTI     cti.Config
}

// ContactCenter joins the ACD, the CTI hub and the PBX's calls: the ACD
// decides who takes a queued caller, the contact centre rings them and
// reports back.
type ContactCenter struct {
	ACD *acd.ACD
	Hub *cti.Hub

	calls    Calls
	browsers Browsers
	clock    acd.Clock
	prompts  config.QueuePrompts
	log      *slog.Logger
	adapter  *cti.Adapter
	direct   *directCalls
	ext      *extensionCalls

	mu              sync.Mutex
	waiting         map[string]*waiter // call id → caller waiting in a queue
	loginOnRegister map[string]bool    // tenant → log agents in when their phone registers
}

// New starts an ACD without tenants and the CTI hub on it.
func New(cfg Config, d Deps) (*ContactCenter, error) {
	if d.Calls == nil || d.Auth == nil {
		return nil, fmt.Errorf("contactcenter: Calls and Auth are required: %w", errs.ErrInvalid)
	}
	if d.Clock == nil {
		d.Clock = acd.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cc := &ContactCenter{calls: d.Calls, browsers: d.Browsers, clock: d.Clock, prompts: cfg.Prompts, log: d.Logger.With("component", "contact-center"),
		waiting: map[string]*waiter{}, loginOnRegister: map[string]bool{}}
	var err error
	cc.ACD, err = acd.New(acd.Deps{Dialer: cc, Events: acdEvents{cc}, Log: d.Log, Clock: d.Clock, Logger: d.Logger.With("component", "acd")})
	if err != nil {
		return nil, err
	}
	cc.direct = newDirectCalls(cc.ACD, cc.log)
	cc.ext = newExtensionCalls(cc.ACD, cc.log)
	hubDeps := cti.Deps{Auth: d.Auth(cc.ACD), Agents: cc.ACD, Calls: cc, Monitoring: cc, Logger: d.Logger.With("component", "cti")}
	if d.Browsers != nil {
		hubDeps.Browser = browserAgents{cc: cc, b: d.Browsers}
	}
	cc.Hub, err = cti.NewHub(cfg.CTI, hubDeps)
	if err != nil {
		cc.ACD.Close()
		return nil, err
	}
	// Set before any tenant runs, so no ACD event can find it missing.
	cc.adapter = cti.NewAdapter(cc.Hub, cc.ACD, d.Logger.With("component", "cti"))
	if d.Browsers != nil {
		cc.adapter.SetDevices(d.Browsers)
	}
	return cc, nil
}

// acdEvents hands the ACD's events to the CTI adapter.
type acdEvents struct{ cc *ContactCenter }

func (e acdEvents) ACDEvent(ev acd.Event) {
	if a := e.cc.adapter; a != nil {
		a.ACDEvent(ev)
	}
}

// CallObservers are what the PBX must tell of its calls: the CTI's call
// events, the ACD's view of transfers, the end of calls agents placed and
// the calls that reach agents' extensions without the ACD.
func (cc *ContactCenter) CallObservers() []any {
	return []any{cc.adapter, Transfers{ACD: cc.ACD, Log: cc.log}, cc.direct, cc.ext}
}

// AddTenant starts a tenant's ACD; autoLogin logs every agent in and ready,
// loginOnRegister makes RegistrationChanged do so as phones register.
func (cc *ContactCenter) AddTenant(ctx context.Context, tc acd.TenantConfig, autoLogin, loginOnRegister bool) error {
	if err := cc.ACD.AddTenant(ctx, tc); err != nil {
		return err
	}
	cc.mu.Lock()
	cc.loginOnRegister[tc.Tenant] = loginOnRegister
	cc.mu.Unlock()
	if !autoLogin {
		return nil
	}
	for _, a := range tc.Agents {
		if err := cc.ACD.Login(ctx, tc.Tenant, a.ID); err != nil && !errors.Is(err, errs.ErrConflict) {
			return fmt.Errorf("auto-login %s: %w", a.ID, err)
		}
		_ = cc.ACD.Ready(ctx, tc.Tenant, a.ID)
	}
	return nil
}

// RegistrationChanged logs an agent in (and ready) when their extension
// gains its first registration and out when it loses its last, for tenants
// that asked for it (login_on_register). Elsewhere an agent whose phone lost
// its last registration (unplugged, expired) goes not ready (phone_gone),
// unless their browser is their phone: the ACD must not offer calls to a
// phone that is not there.
func (cc *ContactCenter) RegistrationChanged(tenant, ext string, registered bool) {
	cc.mu.Lock()
	on := cc.loginOnRegister[tenant]
	cc.mu.Unlock()
	agent, ok := cc.ACD.AgentByEndpoint(tenant, ext)
	if !ok {
		return
	}
	ctx := context.Background()
	if !on {
		if !registered {
			cc.phoneGone(ctx, tenant, agent)
		}
		return
	}
	if registered {
		if err := cc.ACD.Login(ctx, tenant, agent); err == nil || errors.Is(err, errs.ErrConflict) {
			_ = cc.ACD.Ready(ctx, tenant, agent)
		}
		cc.log.Info("agent logged in by registration", "agent", agent, "ext", ext)
		return
	}
	_ = cc.ACD.Logout(ctx, tenant, agent)
	cc.log.Info("agent logged out: phone unregistered", "agent", agent, "ext", ext)
}

func (cc *ContactCenter) phoneGone(ctx context.Context, tenant, agent string) {
	if cc.browsers != nil && cc.browsers.Attached(tenant, agent) {
		return
	}
	st, err := cc.ACD.Agent(ctx, tenant, agent)
	if err != nil || st.State == acd.LoggedOut || st.State == acd.NotReady {
		return
	}
	if err := cc.ACD.ForceState(ctx, tenant, agent, acd.NotReady, acd.ReasonPhoneGone); err != nil {
		cc.log.Warn("agent whose phone went away not set not ready", "agent", agent, "err", err)
		return
	}
	cc.log.Info("agent set not ready: phone unregistered", "tenant", tenant, "agent", agent)
}

// Publish sends a tenant-wide event to the CTI's clients.
func (cc *ContactCenter) Publish(tenant, typ string, data any) {
	if _, err := cc.Hub.Publish(tenant, cti.Event{Type: typ, Data: data}); err != nil {
		cc.log.Warn("publish", "type", typ, "err", err)
	}
}

// Close stops the tenants' actors.
func (cc *ContactCenter) Close() { cc.ACD.Close() }

// TenantConfig translates a tenant's configuration into the ACD's.
func TenantConfig(t config.Tenant) (acd.TenantConfig, error) {
	tc := acd.TenantConfig{Tenant: t.Name, MaxNoAnswer: t.MaxNoAnswer, OutboundWrapUp: t.OutboundWrapUp}
	zone := t.TimeZone
	if zone == "" {
		zone = calendar.DefaultZone
	}
	loc, err := calendar.LoadZone(zone)
	if err != nil {
		return tc, fmt.Errorf("time_zone: %w", err)
	}
	tc.Location = loc
	for _, r := range t.NotReadyReasons {
		tc.ReasonCodes = append(tc.ReasonCodes, acd.ReasonCode{Code: r.Code, Max: r.Max})
	}
	for _, a := range t.Agents {
		tc.Agents = append(tc.Agents, acd.AgentConfig{ID: a.ID, Name: a.Name, Endpoint: a.Extension, Skills: a.Skills})
	}
	for id, q := range t.Queues {
		qc := acd.QueueConfig{ID: id, Name: q.Name, Agents: q.Agents, Skill: q.Skill, MinLevel: q.MinLevel,
			RingTimeout: q.RingTimeout, WrapUp: q.WrapUp, MaxWait: q.MaxWait, AnnounceEvery: q.AnnounceEvery,
			CallbackAfter: q.CallbackAfter, SLThreshold: q.SLThreshold, ShortAbandon: q.ShortAbandon}
		m, err := acd.ParseAbandonMethod(q.SLAbandons)
		if err != nil {
			return tc, fmt.Errorf("queues.%s.sl_abandons: %w", id, err)
		}
		qc.SLAbandons = m
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
