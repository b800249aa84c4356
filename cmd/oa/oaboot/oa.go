package oaboot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/campaign"
	"github.com/yimen/yimen/oa/ctilink"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/oa/oaapi"
	"github.com/yimen/yimen/oa/oaui"
	"github.com/yimen/yimen/oa/report"
)

// OA is an assembled OA process.
type OA struct {
	// calendars reads the holiday calendar files (nil without them); Run
	// watches them with the loader Build read them with.
	calendars func() (*calendar.Calendar, string, error)
	Config    config.OA
	DB        *store.DB
	Service   *oa.Service
	Knowledge *knowledge.Service
	Reports   *report.Service
	// CDRs is the PBX's CDR API the reports reconcile with (nil: off).
	CDRs report.CDRSource
	// Campaigns keep and dial the outbound campaigns (外呼管理).
	Campaigns *campaign.Service
	Security  *adminapi.Security
	HTTP      *httpx.Server
	Routes    []route.Route
	Log       *slog.Logger
	// Created are the accounts made on this start (shown once).
	Created []Credential
	// CredentialsFile is where Created was written.
	CredentialsFile string

	mu    sync.Mutex
	links map[string]*ctilink.Link
}

// Build opens the OA's database and services and binds its listener; Run serves.
func Build(ctx context.Context, cfg config.OA, env []string, logOut io.Writer) (*OA, error) {
	log := newLogger(cfg.Log, logOut).With("process", "oa")
	getenv := func(k string) string {
		for _, kv := range env {
			if n, v, ok := strings.Cut(kv, "="); ok && n == k {
				return v
			}
		}
		return ""
	}
	dbPath := cfg.Store.Path
	if dbPath == "" {
		dbPath = filepath.Join(cfg.DataDir, "oa.db")
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	o := &OA{Config: cfg, DB: db, Log: log, links: map[string]*ctilink.Link{}}
	fail := func(err error) (*OA, error) {
		db.Close()
		return nil, err
	}
	mk, err := masterKey(cfg, getenv)
	if err != nil {
		return fail(err)
	}
	km, err := keys.Open(ctx, db, mk, log.With("component", "keys"))
	if err != nil {
		return fail(err)
	}
	fields, err := fieldcrypt.New(ctx, km)
	if err != nil {
		return fail(err)
	}
	attachRing, err := km.Keyring(ctx, "oa.attachments")
	if err != nil {
		return fail(err)
	}
	if o.Security, err = buildSecurity(ctx, cfg, db, km, log.With("component", "security")); err != nil {
		return fail(err)
	}
	hours, err := calendar.ParseHours(cfg.Business.Hours)
	if err != nil {
		return fail(fmt.Errorf("business.hours: %w", err))
	}
	var cal *calendar.Calendar
	if cfg.Business.Calendars != "" {
		o.calendars = calendarLoader(cfg.Business.Calendars, cfg.Business.Calendar)
		if cal, _, err = o.calendars(); err != nil {
			return fail(err)
		}
	}
	if o.Reports, err = report.New(ctx, report.Deps{DB: db, Log: log.With("component", "report")}); err != nil {
		return fail(err)
	}
	o.Service, err = oa.New(ctx, oa.Config{LocalAreaCode: cfg.Business.LocalAreaCode, RepeatDays: cfg.Business.RepeatDays, Hours: hours,
		Calendar: cal, BaseURL: cfg.Business.BaseURL}, oa.Deps{DB: db, Fields: fields, Attachments: attachRing, Audit: o.Security.Audit,
		Events: o.Reports, Log: log.With("component", "oa")})
	if err != nil {
		return fail(err)
	}
	o.Campaigns, err = campaign.New(ctx, campaign.Config{LocalAreaCode: cfg.Business.LocalAreaCode, Calendar: o.Service.BusinessCalendar}, campaign.Deps{DB: db, Fields: fields,
		OA: o.Service, Dialer: linkDialer{o}, Audit: o.Security.Audit, Log: log.With("component", "campaign")})
	if err != nil {
		return fail(err)
	}
	// The segmenter's dictionary loads in the background on first use;
	// search works on bigrams until it is in.
	if o.Knowledge, err = knowledge.New(ctx, knowledge.Config{}, knowledge.Deps{DB: db, Segmenter: knowledge.NewGSE(), Attachments: attachRing,
		Log: log.With("component", "knowledge")}); err != nil {
		return fail(err)
	}
	o.Service.SetCardArticles(o.Knowledge)
	reportLoc, err := time.LoadLocation(cfg.Reports.Timezone)
	if err != nil {
		return fail(fmt.Errorf("reports.timezone: %w", err))
	}
	if base := cdrBaseURL(cfg); base != "" {
		o.CDRs = report.PBXCDRs{BaseURL: base, Token: func(tenant string) string {
			tok, _ := ctiToken(cfg.CTI.TokensFile, tenant)
			return tok
		}}
	}
	if o.Created, err = bootstrap(ctx, cfg, o.Security); err != nil {
		return fail(err)
	}
	if len(o.Created) > 0 {
		o.CredentialsFile = cfg.Admin.BootstrapFile
		if o.CredentialsFile == "" {
			o.CredentialsFile = filepath.Join(cfg.DataDir, "oa-admins.txt")
		}
		if err := writeCredentials(o.CredentialsFile, o.Created); err != nil {
			return fail(fmt.Errorf("admin.bootstrap_file: %w", err))
		}
	}
	if cfg.Demo.Enabled {
		for _, t := range cfg.Tenants {
			if err := seedDemo(ctx, o.Service, o.Security, t); err != nil {
				return fail(err)
			}
		}
	}
	admin := adminapi.New(adminapi.Deps{Security: o.Security, KnownTenant: func(t string) bool { return containsTenant(cfg.Tenants, t) }, Log: log})
	api := oaapi.New(oaapi.Deps{OA: o.Service, Admin: admin, Security: o.Security, PBXKey: &keyFile{path: cfg.SSO.PBXPublicKey}, SSORoles: cfg.SSO.Roles,
		Tenants: cfg.Tenants, PlatformRoutes: admin.Routes(), Links: o.LinkStats, Dialer: linkDialer{o}, Campaigns: o.Campaigns,
		Knowledge: o.Knowledge, Reports: o.Reports, BarOrigins: cfg.SSO.BarOrigins,
		ReportConfig: oaapi.ReportConfig{KPI: report.KPIConfig{SLSeconds: cfg.Reports.SLSeconds, AbandonMethod: cfg.Reports.AbandonMethod,
			ShortAbandonS: cfg.Reports.ShortAbandonS}, Location: reportLoc, RatePerSecond: cfg.Reports.RatePerSecond, Burst: cfg.Reports.Burst, CDRs: o.CDRs},
		Log: log.With("component", "api")})
	o.Routes = append(admin.Routes(), api.Routes()...)
	// The web UI's pages and assets: public, outside the API's document.
	o.Routes = append(o.Routes, oaui.New(log.With("component", "ui")).Routes()...)
	mux := http.NewServeMux()
	if err := route.Mount(mux, admin, o.Routes); err != nil {
		return fail(fmt.Errorf("http routes: %w", err))
	}
	if o.HTTP, err = httpx.Listen(httpx.ListenConfig{Addr: cfg.HTTP.Addr, TLSCert: cfg.HTTP.TLSCert, TLSKey: cfg.HTTP.TLSKey,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout, ReadTimeout: cfg.HTTP.ReadTimeout, IdleTimeout: cfg.HTTP.IdleTimeout}, mux, log); err != nil {
		return fail(err)
	}
	return o, nil
}

func containsTenant(list []string, t string) bool {
	for _, v := range list {
		if v == t {
			return true
		}
	}
	return false
}

// keyFile is the PBX's one-login public key, read when first needed (the
// demo PBX writes it on its first start, perhaps after the OA's).
type keyFile struct {
	path string
	mu   sync.Mutex
	key  *gm.PublicKey
}

func (k *keyFile) PublicKey() (*gm.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil || k.path == "" {
		return k.key, nil
	}
	b, err := os.ReadFile(k.path)
	if err != nil {
		return nil, fmt.Errorf("sso.pbx_public_key: %w", err)
	}
	k.key, err = gm.DecodePublicKeyPEM(b)
	return k.key, err
}

// masterKey reads the OA's master key, creating the file in the demo.
func masterKey(cfg config.OA, getenv func(string) string) (*keys.MasterKey, error) {
	path := cfg.Security.MasterKeyFile
	if path != "" && cfg.Security.GenerateMasterKey && getenv("YIMEN_MASTER_KEY") == "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := keys.WritePrivateFile(path, []byte(keys.GenerateMasterKey()+"\n")); err != nil {
				return nil, fmt.Errorf("security.master_key_file: %w", err)
			}
		}
	}
	return keys.LoadMasterKey(path, getenv)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// linkDialer places calls through the tenant's CTI link.
