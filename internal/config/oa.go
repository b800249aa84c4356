package config

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// OA is the whole configuration of a yimen OA process (cmd/oa): its own
// database, HTTP listener, master key and administrators, the CTI link to
// the PBX and the one-login key it trusts. Environment overrides are
// YIMEN_OA_<SECTION>_<KEY>.
type OA struct {
	DataDir  string     `yaml:"data_dir"`
	Log      Log        `yaml:"log"`
	Store    Store      `yaml:"store"`
	HTTP     HTTP       `yaml:"http"`
	Security Security   `yaml:"security"`
	Admin    Admin      `yaml:"admin"`
	Demo     Demo       `yaml:"demo"`
	Tenants  []string   `yaml:"tenants"`
	CTI      OACTI      `yaml:"cti"`
	SSO      OASSO      `yaml:"sso"`
	Business OABusiness `yaml:"business"`
	Reports  OAReports  `yaml:"reports"`
}

// OAReports tunes the statistics (docs/oa.md, Reports).
type OAReports struct {
	// CDRURL is the PBX's HTTP API the reconcile job reads CDRs from with
	// the tenant's cti.tokens_file token; empty: derived from cti.url
	// (ws://host:port/cti → http://host:port); "off": no reconcile.
	CDRURL string `yaml:"cdr_url"`
	// ReconcileInterval: how often calls are compared with the CDRs (5 m).
	ReconcileInterval time.Duration `yaml:"reconcile_interval"`
	// ReconcileSince: how far back the first pass after a start looks (24 h).
	ReconcileSince time.Duration `yaml:"reconcile_since"`
	// SLSeconds, AbandonMethod and ShortAbandonS define the service level
	// reports show unless a request names its own (20, short_excluded, 5).
	SLSeconds     int    `yaml:"sl_seconds"`
	AbandonMethod string `yaml:"abandon_method"`
	ShortAbandonS int    `yaml:"short_abandon_s"`
	// Timezone is where report days and hours begin (Asia/Shanghai).
	Timezone string `yaml:"timezone"`
	// RatePerSecond and Burst bound each caller's report requests (2, 20).
	RatePerSecond float64 `yaml:"rate_per_second"`
	Burst         int     `yaml:"burst"`
}

// OACTI is the OA's link to the PBX's CTI websocket.
type OACTI struct {
	URL string `yaml:"url"` // ws://127.0.0.1:8080/cti
	// TokensFile holds "TENANT TOKEN" lines (mode 0600): an API token of
	// the cti_system role per tenant. The PBX's demo writes one.
	TokensFile string `yaml:"tokens_file"`
	// MaxBackoff is the longest pause between reconnects (30 s).
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// PingInterval: a quiet link is pinged this often and dropped when the
	// hub does not answer within it (15 s).
	PingInterval time.Duration `yaml:"ping_interval"`
}

// OASSO is the one login with the PBX.
type OASSO struct {
	// PBXPublicKey is the PBX's SSO public key (PEM): tokens it signs open
	// OA sessions. Empty: one login is off.
	PBXPublicKey string `yaml:"pbx_public_key"`
	// Roles the OA honours from a token; others are dropped (default
	// agent, supervisor, qa, oa_handler).
	Roles []string `yaml:"roles"`
	// BarOrigins are the PBX origins ("https://pbx.example.org:8443")
	// whose agent bar may fetch knowledge suggestions (CORS on
	// /api/v1/knowledge/bar/); empty: none.
	BarOrigins []string `yaml:"bar_origins"`
}

// OABusiness tunes the business rules.
type OABusiness struct {
	Hours         string        `yaml:"hours"`           // SLA business hours, "mon-fri 09:00-17:30"
	Calendars     string        `yaml:"calendars"`       // directory of holiday calendars
	Calendar      string        `yaml:"calendar"`        // the calendar's name in it ("cn")
	LocalAreaCode string        `yaml:"local_area_code"` // completes landlines without one ("010")
	RepeatDays    int           `yaml:"repeat_days"`     // repeat-caller window (7)
	BaseURL       string        `yaml:"base_url"`        // the OA's address as agents reach it, for screen-pop links
	SLAInterval   time.Duration `yaml:"sla_interval"`    // how often SLA clocks are checked (30 s)
}

// OADefaults returns an OA config with every default filled in.
func OADefaults() OA {
	return OA{
		DataDir: "data",
		Log:     Log{Level: "info", Format: "json"},
		HTTP:    HTTP{Addr: "127.0.0.1:8090", ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute},
		CTI:     OACTI{URL: "ws://127.0.0.1:8080/cti", MaxBackoff: 30 * time.Second, PingInterval: 15 * time.Second},
		SSO:     OASSO{Roles: []string{"agent", "supervisor", "qa", "oa_handler"}},
		Business: OABusiness{Hours: "mon-fri 09:00-17:30", Calendars: "configs/calendars", Calendar: "cn", RepeatDays: 7,
			SLAInterval: 30 * time.Second},
		Reports: OAReports{ReconcileInterval: 5 * time.Minute, ReconcileSince: 24 * time.Hour, SLSeconds: 20, AbandonMethod: "short_excluded",
			ShortAbandonS: 5, Timezone: "Asia/Shanghai", RatePerSecond: 2, Burst: 20},
	}
}

