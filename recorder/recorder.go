package recorder

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx/callevent"
)

// AuditSink receives one entry per access to a recording; *audit.Log
// implements it.
type AuditSink interface {
	Append(ctx context.Context, e audit.Entry) (int64, error)
}

// ReadySink is told when a recording is final (the CTI hub turns it into
// a recording.ready event).
type ReadySink interface {
	RecordingReady(r Recording)
}

// Deps are what the recorder is given rather than builds.
type Deps struct {
	DB     *store.DB
	Sealer FieldSealer // caller numbers in the index
	// Keys wraps per-file keys when the configuration asks for encryption
	// (the "recordings" keyring).
	Keys KeyWrapper
	// Storage overrides the storage built from the configuration.
	Storage Storage
	Log     *slog.Logger
	Audit   AuditSink // optional
	Ready   ReadySink // optional
	// Now is the clock for row times and retention; nil means time.Now.
	Now func() time.Time
	// Location decides which calendar day a call belongs to for QA
	// sampling; nil means time.Local.
	Location *time.Location
	// AgentOf names the contact-centre agent on an extension of tenant,
	// so a recording carries the agent id RBAC's own scope binds (not the
	// extension); nil, or no agent there, leaves the recording's agent empty.
	AgentOf func(tenant, ext string) (agentID string, ok bool)
}

// Recorder records calls and serves what it recorded. It listens to call
// events, tapping the media of answered calls.
type Recorder struct {
	agentOf  func(tenant, ext string) (string, bool)
	cfg      config.Recording
	format   Format
	policies policies
	index    *indexStore
	storage  Storage
	log      *slog.Logger
	auditor  AuditSink
	played   playbacks      // streams and downloads already audited
	sweeper  sync.WaitGroup // the loop that writes playback summaries
	notify   ReadySink
	now      func() time.Time
	loc      *time.Location

	ctx    context.Context // for writers, which outlive the observer callbacks
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// finishing bounds how many recordings are checksummed at once. When a
	// thousand calls end together, each re-reading (and, sealed, decrypting)
	// its file would otherwise leave a thousand runnable goroutines in front
	// of the SIP reader; late recordings only mean a later recording.ready.
	finishing chan struct{}

	// clock, when set (tests), gives each session its time since t0.
	clock func(t0 time.Time) func() int64

	mu         sync.Mutex
	calls      map[string]*liveCall
	ended      map[string]time.Time // recently ended calls
	endedSwept time.Time            // when ended was last swept
	closed     bool
}

// bridgeSlack is how long after its answer a call may be reported
// answered and still be recorded from the answer.
const bridgeSlack = 2 * time.Second

// liveCall is an answered call the recorder may record.
type liveCall struct {
	info  callevent.Call
	media callevent.Media
	sess  *session // nil until recording starts
	held  bool
}

var (
	_ callevent.MediaObserver = (*Recorder)(nil)
	_ callevent.HoldObserver  = (*Recorder)(nil)
	_ callevent.EndObserver   = (*Recorder)(nil)
)

