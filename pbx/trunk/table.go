package trunk

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
)

// tenantTable is one tenant's carrier side, compiled from its config.
type tenantTable struct {
	name      string
	area      string
	trunks    map[string]*Trunk
	order     []*Trunk // as configured
	routes    []route
	index     routeIndex
	callerID  string            // default presented number (normalised)
	callerIDs map[string]string // extension → number
	classes   map[string][]Class
	ownDIDs   map[string]bool // normalised DIDs: the only numbers the tenant may present
	emergency *Trunk
	caps      tenantCaps
	// Per-extension caps (extension_caps.go); 0: none.
	extPerMinute int
	extPerDay    time.Duration
}

type route struct {
	name     string
	patterns []Pattern
	trunks   []*Trunk
	callerID string
}

// didRoute is where one DID's calls go.
type didRoute struct {
	tenant     string
	number     string // the DID, normalised
	target     target
	hours      calendar.Hours
	timed      bool
	cal        *calendar.Calendar
	afterHours target
	holiday    target
}

// target is a number of a tenant.
type target struct{ tenant, number string }

func (t target) zero() bool { return t.number == "" }

func (t target) String() string { return t.tenant + "/" + t.number }

// keyErr is a compile error naming the configuration key.
func keyErr(key, format string, a ...any) error {
	return fmt.Errorf("%s: %s: %w", key, fmt.Sprintf(format, a...), errs.ErrInvalid)
}

// compile builds every tenant's tables from cfg; cals are the loaded
// holiday calendars by name.
func compile(cfg config.Config, cals map[string]*calendar.Calendar) (map[string]*tenantTable, map[string]*didRoute, []error) {
	var bad []error
	tables := map[string]*tenantTable{}
	dids := map[string]*didRoute{}
	tenantNames := map[string]bool{}
	for _, t := range cfg.Tenants {
		tenantNames[t.Name] = true
	}
	for i, t := range cfg.Tenants {
		k := fmt.Sprintf("tenants[%d]", i)
		tt := &tenantTable{name: t.Name, area: t.AreaCode, trunks: map[string]*Trunk{}, callerIDs: map[string]string{},
			classes: map[string][]Class{}, ownDIDs: map[string]bool{},
			caps:         tenantCaps{maxCalls: t.MaxCalls, perMinute: t.MaxCallsPerMinute},
			extPerMinute: t.ExtensionMaxCallsPerMinute, extPerDay: time.Duration(t.ExtensionMaxMinutesPerDay) * time.Minute}
		for j, tc := range t.Trunks {
			tr, err := newTrunk(t.Name, tc, cfg.RTP.Codecs, t.AreaCode)
			if err != nil {
				bad = append(bad, keyErr(fmt.Sprintf("%s.trunks[%d]", k, j), "%v", err))
				continue
			}
			tt.trunks[tc.Name] = tr
			tt.order = append(tt.order, tr)
		}
		for j, d := range t.DIDs {
			dk := fmt.Sprintf("%s.dids[%d]", k, j)
			num, ok := Normalize(d.Number, t.AreaCode)
			if !ok || num == Anonymous {
				bad = append(bad, keyErr(dk+".number", "%q is not a phone number", d.Number))
				continue
			}
			dr := &didRoute{tenant: t.Name, number: num}
			var err error
			if dr.target, err = parseTarget(t.Name, d.Target, tenantNames); err != nil {
				bad = append(bad, keyErr(dk+".target", "%v", err))
			}
			if d.Hours != "" {
				dr.timed = true
				if dr.hours, err = calendar.ParseHours(d.Hours); err != nil {
					bad = append(bad, keyErr(dk+".hours", "%v", err))
				}
				if d.AfterHours == "" {
					bad = append(bad, keyErr(dk+".after_hours", "required with hours"))
				}
			}
			if d.AfterHours != "" {
				if dr.afterHours, err = parseTarget(t.Name, d.AfterHours, tenantNames); err != nil {
					bad = append(bad, keyErr(dk+".after_hours", "%v", err))
				}
			}
			if d.Holiday != "" {
				if dr.holiday, err = parseTarget(t.Name, d.Holiday, tenantNames); err != nil {
					bad = append(bad, keyErr(dk+".holiday", "%v", err))
				}
			}
			if d.Calendar != "" {
				if dr.cal = cals[d.Calendar]; dr.cal == nil {
					bad = append(bad, keyErr(dk+".calendar", "no calendar %q in ivr.calendars", d.Calendar))
				}
			}
			if _, dup := dids[num]; dup {
				bad = append(bad, keyErr(dk+".number", "DID %s is configured twice", num))
			}
			dids[num] = dr
			tt.ownDIDs[num] = true
		}
		cid := func(key, raw string) string {
			if raw == "" {
				return ""
			}
			n, ok := Normalize(raw, t.AreaCode)
			if !ok || !tt.ownDIDs[n] {
				bad = append(bad, keyErr(key, "%q is not one of the tenant's DIDs: a tenant presents only numbers it owns", raw))
				return ""
			}
			return n
		}
		tt.callerID = cid(k+".caller_id", t.CallerID)
		if tt.callerID == "" && len(t.DIDs) > 0 {
			tt.callerID, _ = Normalize(t.DIDs[0].Number, t.AreaCode)
		}
		for r, num := range t.CallerIDs {
			exts, _ := config.Tenant{Extensions: []string{r}}.ExtensionList()
			n := cid(k+".caller_ids."+r, num)
			for _, e := range exts {
				tt.callerIDs[e] = n
			}
		}
		for r, list := range t.CallingClasses {
			exts, _ := config.Tenant{Extensions: []string{r}}.ExtensionList()
			var cls []Class
			for n, s := range list {
				c, err := ParseClass(s)
				if err != nil {
					bad = append(bad, keyErr(fmt.Sprintf("%s.calling_classes.%s[%d]", k, r, n), "%v", err))
					continue
				}
				cls = append(cls, c)
			}
			for _, e := range exts {
				tt.classes[e] = cls
			}
		}
		for j, rc := range t.Routes {
			rk := fmt.Sprintf("%s.outbound_routes[%d]", k, j)
			r := route{name: rc.Name, callerID: cid(rk+".caller_id", rc.CallerID)}
			if r.name == "" {
				r.name = fmt.Sprintf("route%d", j+1)
			}
			for n, ps := range rc.Patterns {
				p, err := ParsePattern(ps)
				if err != nil {
					bad = append(bad, keyErr(fmt.Sprintf("%s.patterns[%d]", rk, n), "%v", err))
					continue
				}
				r.patterns = append(r.patterns, p)
			}
			for _, name := range rc.Trunks {
				if tr := tt.trunks[name]; tr != nil {
					r.trunks = append(r.trunks, tr)
				}
			}
			tt.routes = append(tt.routes, r)
		}
		tt.index = indexRoutes(tt.routes)
		if t.EmergencyTrunk != "" {
			tt.emergency = tt.trunks[t.EmergencyTrunk]
		} else if len(tt.order) > 0 {
			tt.emergency = tt.order[0]
		}
		tables[t.Name] = tt
	}
	return tables, dids, bad
}

