package pbx

import (
	"context"
	"slices"

	"github.com/yimen/yimen/pbx/b2bua"

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

// Originate rings agentExt and, once answered, to (click-to-dial, follow-ups).
func (s *Server) Originate(ctx context.Context, tenant, agentExt, to, callerID string) (string, error) {
	return s.calls.Originate(ctx, tenant, agentExt, to, callerID)
}

// Monitor rings supervisorExt and joins them to agentExt's call.
func (s *Server) Monitor(ctx context.Context, tenant, supervisorExt, agentExt string, mode b2bua.MonitorMode) (string, error) {
	return s.calls.Monitor(ctx, tenant, supervisorExt, agentExt, mode)
}

// BlindTransfer moves the other party of ext's call to extension to.
func (s *Server) BlindTransfer(ctx context.Context, tenant, callID, ext, to string) error {
	return s.calls.BlindTransfer(ctx, tenant, callID, ext, to)
}

// OriginateNotify is Originate reporting whether the agent answered.
func (s *Server) OriginateNotify(ctx context.Context, tenant, agentExt, to, callerID string, answered func(bool)) (string, error) {
	return s.calls.OriginateNotify(ctx, tenant, agentExt, to, callerID, answered)
}

// Conference adds to as a third party to ext's call.
func (s *Server) Conference(ctx context.Context, tenant, callID, ext, to string) (string, error) {
	return s.calls.Conference(ctx, tenant, callID, ext, to)
}

// SendDTMF plays keys to the other party of ext's call.
func (s *Server) SendDTMF(ctx context.Context, tenant, callID, ext, keys string) error {
	return s.calls.SendDTMF(ctx, tenant, callID, ext, keys)
}

// OnRegistrationChange reports extensions gaining their first or losing their
// last registration (agent auto-login).
func (s *Server) OnRegistrationChange(f func(tenant, ext string, registered bool)) {
	s.regr.OnChange(f)
}

// Consult holds the other party of ext's call and rings to (attended transfer).
func (s *Server) Consult(ctx context.Context, tenant, callID, ext, to string) error {
	return s.calls.Consult(ctx, tenant, callID, ext, to)
}

// CompleteConsult hands the other party of ext's call to the consulted extension.
func (s *Server) CompleteConsult(ctx context.Context, tenant, callID, ext, to string) error {
	return s.calls.CompleteConsult(ctx, tenant, callID, ext, to)
}

// CancelConsult ends ext's consultation and resumes the other party.
func (s *Server) CancelConsult(ctx context.Context, tenant, callID, ext string) error {
	return s.calls.CancelConsult(ctx, tenant, callID, ext)
}

// RemoteAnswer makes ext's ringing phone answer call callID (NOTIFY Event: talk).
func (s *Server) RemoteAnswer(ctx context.Context, tenant, callID, ext string) error {
	return s.calls.RemoteAnswer(ctx, tenant, callID, ext)
}
