package boot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdapi"
	"github.com/yimen/yimen/contactcenter"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/webrtc"
)

// buildContactCenter starts the ACD for every tenant and returns the ACD's
// admin routes (agents and queues, acd/acdapi). A tenant without queues in
// its configuration still gets an ACD, so its first agents and queues can be
// added through the admin API.
func buildContactCenter(ctx context.Context, cfg config.Config, srv *pbx.Server, db *store.DB, v *IVR, sec *adminapi.Security, log *slog.Logger) (*contactcenter.ContactCenter, []route.Route, error) {
	tenants := cfg.Tenants
	if len(tenants) == 0 {
		return nil, nil, nil
	}
	acdLog, err := acd.OpenSQLLog(ctx, db, log.With("component", "acd-log"))
	if err != nil {
		return nil, nil, err
	}
	cfgStore, err := acd.OpenConfigStore(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	srv.SetQueueRecords(queueRecords{Log: acdLog})
	tokens, err := loadCTITokens(cfg)
	if err != nil {
		return nil, nil, err
	}
	deps := contactcenter.Deps{
		Calls:  srv.CallManager(),
		Auth:   func(agents *acd.ACD) cti.Authenticator { return newCTIAuth(tokens, sec, agents) },
		Log:    acdLog,
		Logger: log,
	}
	if b := srv.Browsers(); b != nil {
		deps.Browsers = b
	}
	cc, err := contactcenter.New(contactcenter.Config{Prompts: cfg.Queues.Prompts, CTI: cti.Config{Recheck: cfg.CTI.Recheck}}, deps)
	if err != nil {
		return nil, nil, err
	}
	if b := srv.Browsers(); b != nil {
		var obs webrtc.Observer = cc.BrowserObserver()
		if sec != nil && sec.Audit != nil {
			obs = browserAudit{next: obs, log: sec.Audit, warn: log}
		}
		b.SetObserver(obs)
	}
	for _, o := range cc.CallObservers() {
		srv.AddCallObserver(o)
	}
	ccLog := log.With("component", "contact-center")
	autoLogin := map[string]bool{}
	for i, t := range tenants {
		tc, err := contactcenter.TenantConfig(t)
		if err != nil {
			return nil, nil, fmt.Errorf("tenants[%d]: %w", i, err)
		}
		if err := storedConfig(ctx, cfgStore, &tc, ccLog); err != nil {
			return nil, nil, err
		}
		if err := cc.AddTenant(ctx, tc, t.AutoLogin, t.LoginOnRegister); err != nil {
			return nil, nil, fmt.Errorf("tenants[%d] (%s): %w", i, t.Name, err)
		}
		autoLogin[t.Name] = t.AutoLogin
	}
	admin := acdapi.New(acdapi.Deps{ACD: cc.ACD, Store: cfgStore, HasExtension: srv.HasExtension, AutoLogin: autoLogin, Log: ccLog})
	srv.OnRegistrationChange(cc.RegistrationChanged)
	if v != nil {
		v.deps.Queue = cc.Queue
		v.events.publish = cc.Publish
		v.events.surveys = cc.ACD
	}
	ccLog.Info("contact centre ready", "tenants", len(tenants), "cti", "/cti")
	return cc, admin.Routes(), nil
}

// loadCTITokens reads "TOKEN ROLE TENANT [AGENT]" lines. In demo mode the
// file is created with a system token and one token per agent.
func loadCTITokens(cfg config.Config) (map[string]cti.Principal, error) {
	path := ctiTokensPath(cfg)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && cfg.Demo.Enabled {
		var b strings.Builder
		for _, t := range cfg.Tenants {
			fmt.Fprintf(&b, "%s system %s\n", randomToken(), t.Name)
			fmt.Fprintf(&b, "%s wallboard %s\n", randomToken(), t.Name)
			for _, a := range t.Agents {
				fmt.Fprintf(&b, "%s agent %s %s\n", randomToken(), t.Name, a.ID)
				if slices.Contains(t.Supervisors, a.Extension) {
					fmt.Fprintf(&b, "%s supervisor %s %s\n", randomToken(), t.Name, a.ID)
				}
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
	}
	out := map[string]cti.Principal{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cti.tokens_file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s:%d: want TOKEN ROLE TENANT [AGENT]", path, n)
		}
		p := cti.Principal{Tenant: fields[2], Roles: []string{fields[1]}}
		if len(fields) > 3 {
			p.Agent = fields[3]
		}
		out[fields[0]] = p
	}
	return out, sc.Err()
}

func ctiTokensPath(cfg config.Config) string {
	if cfg.CTI.TokensFile != "" {
		return cfg.CTI.TokensFile
	}
	return filepath.Join(cfg.DataDir, "cti-tokens.txt")
}
