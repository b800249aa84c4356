package campaign

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/oa"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// OA is what campaigns take from the OA's core; *oa.Service implements it.
type OA interface {
	Customer(ctx context.Context, tenant string, id int64, pii bool) (oa.Customer, error)
	Ticket(ctx context.Context, tenant string, id int64) (oa.Ticket, error)
	AwaitingVisit(ctx context.Context, tenant string, from, to time.Time) ([]oa.Ticket, error)
	FindContacts(ctx context.Context, tenant string, q oa.ContactQuery) ([]oa.Contact, int, error)
	ContactCaller(ctx context.Context, tenant string, id int64) (string, error)
	ContactByCall(ctx context.Context, tenant, call string) (oa.Contact, error)
	VisitResult(ctx context.Context, tenant string, me oa.Actor, id int64, result, comment string) (oa.Ticket, error)
	PhoneIndex(normalised string) []byte
}

var _ OA = (*oa.Service)(nil)

// Dialer places a call through the PBX: it rings agent's phone, then to,
// presenting callerID ("" for the trunk's own); it returns the call's id,
// which is also its CDR's and recording's.
type Dialer interface {
	Dial(ctx context.Context, tenant, agent, to, callerID string) (string, error)
}

// Popper shows an agent a card over the CTI (screenpop); the CTI link
// implements it beside Dial, and a progressive campaign's agent gets the
// number's card as their phone rings.
type Popper interface {
	ScreenPop(ctx context.Context, tenant string, p protocol.ScreenPop) error
}

// Config tunes campaigns.
type Config struct {
	// LocalAreaCode completes a landline imported without one ("010").
	LocalAreaCode string
	// Calendar is the holiday calendar in force, no campaign calling on
	// its holidays (the OA's, which follows its file); nil: none.
	Calendar func() *calendar.Calendar
	// Tick is how often running campaigns are looked at for due numbers
	// and free agents (500 ms); events wake the dialler sooner.
	Tick time.Duration
}

// Deps are the campaigns' collaborators.
type Deps struct {
	DB     *store.DB
	Fields oa.FieldCipher
	OA     OA
	Dialer Dialer     // nil: nothing is dialled (the API still works)
	Audit  oa.Auditor // optional
	Log    *slog.Logger
	Now    func() time.Time
}

// Service keeps campaigns and dials them.
type Service struct {
	cfg    Config
	db     *store.DB
	fields oa.FieldCipher
	oa     OA
	dialer Dialer
	audit  oa.Auditor
	log    *slog.Logger
	clock  atomic.Pointer[func() time.Time]

	mu      sync.Mutex
	tenants map[string]*floor
	wake    chan struct{}
	// moved is closed (and replaced) whenever a campaign's numbers,
	// attempts, state or agents change: progress streams wait on it.
	moved chan struct{}
}

// New migrates the campaign tables and returns the Service; Run dials.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	if d.DB == nil || d.Fields == nil || d.OA == nil {
		return nil, fmt.Errorf("campaign: DB, Fields and OA are required: %w", errs.ErrInvalid)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 500 * time.Millisecond
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.DB.Migrate(ctx, "oa_campaign", migrationFiles); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, db: d.DB, fields: d.Fields, oa: d.OA, dialer: d.Dialer, audit: d.Audit, log: d.Log,
		tenants: map[string]*floor{}, wake: make(chan struct{}, 1), moved: make(chan struct{})}
	s.clock.Store(&d.Now)
	return s, nil
}

// SetClock replaces the clock calling hours, retry spacing and generated
// lists are read on (a test moves the OA to a holiday with it).
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time { return (*s.clock.Load())() }

// record appends an audit entry; a failure is logged, never fatal to the
// action already committed.
func (s *Service) record(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeOK
	}
	if _, err := s.audit.Append(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", e.Action, "err", err)
	}
}

// poke wakes the dialler (an agent became ready, a call ended, a campaign
// started) and the progress streams.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.changed()
}

// changed wakes the progress streams.
func (s *Service) changed() {
	s.mu.Lock()
	close(s.moved)
	s.moved = make(chan struct{})
	s.mu.Unlock()
}

// Moved is closed at the next change of any campaign (a number dialled or
// settled, a state, an agent): a progress stream reads Progress again then.
func (s *Service) Moved() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moved
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// calendar is the holiday calendar in force (nil: none).
func (s *Service) calendar() *calendar.Calendar {
	if s.cfg.Calendar == nil {
		return nil
	}
	return s.cfg.Calendar()
}