// validID keeps ids and tenant names usable as file names.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// New migrates the index, builds the storage and repairs what an earlier
// crash left unfinished.
func New(ctx context.Context, cfg config.Recording, d Deps) (*Recorder, error) {
	if d.DB == nil || d.Sealer == nil || d.Log == nil {
		return nil, fmt.Errorf("recorder: DB, Sealer and Log are required: %w", errs.ErrInvalid)
	}
	r := &Recorder{
		cfg: cfg, format: Format(cfg.Format), policies: newPolicies(cfg), agentOf: d.AgentOf,
		index: &indexStore{db: d.DB, sealer: d.Sealer}, storage: d.Storage, log: d.Log,
		auditor: d.Audit, notify: d.Ready, now: d.Now, loc: d.Location, calls: map[string]*liveCall{}, ended: map[string]time.Time{},
		finishing: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
	if r.format == "" {
		r.format = FormatALaw
	}
	if !r.format.valid() {
		return nil, fmt.Errorf("recorder: format %q: %w", cfg.Format, errs.ErrInvalid)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.loc == nil {
		r.loc = time.Local
	}
	if r.storage == nil {
		if cfg.Dir == "" {
			return nil, fmt.Errorf("recorder: recording.dir is empty: %w", errs.ErrInvalid)
		}
		if cfg.Encrypt {
			if d.Keys == nil {
				return nil, fmt.Errorf("recorder: encryption needs a keyring: %w", errs.ErrInvalid)
			}
			r.storage = NewSealedStorage(cfg.Dir, d.Keys)
		} else {
			r.storage = NewPlainStorage(cfg.Dir)
		}
	}
	if err := d.DB.Migrate(ctx, "recorder", migrationFiles); err != nil {
		return nil, err
	}
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := r.recover(ctx); err != nil {
		return nil, err
	}
	r.sweeper.Go(func() { r.sweepPlaybacks(r.ctx) })
	return r, nil
}

// CallMedia starts recording an answered call when the call's policy is
// always, and remembers the call so an on-demand Start can find it. A call
// answered again (bridged to another agent after a transfer) keeps its
// recording: the tap is attached to the new media.
func (r *Recorder) CallMedia(ev callevent.Answered, m callevent.Media) {
	c := ev.Call
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, gone := r.ended[c.ID]; r.closed || gone || c.State == "ended" {
		return // the end overtook the answer
	}
	if lc := r.calls[c.ID]; lc != nil {
		lc.info, lc.media = c, m
		if lc.sess != nil && lc.sess.flags.Load()&flagStopped == 0 {
			m.SetTap(lc.sess)
		}
		return
	}
	lc := &liveCall{info: c, media: m}
	r.calls[c.ID] = lc
	if r.policies.forCall(c.Tenant, c.Caller, c.Callee) == PolicyAlways {
		r.startLocked(lc, r.startTime(c))
	}
}

// startTime is when a call's recording begins: its answer, so the file's
// length is the CDR's talk time. A call an application (the IVR) answered
// long before it bridged the caller to an agent records from the bridging.
func (r *Recorder) startTime(c callevent.Call) time.Time {
	now := r.now()
	if c.Answered.IsZero() || now.Sub(c.Answered) > bridgeSlack {
		return now
	}
	return c.Answered
}

// CallHold silences the recording while the call is on hold.
func (r *Recorder) CallHold(ev callevent.Hold) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lc := r.calls[ev.ID]
	if lc == nil {
		return
	}
	lc.held = ev.Held
	if lc.sess != nil {
		lc.sess.setFlag(flagHeld, ev.Held)
	}
}

// CallEnded ends the call's recording at the CDR's end time, so its
// length is the call's talk time.
func (r *Recorder) CallEnded(ev callevent.Ended) {
	r.mu.Lock()
	lc := r.calls[ev.ID]
	delete(r.calls, ev.ID)
	r.rememberEnded(ev.ID)
	r.mu.Unlock()
	if lc != nil && lc.sess != nil {
		end := ev.CDR.End
		if end.IsZero() {
			end = r.now()
		}
		lc.sess.end(end)
	}
}

// rememberEnded keeps ended call ids for a minute, because an answer
// reported from another goroutine can arrive after the end.
func (r *Recorder) rememberEnded(id string) {
	now := r.now()
	// Sweep at most every 10 s: a scan per hang-up cost a fifth of the CPU
	// at 400 calls/s once the map held a minute of calls.
	if len(r.ended) >= 256 && now.Sub(r.endedSwept) > 10*time.Second {
		r.endedSwept = now
		for k, at := range r.ended {
			if now.Sub(at) > time.Minute {
				delete(r.ended, k)
			}
		}
	}
	r.ended[id] = now
}

// agentOn is the agent id on ext of tenant, "" when none (or unknown).
func (r *Recorder) agentOn(tenant, ext string) string {
	if r.agentOf == nil {
		return ""
	}
	if id, ok := r.agentOf(tenant, ext); ok {
		return id
	}
	return ""
}

// startLocked creates the session, attaches the tap and starts the writer.
func (r *Recorder) startLocked(lc *liveCall, start time.Time) {
	c := lc.info
	if !validID(c.ID) || !validID(c.Tenant) {
		r.log.Error("recording refused: unusable call id or tenant", "call", c.ID)
		return
	}
	rec := Recording{
		ID: c.ID, Tenant: c.Tenant, CallerMasked: fieldcrypt.Mask(c.Caller), Callee: c.Callee, Agent: r.agentOn(c.Tenant, c.Callee),
		Start: start, State: StateRecording, Format: r.format, Encrypted: r.cfg.Encrypt,
		Path: r.fileName(c.Tenant, c.ID, start),
	}
	var elapsed func() int64
	if r.clock != nil {
		elapsed = r.clock(start)
	}
	s := newSession(rec, c.Caller, start, elapsed)
	s.setFlag(flagHeld, lc.held)
	lc.sess = s
	lc.media.SetTap(s)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		s.writer(r.ctx, r)
	}()
}

