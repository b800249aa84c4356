package rbac

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Principal is who asks; *auth.Principal implements it.
type Principal interface {
	PrincipalID() string
	PrincipalTenant() string
}

// Scope locates the thing acted on. Tenant defaults to the principal's.
// Queue and Agent are set when the resource belongs to one (a CDR of queue
// "q1" answered by agent "1001").
type Scope struct {
	Tenant string
	Queue  string
	Agent  string
}

// Binding qualifies a user's role: the queues a supervisor or QA covers,
// and the agent id an agent is.
type Binding struct {
	Queues []string
	Agent  string
}

// Assignment is one role a user holds.
type Assignment struct {
	UserID string
	Tenant string
	Role   string
	Binding
}

// Alarm reports a row whose integrity tag failed.
type Alarm struct {
	Time       time.Time
	Row        BadRow
	UserID     string // whose authorization hit it, if any
	Tenant     string
	Permission string
}

// KeySource derives the tag key; the *keys.Keyring for "rbac.tag" implements it.
type KeySource interface {
	DeriveKey(label string) []byte
}

// Auditor records security events; *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (int64, error)
}

// Deps are the Service's collaborators.
type Deps struct {
	DB    *store.DB
	Keys  KeySource
	Audit Auditor                            // optional
	Alarm func(ctx context.Context, a Alarm) // optional; called on every bad tag
	Log   *slog.Logger
	Now   func() time.Time
}

// Service answers authorization questions and manages grants.
type Service struct {
	st    sqlStore
	key   []byte
	audit Auditor
	alarm func(context.Context, Alarm)
	log   *slog.Logger
	now   func() time.Time
}

