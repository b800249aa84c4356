package boot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/ivr/callsession"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// IVR is the running IVR: flows (reloadable) and the numbers that reach them.
type IVR struct {
	cfg      config.Config
	registry *ivr.Registry
	interp   *ivr.Interpreter
	deps     callsession.Deps
	numbers  map[string]map[string]string // tenant → number → flow
	log      *slog.Logger
	events   *ivrEvents
}

// buildIVR loads the flows and routes the configured numbers to them.
// Nothing is built when no tenant has IVR numbers.
func buildIVR(ctx context.Context, cfg config.Config, srv *pbx.Server, ps *pbxstore.Store, log *slog.Logger) (*IVR, error) {
	numbers := map[string]map[string]string{}
	for _, t := range cfg.Tenants {
		if len(t.IVR) > 0 {
			numbers[t.Name] = t.IVR
		}
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	log = log.With("component", "ivr")
	loader := ivr.Loader{}
	if cfg.IVR.Prompts != "" {
		loader.Prompts = os.DirFS(cfg.IVR.Prompts)
	}
	if cfg.IVR.Calendars != "" {
		cals, err := calendar.LoadAll(os.DirFS(cfg.IVR.Calendars), ".")
		if err != nil {
			return nil, fmt.Errorf("ivr.calendars: %w", err)
		}
		loader.Calendars = cals
	}
	reg := ivr.NewRegistry(loader)
	set, err := reg.Reload(os.DirFS(cfg.IVR.Flows))
	if err != nil {
		return nil, fmt.Errorf("ivr.flows: %w", err)
	}
	for tenant, nums := range numbers {
		for num, flow := range nums {
			if _, ok := set.Flow(flow); !ok {
				return nil, fmt.Errorf("tenants %s ivr %s: no flow %q in %s", tenant, num, flow, cfg.IVR.Flows)
			}
		}
	}
	var key []byte
	if cfg.IVR.HTTPKeyFile != "" {
		b, err := os.ReadFile(cfg.IVR.HTTPKeyFile)
		if err != nil {
			return nil, fmt.Errorf("ivr.http_key_file: %w", err)
		}
		key = []byte(strings.TrimSpace(string(b)))
		if err := ivr.CheckHTTPKey(key); err != nil {
			return nil, fmt.Errorf("ivr.http_key_file %s: %d bytes: %w", cfg.IVR.HTTPKeyFile, len(key), err)
		}
	}
	var clock func() time.Time
	if cfg.IVR.FixedTime != "" {
		at, err := time.Parse(time.RFC3339, cfg.IVR.FixedTime)
		if err != nil {
			return nil, fmt.Errorf("ivr.fixed_time: want RFC 3339, e.g. 2026-02-14T10:00:00+08:00: %w", err)
		}
		clock = func() time.Time { return at }
		log.Warn("ivr clock pinned", "at", at.Format(time.RFC3339))
	}
	vmDir := cfg.IVR.VoicemailDir
	if vmDir == "" {
		vmDir = filepath.Join(cfg.DataDir, "voicemail")
	}
	events := &ivrEvents{store: ps, log: log}
	v := &IVR{events: events,
		cfg: cfg, registry: reg, numbers: numbers, log: log,
		interp: ivr.NewInterpreter(ivr.Options{HTTP: ivr.NewHTTPClient(10 * time.Second), HTTPKey: key, Log: log, Clock: clock}),
		deps: callsession.Deps{
			Prompts: callsession.NewPromptCache(cfg.IVR.Prompts, callsession.TTSConfig{
				URL: cfg.IVR.TTSURL, Timeout: cfg.IVR.TTSTimeout, Local: cfg.IVR.TTSLocal, CacheDir: filepath.Join(cfg.DataDir, "tts-cache"),
			}, log),
			Queues:    queueMembers(cfg),
			Events:    events,
			Voicemail: vmDir,
			Log:       log,
		},
	}
	srv.SetApps(v)
	log.Info("ivr flows loaded", "flows", strings.Join(set.Names(), ","), "generation", set.Generation())
	return v, nil
}

// Reload re-reads the flows; on error the running set stays.
func (v *IVR) Reload() error {
	set, err := v.registry.Reload(os.DirFS(v.cfg.IVR.Flows))
	if err != nil {
		v.log.Error("ivr reload failed; keeping the running flows", "err", err)
		return err
	}
	v.log.Info("ivr flows reloaded", "flows", strings.Join(set.Names(), ","), "generation", set.Generation())
	return nil
}

// App implements b2bua.AppRouter.
func (v *IVR) App(tenant, number string) (b2bua.Application, bool) {
	flow, ok := v.numbers[tenant][number]
	if !ok {
		return nil, false
	}
	return ivrApp{v: v, flow: flow}, true
}

type ivrApp struct {
	v    *IVR
	flow string
}

// Run drives one call through the flow, on the flow version current at its start.
func (a ivrApp) Run(ctx context.Context, call *b2bua.LocalCall) {
	info := call.Info()
	sess := callsession.New(call, info.Tenant, info.ID, a.v.deps)
	set := a.v.registry.Current()
	vars := map[string]string{"caller": call.Caller(), "number": call.Number(), "call_id": info.ID}
	res, err := a.v.interp.Run(ctx, set, a.flow, sess, vars)
	if err != nil && !errors.Is(err, context.Canceled) {
		a.v.log.Warn("ivr flow ended with an error", "call", info.ID, "flow", res.Flow, "step", res.Step, "err", err)
	}
	a.v.log.Info("ivr call left", "call", info.ID, "outcome", res.Outcome.String(), "flow", res.Flow, "steps", res.Steps)
}

// queueMembers lists each queue's member extensions, hunted in order when no ACD runs.
type queueTable map[string][]string

func queueMembers(cfg config.Config) queueTable {
	q := queueTable{}
	for _, t := range cfg.Tenants {
		ext := map[string]string{}
		for _, a := range t.Agents {
			ext[a.ID] = a.Extension
		}
		for name, qc := range t.Queues {
			for _, a := range qc.Agents {
				q[name] = append(q[name], ext[a])
			}
		}
	}
	return q
}

func (q queueTable) Members(queue string) []string { return q[queue] }

// ivrEvents stores what flows produce and announces it on the CTI hub (when
// one runs), so the OA can open a ticket for a message and see survey scores.
type ivrEvents struct {
	store   *pbxstore.Store
	log     *slog.Logger
	publish func(tenant, typ string, data any) // nil without a CTI hub
	// surveys counts an answer toward the agent's and the queue's
	// satisfaction today (*acd.ACD); nil without a contact centre.
	surveys interface {
		Survey(ctx context.Context, tenant, callID string, answered bool, score int) error
	}
}

func (e *ivrEvents) announce(tenant, typ string, data any) {
	if e.publish != nil && tenant != "" {
		e.publish(tenant, typ, data)
	}
}

func (e *ivrEvents) Voicemail(ctx context.Context, vm callsession.Voicemail) {
	tenant := vm.Tenant
	row := pbxstore.VoicemailRow{ID: vm.ID, Tenant: tenant, Mailbox: vm.Mailbox, Caller: vm.Caller, Path: vm.Path, Duration: vm.Duration, At: time.Now()}
	if err := e.store.PutVoicemail(ctx, row); err != nil {
		e.log.Error("store voicemail", "id", vm.ID, "err", err)
		return
	}
	e.announce(tenant, protocol.EventVoicemailRecorded, protocol.VoicemailRecorded{ID: vm.ID, Call: vm.CallID, Mailbox: vm.Mailbox,
		Caller: vm.Caller, DurationS: vm.Duration.Seconds(), Vars: vm.Vars})
}

func (e *ivrEvents) Survey(ctx context.Context, tenant, callID string, r ivr.SurveyResult) {
	ev := protocol.CallSurvey{Call: callID, Flow: r.Flow, Answered: r.Answered}
	if r.Answered {
		score := r.Score
		ev.Score = &score
	}
	defer e.announce(tenant, protocol.EventCallSurvey, ev)
	v := pbxstore.Survey{CallID: callID, Tenant: tenant, Flow: r.Flow, At: time.Now()}
	if r.Answered {
		score := r.Score
		v.Score = &score
	}
	if err := e.store.PutSurvey(ctx, v); err != nil {
		e.log.Error("store survey", "call", callID, "err", err)
	}
	if e.surveys != nil {
		// Not found: the call reached the survey without an agent of a queue.
		if err := e.surveys.Survey(ctx, tenant, callID, r.Answered, r.Score); err != nil && !errors.Is(err, errs.ErrNotFound) {
			e.log.Warn("survey not counted for the agent", "call", callID, "err", err)
		}
	}
	e.log.Info("survey", "call", callID, "answered", r.Answered, "score", r.Score)
}
