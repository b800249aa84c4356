package trunk

import "slices"

// Listing is a tenant's carrier side as the admin API shows it: trunks
// with their live state, DIDs and outbound routes.
type Listing struct {
	Trunks []Status    `json:"trunks"`
	DIDs   []DIDView   `json:"dids"`
	Routes []RouteView `json:"outbound_routes"`
}

// DIDView is one DID and where its calls go now.
type DIDView struct {
	Tenant     string `json:"tenant"`
	Number     string `json:"number"`
	Target     string `json:"target"`
	Hours      string `json:"hours,omitempty"`
	AfterHours string `json:"after_hours,omitempty"`
	Holiday    string `json:"holiday,omitempty"`
	Now        string `json:"now"` // the target the clock picks at this moment
}

// RouteView is one outbound route.
type RouteView struct {
	Tenant   string   `json:"tenant"`
	Name     string   `json:"name"`
	Patterns []string `json:"patterns"`
	Trunks   []string `json:"trunks"`
	CallerID string   `json:"caller_id"`
}

// List shows tenant's carrier side (every tenant's when empty).
func (m *Manager) List(tenant string) Listing {
	out := Listing{Trunks: m.Statuses(tenant), DIDs: []DIDView{}, Routes: []RouteView{}}
	now := m.didNow()
	for _, d := range m.dids {
		if tenant != "" && d.tenant != tenant {
			continue
		}
		v := DIDView{Tenant: d.tenant, Number: d.number, Target: d.target.String(), Now: d.targetAt(now).String()}
		if d.timed {
			v.Hours, v.AfterHours = d.hours.String(), d.afterHours.String()
			if !d.holiday.zero() {
				v.Holiday = d.holiday.String()
			}
		}
		out.DIDs = append(out.DIDs, v)
	}
	slices.SortFunc(out.DIDs, func(a, b DIDView) int {
		if a.Tenant != b.Tenant {
			return compare(a.Tenant, b.Tenant)
		}
		return compare(a.Number, b.Number)
	})
	for name, tt := range m.tables {
		if tenant != "" && name != tenant {
			continue
		}
		for _, r := range tt.routes {
			v := RouteView{Tenant: name, Name: r.name, Patterns: []string{}, Trunks: []string{}, CallerID: tt.callerIDFor("", &r)}
			for _, p := range r.patterns {
				v.Patterns = append(v.Patterns, p.String())
			}
			for _, t := range r.trunks {
				v.Trunks = append(v.Trunks, t.cfg.Name)
			}
			out.Routes = append(out.Routes, v)
		}
	}
	slices.SortStableFunc(out.Routes, func(a, b RouteView) int { return compare(a.Tenant, b.Tenant) })
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
