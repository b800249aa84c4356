package config

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Carrier-facing configuration of a tenant (docs/trunks.md). Dial
// patterns, number formats and calling classes are checked by package
// pbx/trunk when the PBX builds its routing tables, with errors naming
// the same keys.

// Trunk is one SIP trunk of a tenant to a carrier.
type Trunk struct {
	Name string `yaml:"name"`
	// Auth is "register" (the PBX registers to the carrier with Username
	// and Password) or "ip" (the carrier's Addresses are trusted, nothing
	// is registered).
	Auth string `yaml:"auth"`
	// Proxy is the carrier's SIP address, host:port: where INVITEs,
	// REGISTERs and OPTIONS go.
	Proxy     string `yaml:"proxy"`
	Transport string `yaml:"transport"` // udp (default) or tcp
	// Addresses (CIDRs or addresses) the carrier sends from. For an
	// ip trunk they are its only authentication; the proxy's address is
	// always included.
	Addresses []string `yaml:"addresses"`
	Username  string   `yaml:"username"`
	Password  string   `yaml:"password"`
	// PasswordFile holds the password instead (mode 0600), so that the
	// configuration itself carries no secret.
	PasswordFile string `yaml:"password_file"`
	// Domain is the registrar domain (the REGISTER's Request-URI and To);
	// default the proxy's host.
	Domain  string `yaml:"domain"`
	Expires int    `yaml:"expires"` // asked registration lifetime in seconds (default 300)
	// AreaCode (0 + 2 or 3 digits, e.g. 010) completes callers' bare
	// subscriber numbers and, with number_format local, strips them.
	AreaCode string   `yaml:"area_code"`
	Codecs   []string `yaml:"codecs"` // offered to the carrier, in order (default rtp.codecs)
	// MaxCalls and MaxCallsPerSecond cap the calls the trunk carries at
	// once and starts each second, both directions (0: no cap).
	MaxCalls          int     `yaml:"max_calls"`
	MaxCallsPerSecond float64 `yaml:"max_calls_per_second"`
	// NumberFormat writes the dialled number in the Request-URI,
	// CallerIDFormat the caller ID: national (default), e164, 86 or local.
	NumberFormat   string `yaml:"number_format"`
	CallerIDFormat string `yaml:"caller_id_format"`
	// DialPrefix goes in front of every dialled number (a carrier
	// selection code).
	DialPrefix string `yaml:"dial_prefix"`
	// PAI sends the caller ID in P-Asserted-Identity too; Privacy, when
	// set (id, none), goes as the Privacy header; Diversion names the
	// DID a forwarded inbound call came in on.
	PAI       bool   `yaml:"pai"`
	Privacy   string `yaml:"privacy"`
	Diversion bool   `yaml:"diversion"`
	// AddHeaders are sent on every INVITE to the carrier; StripHeaders
	// are left out of what the PBX would otherwise send (User-Agent,
	// P-Asserted-Identity, Privacy, Diversion).
	AddHeaders   map[string]string `yaml:"add_headers"`
	StripHeaders []string          `yaml:"strip_headers"`
	// EarlyMedia relays the carrier's 183 with SDP (ring-back tones,
	// announcements) to the caller; off, the caller gets a plain 180.
	EarlyMedia *bool `yaml:"early_media"`
	// OptionsInterval is the keep-alive period (default 30s); DownAfter
	// unanswered OPTIONS in a row mark the trunk down (default 2).
	OptionsInterval time.Duration `yaml:"options_interval"`
	DownAfter       int           `yaml:"down_after"`
	// SessionExpires asks the carrier for RFC 4028 session timers on
	// calls out (0: none, else at least 90s); the PBX refreshes them.
	SessionExpires time.Duration `yaml:"session_expires"`
}

// EarlyMediaOn says whether the carrier's early media reaches the caller (default yes).
func (t Trunk) EarlyMediaOn() bool { return t.EarlyMedia == nil || *t.EarlyMedia }

// AddressPrefixes parses Addresses (already validated).
func (t Trunk) AddressPrefixes() []netip.Prefix { return parsePrefixes(t.Addresses) }

