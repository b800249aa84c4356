package acdapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
)

// Deps are what the API changes and checks against.
type Deps struct {
	ACD   *acd.ACD
	Store *acd.ConfigStore
	// HasExtension reports whether ext is a SIP extension of tenant; an
	// agent's extension must be one.
	HasExtension func(tenant, ext string) bool
	// AutoLogin names the tenants whose new agents log in at once.
	AutoLogin map[string]bool
	Log       *slog.Logger
}

// API serves the agent and queue routes; each change reads the tenant's
// running configuration, edits it, applies it to the live actor and saves
// it, one change at a time.
type API struct {
	d  Deps
	mu sync.Mutex
}

// New builds the API.
func New(d Deps) *API { return &API{d: d} }

// FieldError refuses a request for one field of its body; the API answers
// 400 naming it. It wraps errs.ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return errs.ErrInvalid }

// fail answers a failed request: a field error as {"error", "field"}, any
// other through httpx.Fail.
func (a *API) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": fe.Error(), "field": fe.Field})
		return
	}
	httpx.Fail(w, r, a.d.Log, "cannot "+what, err)
}

// change edits the tenant's configuration with edit, applies it live and
// saves it. kind and id name the object edited, so a refusal naming one of
// its fields says just the field ("strategy"), and one naming another
// object says which ("queues.support.agents").
func (a *API) change(ctx context.Context, tenant, kind, id string, edit func(*acd.TenantConfig) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cfg, err := a.d.ACD.Config(ctx, tenant)
	if err != nil {
		return err
	}
	if err := edit(&cfg); err != nil {
		return err
	}
	if err := a.d.ACD.Reconfigure(ctx, tenant, cfg.Agents, cfg.Queues); err != nil {
		var fe *acd.FieldError
		if errors.As(err, &fe) {
			return &FieldError{Field: fieldName(fe.Field, cfg, kind, id), Reason: fe.Reason}
		}
		return err
	}
	if err := a.d.Store.Save(ctx, tenant, acd.StoredConfig{Agents: cfg.Agents, Queues: cfg.Queues}); err != nil {
		a.d.Log.Error("agents and queues changed live but not saved: a restart undoes the change", "tenant", tenant, "err", err)
		return fmt.Errorf("applied but not saved: %w", err)
	}
	a.d.Log.Info("contact centre changed", "tenant", tenant, "kind", kind, "id", id)
	return nil
}

var indexedField = regexp.MustCompile(`^(agents|queues)\[(\d+)\](?:\.(.*))?$`)

// fieldName turns the ACD's "queues[1].strategy" into the API's words.
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

func putStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