// LoadOA reads an OA config file (YAML) with YIMEN_OA_* overrides from env.
func LoadOA(path string, env []string) (OA, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return OA{}, fmt.Errorf("config: %w", err)
	}
	return ParseOA(path, data, env)
}

// ParseOA is LoadOA on bytes already read.
func ParseOA(name string, data []byte, env []string) (OA, error) {
	cfg := OADefaults()
	if err := parseInto(name, data, env, "YIMEN_OA", &cfg, cfg.Validate); err != nil {
		return OA{}, err
	}
	return cfg, nil
}

// PlatformTenantName is the tenant holding the OA's administrators.
func (c OA) PlatformTenantName() string {
	if c.Admin.PlatformTenant != "" {
		return c.Admin.PlatformTenant
	}
	if len(c.Tenants) > 0 {
		return c.Tenants[0]
	}
	return ""
}

// Validate checks every key of the OA config.
func (c *OA) Validate() error {
	var out []error
	bad := func(key, format string, a ...any) {
		out = append(out, &FieldError{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text, not %q", c.Log.Format)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if _, _, err := splitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%v", err)
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http.tls_cert", "tls_cert and tls_key go together")
	}
	if len(c.Tenants) == 0 {
		bad("tenants", "name at least one tenant")
	}
	seen := map[string]bool{}
	for i, t := range c.Tenants {
		if t == "" || seen[t] {
			bad(fmt.Sprintf("tenants[%d]", i), "empty or repeated tenant %q", t)
		}
		seen[t] = true
	}
	if c.Admin.PlatformTenant != "" && !seen[c.Admin.PlatformTenant] {
		bad("admin.platform_tenant", "no tenant %q", c.Admin.PlatformTenant)
	}
	if c.CTI.URL != "" && c.CTI.TokensFile == "" {
		bad("cti.tokens_file", "required with cti.url: the cti_system API tokens, one per tenant")
	}
	if c.CTI.MaxBackoff < 0 || c.CTI.PingInterval < 0 || c.Business.SLAInterval < 0 {
		bad("cti.max_backoff", "durations must not be negative")
	}
	if c.Business.RepeatDays < 0 || c.Business.RepeatDays > 365 {
		bad("business.repeat_days", "0 to 365")
	}
	if c.Business.LocalAreaCode != "" && (c.Business.LocalAreaCode[0] != '0' || !isDigits(c.Business.LocalAreaCode) || len(c.Business.LocalAreaCode) > 4) {
		bad("business.local_area_code", "an area code with its leading 0, such as 010")
	}
	if c.Admin.SecondFactor != "" && c.Admin.SecondFactor != SecondFactorAdministrators && c.Admin.SecondFactor != SecondFactorEveryone {
		bad("admin.second_factor", "must be %q (default) or %q", SecondFactorAdministrators, SecondFactorEveryone)
	}
	if c.Admin.PasswordIterations != 0 && c.Admin.PasswordIterations < 1000 {
		bad("admin.password_iterations", "must be 0 (default) or at least 1000")
	}
	if c.Reports.ReconcileInterval < 0 || c.Reports.ReconcileSince < 0 {
		bad("reports.reconcile_interval", "durations must not be negative")
	}
	switch c.Reports.AbandonMethod {
	case "failures", "ignored", "short_excluded":
	default:
		bad("reports.abandon_method", "failures, ignored or short_excluded, not %q", c.Reports.AbandonMethod)
	}
	for key, v := range map[string]int{"reports.sl_seconds": c.Reports.SLSeconds, "reports.short_abandon_s": c.Reports.ShortAbandonS} {
		switch v {
		case 5, 10, 15, 20, 30, 60:
		default:
			bad(key, "one of 5, 10, 15, 20, 30, 60 (the waits the interval tables count by), not %d", v)
		}
	}
	if _, err := time.LoadLocation(c.Reports.Timezone); err != nil {
		bad("reports.timezone", "%v", err)
	}
	if c.Reports.RatePerSecond < 0 || c.Reports.Burst < 0 {
		bad("reports.rate_per_second", "must not be negative")
	}
	for i, o := range c.SSO.BarOrigins {
		if !isOrigin(o) {
			bad(fmt.Sprintf("sso.bar_origins[%d]", i), "must be an origin like https://pbx.example.org:8443, not %q", o)
		}
	}
	return errors.Join(out...)
}