// fileName places a recording under tenant/day/ so no directory grows
// without bound.
func (r *Recorder) fileName(tenant, id string, start time.Time) string {
	ext := ".wav"
	if r.cfg.Encrypt {
		ext = ".wav.sm4"
	}
	return path.Join(tenant, start.In(r.loc).Format("2006-01-02"), id+ext)
}

func (r *Recorder) live(callID string) (*liveCall, error) {
	lc := r.calls[callID]
	if lc == nil {
		return nil, fmt.Errorf("recorder: no answered call %s: %w", callID, errs.ErrNotFound)
	}
	return lc, nil
}

// Start begins recording an answered call now (policy on_demand, or a
// call whose recording was not started). A call records at most once.
func (r *Recorder) Start(_ context.Context, callID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	lc, err := r.live(callID)
	if err != nil {
		return err
	}
	if lc.sess != nil {
		return fmt.Errorf("recorder: call %s is already recorded: %w", callID, errs.ErrConflict)
	}
	if r.policies.forCall(lc.info.Tenant, lc.info.Caller, lc.info.Callee) == PolicyNever {
		return fmt.Errorf("recorder: policy forbids recording call %s: %w", callID, errs.ErrForbidden)
	}
	r.startLocked(lc, r.now())
	if lc.sess == nil {
		return fmt.Errorf("recorder: call %s cannot be recorded: %w", callID, errs.ErrInvalid)
	}
	return nil
}

// Stop ends a call's recording now; the call goes on unrecorded.
func (r *Recorder) Stop(_ context.Context, callID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	lc, err := r.live(callID)
	if err != nil {
		return err
	}
	if lc.sess == nil || lc.sess.flags.Load()&flagStopped != 0 {
		return fmt.Errorf("recorder: call %s is not being recorded: %w", callID, errs.ErrConflict)
	}
	lc.sess.end(lc.sess.now())
	return nil
}

// callTenant is the tenant of a call in progress, or "" (for audit lines).
func (r *Recorder) callTenant(callID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lc := r.calls[callID]; lc != nil {
		return lc.info.Tenant
	}
	return ""
}

// Pause silences a call's recording until Resume, e.g. while the caller
// reads out an ID number; the file keeps its length.
func (r *Recorder) Pause(_ context.Context, callID string) error { return r.pause(callID, true) }

// Resume undoes Pause.
func (r *Recorder) Resume(_ context.Context, callID string) error { return r.pause(callID, false) }

func (r *Recorder) pause(callID string, on bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	lc, err := r.live(callID)
	if err != nil {
		return err
	}
	if lc.sess == nil || lc.sess.flags.Load()&flagStopped != 0 {
		return fmt.Errorf("recorder: call %s is not being recorded: %w", callID, errs.ErrConflict)
	}
	lc.sess.setFlag(flagPaused, on)
	return nil
}

// Close ends every recording in progress now and waits until their files
// and rows are final. Call it after the PBX has drained its calls and
// before the database closes.
func (r *Recorder) Close() {
	r.mu.Lock()
	r.closed = true
	for id, lc := range r.calls {
		if lc.sess != nil {
			lc.sess.end(lc.sess.now())
		}
		delete(r.calls, id)
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.cancel()
	r.sweeper.Wait()
	// Playbacks still open end with the process: their summaries now.
	r.auditPlaybacks(context.Background(), true)
}

func (r *Recorder) ready(rec Recording) {
	if r.notify != nil {
		r.notify.RecordingReady(rec)
	}
}

// Search lists recordings matching f, newest first.
func (r *Recorder) Search(ctx context.Context, f Filter) ([]Recording, error) {
	if f.Tenant == "" {
		return nil, fmt.Errorf("recorder: tenant is required: %w", errs.ErrInvalid)
	}
	return r.index.search(ctx, f)
}

// Get returns one recording's index row.
func (r *Recorder) Get(ctx context.Context, id string) (Recording, error) {
	return r.index.get(ctx, id)
}

// Annotate records facts learnt after the call (agent, queue, survey
// score, transfer).
func (r *Recorder) Annotate(ctx context.Context, id string, a Annotation) error {
	return r.index.annotate(ctx, id, a)
}