type linkDialer struct{ o *OA }

func (d linkDialer) Dial(ctx context.Context, tenant, agent, to, callerID string) (string, error) {
	l := d.o.Link(tenant)
	if l == nil {
		return "", ctilink.ErrDown
	}
	return l.DialAs(ctx, agent, to, callerID)
}

func (d linkDialer) ScreenPop(ctx context.Context, tenant string, p protocol.ScreenPop) error {
	l := d.o.Link(tenant)
	if l == nil {
		return ctilink.ErrDown
	}
	return l.ScreenPop(ctx, p)
}

// LinkStats reports each tenant's CTI link.
func (o *OA) LinkStats() map[string]ctilink.Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]ctilink.Stats{}
	for t, l := range o.links {
		out[t] = l.Stats()
	}
	return out
}

// Link is a tenant's CTI link once it has started (nil before).
func (o *OA) Link(tenant string) *ctilink.Link {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.links[tenant]
}

// Run serves HTTP, follows each tenant's CTI events and checks SLA clocks
// until ctx ends; then it stops them and closes the database.
func (o *OA) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if o.Config.CTI.URL != "" {
		for _, t := range o.Config.Tenants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o.runLink(ctx, t)
			}()
		}
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		o.Service.RunSLA(ctx, o.Config.Business.SLAInterval)
	}()
	go func() {
		defer wg.Done()
		o.Campaigns.Run(ctx)
	}()
	if b := o.Config.Business; o.calendars != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.Service.WatchCalendar(ctx, b.SLAInterval, o.calendars)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		o.Reports.RunReconcile(ctx, o.Config.Tenants, o.CDRs, o.Config.Reports.ReconcileInterval, o.Config.Reports.ReconcileSince)
	}()
	httpErr := make(chan error, 1)
	go func() { httpErr <- o.HTTP.Serve() }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
	}
	o.HTTP.Shutdown()
	cancel()
	wg.Wait()
	if err := o.Security.Audit.SignHead(context.Background()); err != nil {
		o.Log.Error("audit sign head", "err", err)
	}
	return errors.Join(err, o.DB.Close())
}

