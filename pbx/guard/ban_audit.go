package guard

import "context"

// BanAuditor records automatic bans in the audit trail: a ban is a security
// event an assessor expects to find there, not only in the log. It is
// called from the janitor, off the packet path, once per ban.
type BanAuditor interface {
	AutoBan(ctx context.Context, b Ban)
}

type auditorRef struct{ BanAuditor }

// SetBanAuditor installs a (nil: removes the) BanAuditor; safe at any time.
func (g *Guard) SetBanAuditor(a BanAuditor) {
	if a == nil {
		g.auditor.Store(nil)
		return
	}
	g.auditor.Store(&auditorRef{a})
}

func (g *Guard) auditBan(ctx context.Context, b Ban) {
	if a := g.auditor.Load(); a != nil {
		a.AutoBan(ctx, b)
	}
}