// DID is one public number of a tenant and where its calls go.
type DID struct {
	Number string `yaml:"number"` // as the carrier sends it; normalised before matching
	// Target is where calls go: a number of the tenant (an extension, an
	// IVR number fronting a queue or voicemail), or TENANT/NUMBER for
	// another tenant's number.
	Target string `yaml:"target"`
	// Hours (e.g. "mon-fri 09:00-18:00") with Calendar (ivr.calendars:
	// holidays and make-up workdays) choose between Target and AfterHours;
	// Holiday, when set, takes a declared holiday before AfterHours.
	Hours      string `yaml:"hours"`
	Calendar   string `yaml:"calendar"`
	AfterHours string `yaml:"after_hours"`
	Holiday    string `yaml:"holiday"`
}

// OutboundRoute sends numbers matching Patterns out through Trunks, in order.
type OutboundRoute struct {
	Name     string   `yaml:"name"`
	Patterns []string `yaml:"patterns"` // prefix, or _dial pattern (docs/trunks.md)
	Trunks   []string `yaml:"trunks"`
	CallerID string   `yaml:"caller_id"` // a DID of the tenant; default the tenant's caller_id
}

// TenantTrunks is the carrier side of a tenant.
type TenantTrunks struct {
	Trunks []Trunk         `yaml:"trunks"`
	DIDs   []DID           `yaml:"dids"`
	Routes []OutboundRoute `yaml:"outbound_routes"`
	// AreaCode is the tenant's own area code (local calls, bare numbers dialled).
	AreaCode string `yaml:"area_code"`
	// CallerID is the default number presented (one of DIDs); CallerIDs
	// gives extensions (ranges as in extensions) their own.
	CallerID  string            `yaml:"caller_id"`
	CallerIDs map[string]string `yaml:"caller_ids"`
	// CallingClasses maps extensions (ranges) to the classes they may
	// call; others get local, national and mobile. Emergency numbers
	// always route.
	CallingClasses map[string][]string `yaml:"calling_classes"`
	// MaxCalls and MaxCallsPerMinute cap the tenant's calls through all
	// its trunks (0: no cap).
	MaxCalls          int `yaml:"max_calls"`
	MaxCallsPerMinute int `yaml:"max_calls_per_minute"`
	// ExtensionMaxCallsPerMinute and ExtensionMaxMinutesPerDay cap each
	// extension's calls out through trunks (0: no cap); the minutes are
	// talk time of calls that ended, by the day in Beijing time.
	ExtensionMaxCallsPerMinute int `yaml:"extension_max_calls_per_minute"`
	ExtensionMaxMinutesPerDay  int `yaml:"extension_max_minutes_per_day"`
	// EmergencyTrunk carries 110/119/120/122 (default the first trunk).
	EmergencyTrunk string `yaml:"emergency_trunk"`
}

