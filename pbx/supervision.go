package pbx

import (
	"slices"

	"github.com/yimen/yimen/internal/config"
)

// supervisors lists, per tenant, the extensions allowed to monitor calls.
type supervisors map[string][]string

func supervisorsOf(cfg config.Config) supervisors {
	s := supervisors{}
	for _, t := range cfg.Tenants {
		s[t.Name] = t.Supervisors
	}
	return s
}

// Supervisor implements b2bua.Supervision.
func (s supervisors) Supervisor(tenant, ext string) bool { return slices.Contains(s[tenant], ext) }

// EnableSupervision turns on the monitoring feature codes (*1 listen, *2
// whisper, *3 barge + agent extension) for the configured supervisors.
func (s *Server) EnableSupervision() { s.calls.SetSupervision(supervisorsOf(s.cfg)) }

// OnRegistrationChange reports extensions gaining their first or losing their
// last registration (agent auto-login).
func (s *Server) OnRegistrationChange(f func(tenant, ext string, registered bool)) {
	s.regr.OnChange(f)
}
