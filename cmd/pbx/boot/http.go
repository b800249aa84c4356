package boot

import (
	"context"
	"fmt"
	"net/http"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/pbxapi"
)

// serveHTTP assembles the process's one route table — the platform's admin
// API, the PBX's, the recorder's, the ACD's (acdRoutes) and the CTI
// websocket — mounts it behind the admin API's guard and binds the listener
// (Run serves it).
func (p *PBX) serveHTTP(breakGlass string, acdRoutes []route.Route) error {
	admin := adminapi.New(adminapi.Deps{Security: p.Security.Platform, BreakGlassToken: breakGlass,
		KnownTenant: p.Server.KnownTenant, Log: p.Log})
	var flows pbxapi.FlowReloader
	if p.IVR != nil {
		flows = flowReloader{p.IVR}
	}
	p.Routes = admin.Routes()
	sso, err := keys.LoadOrCreateSigningKey(ssoKeyPath(p.Config))
	if err != nil {
		return fmt.Errorf("admin.sso_signing_key: %w", err)
	}
	p.Routes = append(p.Routes, admin.SSORoute("yimen-pbx", sso))
	p.Routes = append(p.Routes, pbxapi.New(pbxapi.Deps{PBX: p.Server, CDRs: p.Server.Store(), Metrics: p.Server.Registry(),
		Tenancy: admin, Flows: flows, Log: p.Log}).Routes()...)
	p.Routes = append(p.Routes, p.Recorder.Routes(callTenant(p.Server), admin)...)
	if p.Contact != nil {
		p.Routes = append(p.Routes, acdRoutes...)
		// The CTI websocket authenticates its clients itself (token or session).
		p.Routes = append(p.Routes, route.Route{Method: "GET", Pattern: "/cti", Public: true, Handler: p.Contact.Hub})
	}
	mux := http.NewServeMux()
	if err := route.Mount(mux, admin, p.Routes); err != nil {
		return fmt.Errorf("http routes: %w", err)
	}
	p.HTTP, err = httpx.Listen(httpx.ListenConfig{Addr: p.Config.HTTP.Addr, TLSCert: p.Config.HTTP.TLSCert, TLSKey: p.Config.HTTP.TLSKey,
		ReadHeaderTimeout: p.Config.HTTP.ReadHeaderTimeout, ReadTimeout: p.Config.HTTP.ReadTimeout, IdleTimeout: p.Config.HTTP.IdleTimeout}, mux, p.Log)
	return err
}

// HTTPAddr is the bound address of the HTTP API.
func (p *PBX) HTTPAddr() string { return p.HTTP.Addr() }

// Run serves SIP and HTTP until ctx ends; the HTTP API stays up while calls
// drain and stops after the PBX. A failed HTTP listener stops the PBX.
func (p *PBX) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	httpErr := make(chan error, 1)
	go func() {
		err := p.HTTP.Serve()
		if err != nil {
			p.Log.Error("listener failed", "listener", "http", "err", err)
			cancel()
		}
		httpErr <- err
	}()
	p.Log.Info("http api listening", "addr", p.HTTPAddr(), "scheme", p.HTTP.Scheme())
	err := p.Server.Run(ctx)
	p.HTTP.Shutdown()
	if p.Contact != nil {
		// Websockets are hijacked: Shutdown does not end them. Clients (the
		// OA, agent bars) hear "going away" and reconnect to the next PBX.
		p.Contact.Hub.Close()
	}
	if herr := <-httpErr; err == nil {
		err = herr
	}
	return err
}

// callTenant names the tenant of a call in progress, "" when there is none.
func callTenant(srv *pbx.Server) func(callID string) string {
	return func(id string) string {
		for _, c := range srv.Calls() {
			if c.ID == id {
				return c.Tenant
			}
		}
		return ""
	}
}

// flowReloader reloads the IVR flows for the PBX API.
type flowReloader struct{ v *IVR }

func (f flowReloader) Reload() (uint64, error) {
	if err := f.v.Reload(); err != nil {
		return 0, err
	}
	return f.v.registry.Current().Generation(), nil
}
