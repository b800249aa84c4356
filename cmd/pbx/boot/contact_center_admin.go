package boot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx"
)

// ccAdmin is pbx.ContactCenterAdmin over the ACD: each change reads the
// tenant's running configuration, edits it, applies it to the live actor
// (which validates the whole) and saves it, one change at a time.
type ccAdmin struct {
	acd       *acd.ACD
	store     *acd.ConfigStore
	autoLogin map[string]bool // tenants whose new agents log in at once
	log       *slog.Logger
	mu        sync.Mutex
}

var _ pbx.ContactCenterAdmin = (*ccAdmin)(nil)

// storedConfig replaces tc's agents and queues with the ones saved by the
// admin API, if any.
func storedConfig(ctx context.Context, st *acd.ConfigStore, tc *acd.TenantConfig, log *slog.Logger) error {
	saved, ok, err := st.Load(ctx, tc.Tenant)
	if err != nil || !ok {
		return err
	}
	tc.Agents, tc.Queues = saved.Agents, saved.Queues
	log.Info("agents and queues as changed through the admin API; the configuration file's only seeded them",
		"tenant", tc.Tenant, "agents", len(saved.Agents), "queues", len(saved.Queues), "changed", saved.UpdatedAt)
	return nil
}

func (c *ccAdmin) Agents(ctx context.Context, tenant string) ([]pbx.AgentSpec, error) {
	cfg, err := c.acd.Config(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]pbx.AgentSpec, len(cfg.Agents))
	for i, a := range cfg.Agents {
		out[i] = pbx.AgentSpec{ID: a.ID, Name: a.Name, Extension: a.Endpoint, Skills: a.Skills, RingTimeout: a.RingTimeout}
	}
	return out, nil
}

func (c *ccAdmin) Queues(ctx context.Context, tenant string) ([]pbx.QueueSpec, error) {
	cfg, err := c.acd.Config(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]pbx.QueueSpec, len(cfg.Queues))
	for i, q := range cfg.Queues {
		out[i] = pbx.QueueSpec{ID: q.ID, Name: q.Name, Strategy: string(q.Strategy), Agents: q.Agents, Skill: q.Skill,
			MinLevel: q.MinLevel, RingTimeout: q.RingTimeout, WrapUp: q.WrapUp, MaxWait: q.MaxWait, AnnounceEvery: q.AnnounceEvery,
			CallbackAfter: q.CallbackAfter, SLThreshold: q.SLThreshold}
		if !q.Overflow.IsZero() {
			out[i].Overflow = q.Overflow.String()
		}
	}
	return out, nil
}

func (c *ccAdmin) PutAgent(ctx context.Context, tenant string, s pbx.AgentSpec) (bool, error) {
	ac := acd.AgentConfig{ID: s.ID, Name: s.Name, Endpoint: s.Extension, Skills: s.Skills, RingTimeout: s.RingTimeout}
	created := false
	err := c.change(ctx, tenant, "agents", s.ID, func(cfg *acd.TenantConfig) error {
		created = upsert(&cfg.Agents, ac, func(a acd.AgentConfig) bool { return a.ID == s.ID })
		return nil
	})
	if err == nil && created && c.autoLogin[tenant] {
		if err := c.acd.Login(ctx, tenant, s.ID); err == nil {
			_ = c.acd.Ready(ctx, tenant, s.ID)
		}
	}
	return created, err
}

// DeleteAgent takes the agent out of the tenant and of every queue's
// member list; an agent on a call leaves when it ends.
func (c *ccAdmin) DeleteAgent(ctx context.Context, tenant, id string) error {
	return c.change(ctx, tenant, "agents", id, func(cfg *acd.TenantConfig) error {
		if !remove(&cfg.Agents, func(a acd.AgentConfig) bool { return a.ID == id }) {
			return fmt.Errorf("agent %q: %w", id, errs.ErrNotFound)
		}
		for j := range cfg.Queues {
			cfg.Queues[j].Agents = slices.DeleteFunc(slices.Clone(cfg.Queues[j].Agents), func(m string) bool { return m == id })
		}
		return nil
	})
}