// runLink waits for the tenant's token in cti.tokens_file (the demo PBX
// writes it on its first start), then runs its link.
func (o *OA) runLink(ctx context.Context, tenant string) {
	warned := false
	for {
		tok, err := ctiToken(o.Config.CTI.TokensFile, tenant)
		if err == nil {
			l := ctilink.New(ctilink.Config{URL: o.Config.CTI.URL, Tenant: tenant, Token: tok, MaxBackoff: o.Config.CTI.MaxBackoff,
				PingEvery: o.Config.CTI.PingInterval}, o.Service, o.Log)
			l.Observe(o.Campaigns)
			o.mu.Lock()
			o.links[tenant] = l
			o.mu.Unlock()
			l.Run(ctx)
			return
		}
		if !warned {
			o.Log.Warn("no CTI token for the tenant yet; waiting", "tenant", tenant, "file", o.Config.CTI.TokensFile, "err", err)
			warned = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

// cdrBaseURL is where the PBX's CDR API is: reports.cdr_url, or the CTI
// websocket's host; "" when reconciling is off.
func cdrBaseURL(cfg config.OA) string {
	switch u := cfg.Reports.CDRURL; {
	case u == "off":
		return ""
	case u != "":
		return strings.TrimRight(u, "/")
	}
	u, err := url.Parse(cfg.CTI.URL)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	return scheme + "://" + u.Host
}

// ctiToken reads a tenant's token from "TENANT TOKEN" lines.
func ctiToken(path, tenant string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s has mode %04o: chmod 600", path, fi.Mode().Perm())
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == tenant {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no token for tenant %s in %s", tenant, path)
}

// PrintWelcome tells the operator where the OA is and how to log in.
func (o *OA) PrintWelcome(w io.Writer) {
	fmt.Fprintf(w, "\nyimen OA on %s://%s/  (web UI; API: /api/openapi.json; docs/oa.md)\n", o.HTTP.Scheme(), o.HTTP.Addr())
	if len(o.Created) > 0 {
		fmt.Fprintf(w, "  OA accounts created (also in %s; shown once):\n", o.CredentialsFile)
		for _, c := range o.Created {
			fmt.Fprintf(w, "    %-8s %-12s %-11s %s\n", c.Tenant, c.Name, c.Role, c.Password)
		}
		fmt.Fprintf(w, "  The three administrators log in with two factors (POST /api/v1/totp at first login).\n")
	}
	fmt.Fprintf(w, "  CTI: %s (token from %s)\n", o.Config.CTI.URL, o.Config.CTI.TokensFile)
}

// RunOA loads the config, builds the OA, prints how to reach it and runs it.
func RunOA(ctx context.Context, cfgPath string, env []string, out io.Writer) error {
	cfg, err := config.LoadOA(cfgPath, env)
	if err != nil {
		return err
	}
	o, err := Build(ctx, cfg, env, out)
	if err != nil {
		return err
	}
	o.PrintWelcome(out)
	return o.Run(ctx)
}