// validateTrunks checks the structure of every tenant's carrier side.
func (c *Config) validateTrunks(bad func(key, format string, a ...any)) {
	if c.SIP.TrunkUDP != "" {
		if _, _, err := splitHostPort(c.SIP.TrunkUDP); err != nil {
			bad("sip.trunk_udp", "%v", err)
		}
	}
	dids := map[string]string{}
	for i, t := range c.Tenants {
		k := fmt.Sprintf("tenants[%d]", i)
		names := map[string]bool{}
		if t.AreaCode != "" && !isAreaCode(t.AreaCode) {
			bad(k+".area_code", "want 0 and 2 or 3 digits (010, 0755), not %q", t.AreaCode)
		}
		for j, tr := range t.Trunks {
			tk := fmt.Sprintf("%s.trunks[%d]", k, j)
			if tr.Name == "" || strings.ContainsAny(tr.Name, " /\\") || names[tr.Name] {
				bad(tk+".name", "must be a unique name without spaces or slashes")
			}
			names[tr.Name] = true
			if _, _, err := splitHostPort(tr.Proxy); err != nil {
				bad(tk+".proxy", "want host:port of the carrier: %v", err)
			}
			switch tr.Auth {
			case "register":
				if tr.Username == "" || (tr.Password == "") == (tr.PasswordFile == "") {
					bad(tk+".username", "a register trunk needs username and one of password, password_file")
				}
			case "ip":
			default:
				bad(tk+".auth", "want register or ip, not %q", tr.Auth)
			}
			switch tr.Transport {
			case "", "udp", "tcp":
			default:
				bad(tk+".transport", "want udp or tcp, not %q", tr.Transport)
			}
			for n, a := range tr.Addresses {
				if _, err := parsePrefix(a); err != nil {
					bad(fmt.Sprintf("%s.addresses[%d]", tk, n), "not a CIDR or address: %q", a)
				}
			}
			if tr.Expires != 0 && (tr.Expires < 60 || tr.Expires > 86400) {
				bad(tk+".expires", "want 60 to 86400 seconds, not %d", tr.Expires)
			}
			if tr.AreaCode != "" && !isAreaCode(tr.AreaCode) {
				bad(tk+".area_code", "want 0 and 2 or 3 digits, not %q", tr.AreaCode)
			}
			for n, cd := range tr.Codecs {
				if !slices.Contains(c.RTP.Codecs, cd) {
					bad(fmt.Sprintf("%s.codecs[%d]", tk, n), "%q is not one of rtp.codecs", cd)
				}
			}
			if tr.MaxCalls < 0 || tr.MaxCallsPerSecond < 0 {
				bad(tk+".max_calls", "caps must not be negative")
			}
			switch tr.Privacy {
			case "", "id", "none", "user", "header":
			default:
				bad(tk+".privacy", "want id, none, user or header, not %q", tr.Privacy)
			}
			for h := range tr.AddHeaders {
				if !isToken(h) || strings.ContainsAny(tr.AddHeaders[h], "\r\n") {
					bad(tk+".add_headers."+h, "header names are tokens and values one line")
				}
			}
			if tr.SessionExpires != 0 && tr.SessionExpires < 90*time.Second {
				bad(tk+".session_expires", "0 (off) or at least 90s (RFC 4028's Min-SE), not %v", tr.SessionExpires)
			}
			if tr.OptionsInterval < 0 || tr.DownAfter < 0 {
				bad(tk+".options_interval", "must not be negative")
			}
		}
		for j, d := range t.DIDs {
			dk := fmt.Sprintf("%s.dids[%d]", k, j)
			if d.Number == "" || d.Target == "" {
				bad(dk, "number and target are required")
			}
			if other, dup := dids[d.Number]; dup {
				bad(dk+".number", "DID %s already belongs to tenant %s", d.Number, other)
			}
			dids[d.Number] = t.Name
			if (d.AfterHours != "" || d.Holiday != "") && d.Hours == "" {
				bad(dk+".hours", "after_hours and holiday need hours")
			}
			if d.Calendar != "" && c.IVR.Calendars == "" {
				bad(dk+".calendar", "needs ivr.calendars")
			}
		}
		for j, r := range t.Routes {
			rk := fmt.Sprintf("%s.outbound_routes[%d]", k, j)
			if len(r.Patterns) == 0 || len(r.Trunks) == 0 {
				bad(rk, "patterns and trunks are required")
			}
			for n, tr := range r.Trunks {
				if !names[tr] {
					bad(fmt.Sprintf("%s.trunks[%d]", rk, n), "no trunk %q in the tenant", tr)
				}
			}
		}
		if t.EmergencyTrunk != "" && !names[t.EmergencyTrunk] {
			bad(k+".emergency_trunk", "no trunk %q in the tenant", t.EmergencyTrunk)
		}
		if t.MaxCalls < 0 || t.MaxCallsPerMinute < 0 || t.ExtensionMaxCallsPerMinute < 0 || t.ExtensionMaxMinutesPerDay < 0 {
			bad(k+".max_calls", "caps must not be negative")
		}
		for r := range t.CallingClasses {
			if _, err := expandExtensions([]string{r}); err != nil {
				bad(k+".calling_classes."+r, "%v", err)
			}
		}
		for r := range t.CallerIDs {
			if _, err := expandExtensions([]string{r}); err != nil {
				bad(k+".caller_ids."+r, "%v", err)
			}
		}
	}
}

func isAreaCode(s string) bool {
	return (len(s) == 3 || len(s) == 4) && s[0] == '0' && s[1] != '0' && isDigits(s)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return false
		}
	}
	return true
}

// TrunkHost is the host of a trunk's proxy address.
func (t Trunk) ProxyHost() string {
	h, _, err := net.SplitHostPort(t.Proxy)
	if err != nil {
		return t.Proxy
	}
	return h
}