func (c *ccAdmin) PutQueue(ctx context.Context, tenant string, s pbx.QueueSpec) (bool, error) {
	qc := acd.QueueConfig{ID: s.ID, Name: s.Name, Agents: s.Agents, Skill: s.Skill, MinLevel: s.MinLevel, RingTimeout: s.RingTimeout,
		WrapUp: s.WrapUp, MaxWait: s.MaxWait, AnnounceEvery: s.AnnounceEvery, CallbackAfter: s.CallbackAfter, SLThreshold: s.SLThreshold}
	if s.Strategy != "" {
		st, err := acd.ParseStrategy(s.Strategy)
		if err != nil {
			return false, &pbx.FieldError{Field: "strategy", Reason: fmt.Sprintf("unknown strategy %q", s.Strategy)}
		}
		qc.Strategy = st
	}
	if s.Overflow != "" {
		t, err := acd.ParseTarget(s.Overflow)
		if err != nil {
			return false, &pbx.FieldError{Field: "overflow", Reason: strings.TrimPrefix(err.Error(), "acd: ")}
		}
		qc.Overflow = t
	}
	created := false
	err := c.change(ctx, tenant, "queues", s.ID, func(cfg *acd.TenantConfig) error {
		created = upsert(&cfg.Queues, qc, func(q acd.QueueConfig) bool { return q.ID == s.ID })
		return nil
	})
	return created, err
}

// DeleteQueue removes a queue nobody waits in.
func (c *ccAdmin) DeleteQueue(ctx context.Context, tenant, id string) error {
	return c.change(ctx, tenant, "queues", id, func(cfg *acd.TenantConfig) error {
		if !remove(&cfg.Queues, func(q acd.QueueConfig) bool { return q.ID == id }) {
			return fmt.Errorf("queue %q: %w", id, errs.ErrNotFound)
		}
		return nil
	})
}

// change edits the tenant's configuration with edit, applies it live and
// saves it. kind and id name the object edited, so a refusal naming one of
// its fields says just the field ("strategy"), and one naming another
// object says which ("queues.support.agents").
func (c *ccAdmin) change(ctx context.Context, tenant, kind, id string, edit func(*acd.TenantConfig) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, err := c.acd.Config(ctx, tenant)
	if err != nil {
		return err
	}
	if err := edit(&cfg); err != nil {
		return err
	}
	if err := c.acd.Reconfigure(ctx, tenant, cfg.Agents, cfg.Queues); err != nil {
		var fe *acd.FieldError
		if errors.As(err, &fe) {
			return &pbx.FieldError{Field: fieldName(fe.Field, cfg, kind, id), Reason: fe.Reason}
		}
		return err
	}
	if err := c.store.Save(ctx, tenant, acd.StoredConfig{Agents: cfg.Agents, Queues: cfg.Queues}); err != nil {
		c.log.Error("agents and queues changed live but not saved: a restart undoes the change", "tenant", tenant, "err", err)
		return fmt.Errorf("applied but not saved: %w", err)
	}
	c.log.Info("contact centre changed", "tenant", tenant, "kind", kind, "id", id)
	return nil
}

var indexedField = regexp.MustCompile(`^(agents|queues)\[(\d+)\](?:\.(.*))?$`)

// fieldName turns the ACD's "queues[1].strategy" into the admin API's words.
func fieldName(path string, cfg acd.TenantConfig, kind, id string) string {
	m := indexedField.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	i, _ := strconv.Atoi(m[2])
	field := m[3]
	if field == "endpoint" {
		field = "extension"
	}
	var objID string
	switch {
	case m[1] == "agents" && i < len(cfg.Agents):
		objID = cfg.Agents[i].ID
	case m[1] == "queues" && i < len(cfg.Queues):
		objID = cfg.Queues[i].ID
	}
	if m[1] == kind && objID == id && field != "" {
		return field
	}
	out := m[1] + "." + objID
	if field != "" {
		out += "." + field
	}
	return out
}

// upsert replaces the element that is, or appends v; it reports an append.
func upsert[T any](list *[]T, v T, is func(T) bool) bool {
	if i := slices.IndexFunc(*list, is); i >= 0 {
		(*list)[i] = v
		return false
	}
	*list = append(*list, v)
	return true
}

// remove deletes the element that is; false when there is none.
func remove[T any](list *[]T, is func(T) bool) bool {
	i := slices.IndexFunc(*list, is)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}
