package cti_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// revocable is an Authenticator whose tokens can be revoked or re-roled.
type revocable struct {
	mu     sync.Mutex
	tokens map[string]cti.Principal
	broken bool // lookups fail (the database is down), not refuse
}

func (r *revocable) Authenticate(_ context.Context, tok string) (cti.Principal, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return cti.Principal{}, errors.New("database is locked")
	}
	p, ok := r.tokens[tok]
	if !ok {
		return cti.Principal{}, fmt.Errorf("revoked: %w", errs.ErrForbidden)
	}
	return p, nil
}

func (r *revocable) set(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn()
}

// A live connection's credential is checked again: a failing lookup leaves
// it open, changed roles or a revoked token close it with 4001.
func TestCredentialsAreRechecked(t *testing.T) {
	auth := &revocable{tokens: map[string]cti.Principal{
		"a": {Tenant: "demo", Agent: "a1", Roles: []string{protocol.RoleAgent}},
		"b": {Tenant: "demo", Agent: "a2", Roles: []string{protocol.RoleAgent}},
	}}
	hub, err := cti.NewHub(cti.Config{Recheck: 50 * time.Millisecond}, cti.Deps{Auth: auth, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hub)
	t.Cleanup(func() { hub.Close(); srv.Close() })
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	dial := func(tok string) *client.Client {
		c, err := client.Dial(t.Context(), url, client.Options{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ca, cb := dial("a"), dial("b")
	closedWith := func(c *client.Client, what string) {
		t.Helper()
		select {
		case <-c.Done():
			var ce *websocket.CloseError
			if err := c.Err(); !errors.As(err, &ce) || ce.Code != protocol.CloseUnauthorized {
				t.Fatalf("%s: ended with %v, want close %d", what, err, protocol.CloseUnauthorized)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still open", what)
		}
	}
	stillOpen := func(c *client.Client, what string) {
		t.Helper()
		select {
		case <-c.Done():
			t.Fatalf("%s: closed: %v", what, c.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}

	auth.set(func() { auth.broken = true })
	stillOpen(ca, "lookups failing")
	auth.set(func() { auth.broken = false })

	auth.set(func() {
		auth.tokens["a"] = cti.Principal{Tenant: "demo", Agent: "a1", Roles: []string{protocol.RoleSupervisor}}
	})
	closedWith(ca, "roles changed")
	stillOpen(cb, "the other token")
	auth.set(func() { delete(auth.tokens, "b") })
	closedWith(cb, "token revoked")
}
