package boot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/yimen/yimen/contactcenter"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/recorder"
)

// PBX is an assembled, not yet running PBX and what it was built from.
type PBX struct {
	Server      *pbx.Server
	Config      config.Config
	DB          *store.DB
	AdminToken  string
	Credentials []pbx.Credential // created on this start (demo only)
	Log         *slog.Logger
	IVR         *IVR                         // nil when no number routes to a flow
	Contact     *contactcenter.ContactCenter // nil without tenants
	Recorder    *recorder.Recorder
	Security    *Security     // admin users, roles, audit log
	HTTP        *httpx.Server // the admin API's listener, serving Routes
	Routes      []route.Route // every HTTP route of the process, with its access rule
}

// Logger builds the process logger from the config.
func Logger(cfg config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// BuildPBX opens everything the PBX needs and constructs it.
func BuildPBX(ctx context.Context, cfg config.Config, env []string, logOut io.Writer) (*PBX, error) {
	log := Logger(cfg.Log, logOut)
	getenv := envLookup(env)
	if cfg.Security.GenerateMasterKey {
		if err := ensureSecretFile(cfg.Security.MasterKeyFile, keys.GenerateMasterKey); err != nil {
			return nil, err
		}
	}
	master, err := keys.LoadMasterKey(cfg.Security.MasterKeyFile, getenv)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	dbPath := cfg.Store.Path
	if dbPath == "" {
		dbPath = filepath.Join(cfg.DataDir, "yimen.db")
	}
	db, err := store.OpenOwned(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*PBX, error) {
		db.Close()
		return nil, err
	}
	km, err := keys.Open(ctx, db, master, log.With("component", "keys"))
	if err != nil {
		return fail(err)
	}
	cipher, err := fieldcrypt.New(ctx, km)
	if err != nil {
		return fail(err)
	}
	ps, err := pbxstore.Open(ctx, db, cipher)
	if err != nil {
		return fail(err)
	}
	if getenv("YIMEN_ADMIN_TOKEN") == "" && cfg.HTTP.AdminTokenFile != "" && cfg.Demo.Enabled {
		if err := ensureSecretFile(cfg.HTTP.AdminTokenFile, randomToken); err != nil {
			return fail(err)
		}
	}
	token, err := breakGlassToken(cfg, getenv)
	if err != nil {
		return fail(err)
	}
	sec, err := buildSecurity(ctx, cfg, db, km, token, log)
	if err != nil {
		return fail(err)
	}
	srv, err := pbx.New(ctx, cfg, pbx.Deps{Store: ps, Log: log,
		BanAuditor: banAudit{log: sec.Platform.Audit, tenant: sec.Platform.PlatformTenant, warn: log}})
	if err != nil {
		return fail(err)
	}
	sec.register(srv.Registry())
	srv.EnableSupervision()
	p := &PBX{Server: srv, Config: cfg, DB: db, AdminToken: token, Log: log, Security: sec}
	ready := &recordingReady{}
	if cfg.Recording.WebhookURL != "" {
		if ready.webhook, err = newRecordingWebhook(cfg.Recording.WebhookURL, cfg.Recording.WebhookKeyFile, log.With("component", "recorder")); err != nil {
			return fail(err)
		}
	}
	if p.Recorder, err = buildRecorder(ctx, cfg, db, cipher, km, sec.Platform.Auditor(log), ready, p.agentOf, log); err != nil {
		return fail(err)
	}
	srv.AddCallObserver(p.Recorder)
	if p.IVR, err = buildIVR(ctx, cfg, srv, ps, log); err != nil {
		return fail(err)
	}
	var acdRoutes []route.Route
	if p.Contact, acdRoutes, err = buildContactCenter(ctx, cfg, srv, db, p.IVR, sec.Platform, log); err != nil {
		return fail(err)
	}
	if p.Contact != nil {
		ready.hub = p.Contact.Hub
		p.wireTrunks(p.Contact.Publish)
	} else {
		p.wireTrunks(nil)
	}
	if p.Contact != nil { // the agent bar and the wallboard, with the CTI they need
		ui, err := buildAgentBar(ctx, cfg, db, log)
		if err != nil {
			return fail(err)
		}
		acdRoutes = append(acdRoutes, ui...)
	}
	if cfg.Demo.Enabled {
		if p.Credentials, err = srv.ProvisionDemo(ctx, cfg.Demo.CredentialsFile); err != nil {
			return fail(err)
		}
		if err := provisionOALink(ctx, cfg, sec.Platform); err != nil {
			return fail(err)
		}
	}
	if err := p.serveHTTP(token, acdRoutes); err != nil {
		return fail(err)
	}
	return p, nil
}

// RunPBX loads the config, builds the PBX, prints how to reach it and runs it until ctx ends.
func RunPBX(ctx context.Context, cfgPath string, env []string, out io.Writer) error {
	cfg, err := config.Load(cfgPath, env)
	if err != nil {
		return err
	}
	p, err := BuildPBX(ctx, cfg, env, os.Stderr)
	if err != nil {
		return err
	}
	defer p.DB.Close()
	printWelcome(out, p)
	if p.IVR != nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-hup:
					_ = p.IVR.Reload()
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go p.Recorder.Run(ctx)
	go p.Security.Run(ctx)
	defer p.Security.Close() // after the drain, before the database closes
	defer p.Recorder.Close() // after the drain: finishes files before the database closes
	return p.Run(ctx)
}

// agentOf names the agent on ext of tenant for the recorder; the contact
// centre is built after the recorder, but before any call is recorded.
func (p *PBX) agentOf(tenant, ext string) (string, bool) {
	if p.Contact == nil || p.Contact.ACD == nil {
		return "", false
	}
	return p.Contact.ACD.AgentByEndpoint(tenant, ext)
}

// buildRecorder constructs call recording from the recording section.
func buildRecorder(ctx context.Context, cfg config.Config, db *store.DB, cipher *fieldcrypt.Cipher, km *keys.Manager, auditLog recorder.AuditSink, ready recorder.ReadySink, agentOf func(tenant, ext string) (string, bool), log *slog.Logger) (*recorder.Recorder, error) {
	rc := cfg.Recording
	if rc.Dir == "" {
		rc.Dir = filepath.Join(cfg.DataDir, "recordings")
	}
	ring, err := km.Keyring(ctx, "recordings")
	if err != nil {
		return nil, err
	}
	return recorder.New(ctx, rc, recorder.Deps{DB: db, Sealer: cipher, Keys: ring, Audit: auditLog, Ready: ready, AgentOf: agentOf, Log: log.With("component", "recorder")})
}

// recordingReady announces finished recordings on the CTI hub (when one
// runs) as recording.ready and to the QA webhook (when configured).
type recordingReady struct {
	hub     *cti.Hub
	webhook *recordingWebhook
}

func (r *recordingReady) RecordingReady(rec recorder.Recording) {
	if r.webhook != nil {
		r.webhook.send(rec)
	}
	if r.hub == nil {
		return
	}
	_, _ = r.hub.Publish(rec.Tenant, cti.Event{Type: protocol.EventRecordingReady, Data: protocol.RecordingReady{
		ID: rec.ID, Call: rec.ID, Agent: rec.Agent, Queue: rec.Queue, Caller: rec.CallerMasked,
		DurationS: rec.Duration.Seconds(), Size: rec.Size, SM3: rec.SM3, State: rec.State,
		URL: "/api/v1/recordings/" + rec.ID + "/audio"}})
}

func printWelcome(w io.Writer, p *PBX) {
	fmt.Fprintf(w, "\nyimen PBX\n  SIP:     %s (UDP and TCP), domain: any; realm %q\n", p.Server.SIPAddr(), p.Config.SIP.Realm)
	fmt.Fprintf(w, "  Health:  http://%s/healthz\n  Metrics: http://%s/metrics\n", p.HTTPAddr(), p.HTTPAddr())
	if p.Config.HTTP.AdminTokenFile != "" && p.AdminToken != "" {
		fmt.Fprintf(w, "  Break-glass admin token (sysadmin only): in %s (send as 'Authorization: Bearer <token>')\n", p.Config.HTTP.AdminTokenFile)
	}
	printSecurityWelcome(w, p)
	if p.Contact != nil {
		fmt.Fprintf(w, "  CTI:     ws://%s/cti (tokens in %s)\n", p.HTTPAddr(), ctiTokensPath(p.Config))
		base := p.HTTP.Scheme() + "://" + p.HTTPAddr()
		fmt.Fprintf(w, "  Agent bar: %s/agent/   Wallboard: %s/wallboard/ (docs/agentbar.md)\n", base, base)
	}
	if p.IVR != nil {
		for _, t := range p.Config.Tenants {
			for num, flow := range t.IVR {
				fmt.Fprintf(w, "  IVR:     dial %s for flow %q\n", num, flow)
			}
		}
	}
	if len(p.Credentials) > 0 {
		fmt.Fprintf(w, "\n  New SIP accounts (also written to %s; shown once):\n", p.Config.Demo.CredentialsFile)
		for _, c := range p.Credentials {
			fmt.Fprintf(w, "    %-6s %s\n", c.Ext, c.Secret)
		}
	} else if p.Config.Demo.Enabled {
		fmt.Fprintf(w, "\n  SIP accounts: see %s (created on first run)\n", p.Config.Demo.CredentialsFile)
	}
	fmt.Fprintf(w, "\n  Register a softphone as <ext>@%s with its password, then dial another extension.\n\n", p.Server.SIPAddr())
}

func envLookup(env []string) func(string) string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// breakGlassToken is the configured break-glass token (YIMEN_ADMIN_TOKEN,
// else http.admin_token_file; none is no break-glass), refused when it is
// weak or its file is not private.
func breakGlassToken(cfg config.Config, getenv func(string) string) (string, error) {
	token := getenv("YIMEN_ADMIN_TOKEN")
	if token == "" && cfg.HTTP.AdminTokenFile != "" {
		b, err := os.ReadFile(cfg.HTTP.AdminTokenFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("http.admin_token_file: %w", err)
		}
		if err == nil {
			if err := keys.CheckPrivateFile(cfg.HTTP.AdminTokenFile); err != nil {
				return "", fmt.Errorf("http.admin_token_file: %w", err)
			}
		}
		token = strings.TrimSpace(string(b))
	}
	if err := strongToken(token); err != nil {
		return "", fmt.Errorf("break-glass token (YIMEN_ADMIN_TOKEN or http.admin_token_file): %w", err)
	}
	return token, nil
}

// minTokenChars is the shortest break-glass token accepted: 32 characters,
// 128 bits when they are hex as randomToken's are.
const minTokenChars = 32

// strongToken refuses a break-glass token that is short or made of one
// repeated character; no token at all is fine (no break-glass).
func strongToken(tok string) error {
	if tok == "" {
		return nil
	}
	if len(tok) < minTokenChars {
		return fmt.Errorf("%d characters, want at least %d (e.g. 32 random bytes in hex: openssl rand -hex 32)", len(tok), minTokenChars)
	}
	if strings.Count(tok, tok[:1]) == len(tok) {
		return errors.New("one character repeated")
	}
	return nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ensureSecretFile creates path with a fresh secret (mode 0600) if it does not exist.
func ensureSecretFile(path string, gen func() string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(gen() + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
