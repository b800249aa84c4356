package cti

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// Principal is who a connection acts as.
type Principal struct {
	Tenant string
	Agent  string   // the agent id this principal is, if any
	Roles  []string // protocol.RoleAgent, RoleSupervisor, RoleSystem, RoleWallboard
}

// Has reports whether p holds one of roles.
func (p Principal) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// Authenticator turns a token into a principal; an error refuses the
// connection. internal/auth's API tokens and sessions will stand behind it.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// StaticTokens is an Authenticator over a fixed token list (tests, demo).
// Tokens are kept as SHA-256 digests so a lookup's timing says nothing
// about how much of a guess was right.
type StaticTokens struct {
	byHash map[[32]byte]Principal
}

// NewStaticTokens returns an Authenticator for the given tokens.
func NewStaticTokens(tokens map[string]Principal) *StaticTokens {
	s := &StaticTokens{byHash: make(map[[32]byte]Principal, len(tokens))}
	for tok, p := range tokens {
		s.byHash[sha256.Sum256([]byte(tok))] = p
	}
	return s
}

// Authenticate looks the token up.
func (s *StaticTokens) Authenticate(_ context.Context, token string) (Principal, error) {
	p, ok := s.byHash[sha256.Sum256([]byte(token))]
	if !ok || token == "" {
		return Principal{}, fmt.Errorf("cti: unknown token: %w", errs.ErrForbidden)
	}
	return p, nil
}

var _ Authenticator = (*StaticTokens)(nil)

// validPrincipal rejects what an Authenticator should never return.
func validPrincipal(p Principal) error {
	if !protocol.ValidID(p.Tenant) {
		return fmt.Errorf("cti: principal without a valid tenant: %w", errs.ErrForbidden)
	}
	if p.Agent != "" && !protocol.ValidID(p.Agent) {
		return fmt.Errorf("cti: principal with a bad agent id: %w", errs.ErrForbidden)
	}
	return nil
}