// New migrates the rbac tables and returns a Service.
func New(ctx context.Context, d Deps) (*Service, error) {
	if d.DB == nil || d.Keys == nil {
		return nil, fmt.Errorf("rbac: DB and Keys are required: %w", errs.ErrInvalid)
	}
	key := d.Keys.DeriveKey("rbac row tag")
	if len(key) < 16 {
		return nil, fmt.Errorf("rbac: tag key unavailable: %w", errs.ErrUnavailable)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.DB.Migrate(ctx, "rbac", migrationFiles); err != nil {
		return nil, err
	}
	return &Service{st: sqlStore{d.DB}, key: key, audit: d.Audit, alarm: d.Alarm, log: d.Log, now: d.Now}, nil
}

// Authorize returns nil when p may use perm on the resource at scope, and an
// error wrapping errs.ErrForbidden otherwise. Every row it relies on has its
// tag checked; one bad tag denies the request and raises an alarm.
func (s *Service) Authorize(ctx context.Context, p Principal, perm string, scope Scope) error {
	if p == nil || p.PrincipalID() == "" {
		return fmt.Errorf("rbac: no principal: %w", errs.ErrForbidden)
	}
	tenant := p.PrincipalTenant()
	if scope.Tenant == "" {
		scope.Tenant = tenant
	}
	if scope.Tenant != tenant {
		return fmt.Errorf("rbac: %s of tenant %s may not act in tenant %s: %w", p.PrincipalID(), tenant, scope.Tenant, errs.ErrForbidden)
	}
	grants, err := s.st.grantsFor(ctx, p.PrincipalID(), tenant, perm)
	if err != nil {
		return err
	}
	allowed := false
	for _, g := range grants {
		if bad, ok := s.checkGrant(g); !ok {
			s.raise(ctx, Alarm{Row: bad, UserID: p.PrincipalID(), Tenant: tenant, Permission: perm})
			return fmt.Errorf("rbac: integrity check failed at %s: %w", bad, errs.ErrForbidden)
		}
		if inScope(g, scope) {
			allowed = true
		}
	}
	if !allowed {
		return fmt.Errorf("rbac: %s lacks %s for this scope: %w", p.PrincipalID(), perm, errs.ErrForbidden)
	}
	return nil
}

// Can is Authorize as a boolean.
func (s *Service) Can(ctx context.Context, p Principal, perm string, scope Scope) bool {
	return s.Authorize(ctx, p, perm, scope) == nil
}

func (s *Service) checkGrant(g grantRow) (BadRow, bool) {
	if !s.userRoleOK(g.ur) {
		return BadRow{tableUserRoles, g.ur.id}, false
	}
	if !s.rolePermOK(g.rp) {
		return BadRow{tableRolePerms, g.rp.id}, false
	}
	return BadRow{}, true
}

func inScope(g grantRow, sc Scope) bool {
	switch g.rp.scp {
	case ScopeTenant:
		return true // tenant equality was checked already
	case ScopeQueue:
		return sc.Queue != "" && slices.Contains(splitQueues(g.ur.queues), sc.Queue)
	case ScopeOwn:
		return sc.Agent != "" && g.ur.agnt == sc.Agent
	}
	return false
}

func (s *Service) raise(ctx context.Context, a Alarm) {
	a.Time = s.now()
	s.log.ErrorContext(ctx, "rbac integrity alarm: row tag does not match", "row", a.Row.String(), "user", a.UserID, "tenant", a.Tenant, "permission", a.Permission)
	if s.audit != nil {
		if _, err := s.audit.Append(ctx, audit.Entry{Time: a.Time, Tenant: a.Tenant, Actor: "system", Action: "rbac.integrity", Target: a.Row.String(),
			Outcome: audit.OutcomeAlarm, Detail: "tag mismatch; access denied to " + a.UserID + " for " + a.Permission}); err != nil {
			s.log.ErrorContext(ctx, "audit append failed", "err", err)
		}
	}
	if s.alarm != nil {
		s.alarm(ctx, a)
	}
}

// Verify checks the tag of every row and returns the bad ones (each also
// raising an alarm); run it at start-up and periodically.
func (s *Service) Verify(ctx context.Context) ([]BadRow, error) {
	var bad []BadRow
	urs, err := s.st.allUserRoles(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range urs {
		if !s.userRoleOK(r) {
			bad = append(bad, BadRow{tableUserRoles, r.id})
		}
	}
	rps, err := s.st.allRolePerms(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rps {
		if !s.rolePermOK(r) {
			bad = append(bad, BadRow{tableRolePerms, r.id})
		}
	}
	for _, b := range bad {
		s.raise(ctx, Alarm{Row: b})
	}
	return bad, nil
}

func splitQueues(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func joinQueues(qs []string) (string, error) {
	c := slices.Clone(qs)
	slices.Sort(c)
	c = slices.Compact(c)
	for _, q := range c {
		if q == "" || strings.ContainsRune(q, ',') {
			return "", fmt.Errorf("rbac: queue id %q empty or contains ',': %w", q, errs.ErrInvalid)
		}
	}
	return strings.Join(c, ","), nil
}

// Right is one permission a user holds and where: over the whole tenant,
// over the queues of its role binding, or over its own agent only.
type Right struct {
	Permission string
	Scope      string   // ScopeTenant, ScopeQueue or ScopeOwn
	Queues     []string // ScopeQueue: the queues on the role binding
	Agent      string   // ScopeOwn: the agent id on the role binding
}

// Rights lists what userID holds in tenant of the permissions perms, for a
// consumer that checks rights itself over a long-lived connection (the
// CTI). Every row is tag-checked as Authorize does; one bad tag fails the
// whole answer with ErrForbidden and raises an alarm.
func (s *Service) Rights(ctx context.Context, userID, tenant string, perms ...string) ([]Right, error) {
	var out []Right
	for _, perm := range perms {
		grants, err := s.st.grantsFor(ctx, userID, tenant, perm)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			if bad, ok := s.checkGrant(g); !ok {
				s.raise(ctx, Alarm{Row: bad, UserID: userID, Tenant: tenant, Permission: perm})
				return nil, fmt.Errorf("rbac: integrity check failed at %s: %w", bad, errs.ErrForbidden)
			}
			r := Right{Permission: perm, Scope: g.rp.scp}
			switch g.rp.scp {
			case ScopeQueue:
				r.Queues = splitQueues(g.ur.queues)
			case ScopeOwn:
				r.Agent = g.ur.agnt
			}
			out = append(out, r)
		}
	}
	return out, nil
}