// parseTarget reads NUMBER or TENANT/NUMBER.
func parseTarget(tenant, s string, tenants map[string]bool) (target, error) {
	if other, num, ok := strings.Cut(s, "/"); ok {
		if !tenants[other] {
			return target{}, fmt.Errorf("no tenant %q", other)
		}
		tenant, s = other, num
	}
	if s == "" || strings.ContainsAny(s, " @;") {
		return target{}, fmt.Errorf("%q is not a number", s)
	}
	return target{tenant: tenant, number: s}, nil
}

// targetAt picks the DID's target at now: the holiday variant on a
// declared holiday, the after-hours one outside hours (a make-up workday
// keeps weekday hours), else the main target.
func (d *didRoute) targetAt(now time.Time) target {
	if !d.timed {
		return d.target
	}
	if !d.holiday.zero() {
		if _, hol := d.cal.IsHoliday(now); hol {
			return d.holiday
		}
	}
	if calendar.OpenAt(now, d.hours, d.cal) {
		return d.target
	}
	return d.afterHours
}

// routeIndex files every route's patterns under their literal start, so
// that a look-up tries only the patterns whose start num has: a dozen map
// look-ups instead of a scan of every route (10 000 routes: 0.2 ms → µs).
type routeIndex struct {
	byStart map[string][]patRef // in route order
	longest int
}

type patRef struct {
	route int
	pat   Pattern
}

func indexRoutes(routes []route) routeIndex {
	ix := routeIndex{byStart: map[string][]patRef{}}
	for i, r := range routes {
		for _, p := range r.patterns {
			lit := p.literal()
			ix.byStart[lit] = append(ix.byStart[lit], patRef{route: i, pat: p})
			ix.longest = max(ix.longest, len(lit))
		}
	}
	return ix
}

// match finds the first route (in configuration order) with a pattern
// that matches num.
func (tt *tenantTable) match(num string) *route {
	best := -1
	for k := 0; k <= min(len(num), tt.index.longest); k++ {
		for _, ref := range tt.index.byStart[num[:k]] {
			if best >= 0 && ref.route >= best {
				break // the list is in route order: nothing earlier follows
			}
			if ref.pat.Match(num) {
				best = ref.route
				break
			}
		}
	}
	if best < 0 {
		return nil
	}
	return &tt.routes[best]
}

// allowed says whether ext may call class c.
func (tt *tenantTable) allowed(ext string, c Class) bool {
	if c == ClassEmergency {
		return true
	}
	cls, ok := tt.classes[ext]
	if !ok {
		cls = DefaultClasses()
	}
	return slices.Contains(cls, c)
}

// callerIDFor is the number ext presents through route r.
func (tt *tenantTable) callerIDFor(ext string, r *route) string {
	if n := tt.callerIDs[ext]; n != "" {
		return n
	}
	if r != nil && r.callerID != "" {
		return r.callerID
	}
	return tt.callerID
}

// resolveProxy turns a trunk's proxy host:port into an address; a name is
// looked up once, at start.
func resolveProxy(hostport string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return ap, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %v", host, err)
	}
	a, _ := netip.AddrFromSlice(ips[0])
	return netip.ParseAddrPort(net.JoinHostPort(a.Unmap().String(), port))
}
