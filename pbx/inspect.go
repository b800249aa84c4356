package pbx

import (
	"context"

	"github.com/yimen/yimen/pbx/guard"
	"github.com/yimen/yimen/pbx/registrar"
)

// What the PBX's HTTP API (pbx/pbxapi) reads and changes in the running
// softswitch; the API itself lives there.

// Health is the PBX's load at a glance.
type Health struct {
	Calls, Registrations, RTPPortsInUse int
}

// Health counts the calls, registrations and RTP ports in use.
func (s *Server) Health() Health {
	return Health{Calls: s.calls.Active(), Registrations: s.regr.Count(), RTPPortsInUse: s.relay.PortsInUse()}
}

// Registrations lists the live bindings of a tenant's configured
// extensions ("": every tenant's), in configuration order.
func (s *Server) Registrations(tenant string) []registrar.Binding {
	var out []registrar.Binding
	for _, t := range s.cfg.Tenants {
		if tenant != "" && tenant != t.Name {
			continue
		}
		exts, _ := t.ExtensionList()
		for _, e := range exts {
			for _, b := range s.regr.Lookup(t.Name, e) {
				b.Tenant, b.AOR = t.Name, e
				out = append(out, b)
			}
		}
	}
	return out
}

// AgentExtension is the extension of a tenant's configured agent, or "".
func (s *Server) AgentExtension(tenant, agent string) string {
	for _, t := range s.cfg.Tenants {
		if t.Name != tenant {
			continue
		}
		for _, a := range t.Agents {
			if a.ID == agent {
				return a.Extension
			}
		}
	}
	return ""
}

// HasExtension reports whether ext is one of tenant's extensions.
func (s *Server) HasExtension(tenant, ext string) bool { return s.dir.hasExtension(tenant, ext) }

// KnownTenant reports whether a tenant is configured.
func (s *Server) KnownTenant(name string) bool {
	for _, t := range s.cfg.Tenants {
		if t.Name == name {
			return true
		}
	}
	return false
}

// SetSecret stores an extension's SIP secret (a fresh random one when
// secret is empty) and returns it.
func (s *Server) SetSecret(ctx context.Context, tenant, ext, secret string) (string, error) {
	return s.setSecret(ctx, tenant, ext, secret)
}

// Guard is the SIP guard (its ban list has an API).
func (s *Server) Guard() *guard.Guard { return s.guard }
