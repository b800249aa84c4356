package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/calendar"
)

// Validate checks every key and returns all problems joined; each is a *FieldError.
func (c *Config) Validate() error {
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
	for key, addr := range map[string]string{"sip.udp": c.SIP.UDP, "sip.tcp": c.SIP.TCP, "sip.tls": c.SIP.TLS, "sip.ws": c.SIP.WS, "sip.wss": c.SIP.WSS, "http.addr": c.HTTP.Addr} {
		if addr == "" {
			continue
		}
		if _, _, err := splitHostPort(addr); err != nil {
			bad(key, "%v", err)
		}
	}
	if c.SIP.UDP == "" && c.SIP.TCP == "" && c.SIP.TLS == "" && c.SIP.WS == "" && c.SIP.WSS == "" {
		bad("sip", "at least one listener (udp, tcp, tls, ws, wss) is required")
	}
	for i, o := range c.HTTP.UIEmbedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			bad(fmt.Sprintf("http.ui_embed_origins[%d]", i), "must be an origin like https://crm.example.org, not %q", o)
		}
	}
	for i, o := range c.HTTP.UIConnectOrigins {
		if !isOrigin(o) {
			bad(fmt.Sprintf("http.ui_connect_origins[%d]", i), "must be an origin like https://oa.example.org, not %q", o)
		}
	}
	if c.HTTP.Addr == "" {
		bad("http.addr", "must be set")
	}
	if c.HTTP.ReadHeaderTimeout <= 0 || c.HTTP.ReadTimeout < c.HTTP.ReadHeaderTimeout || c.HTTP.IdleTimeout <= 0 {
		bad("http.read_timeout", "read_header_timeout and idle_timeout must be positive, read_timeout at least read_header_timeout")
	}
	if (c.SIP.TLS != "" || c.SIP.WSS != "") && (c.SIP.TLSCert == "" || c.SIP.TLSKey == "") {
		bad("sip.tls_cert", "tls and wss listeners need tls_cert and tls_key")
	} else if c.SIP.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.SIP.TLSCert, c.SIP.TLSKey); err != nil {
			bad("sip.tls_cert", "%v", err)
		}
	}
	if c.SIP.Realm == "" {
		bad("sip.realm", "must not be empty")
	}
	if len(c.SIP.DigestAlgs) == 0 {
		bad("sip.digest_algorithms", "list at least one of MD5, SHA-256")
	}
	for i, a := range c.SIP.DigestAlgs {
		if a != "MD5" && a != "SHA-256" {
			bad(fmt.Sprintf("sip.digest_algorithms[%d]", i), "unsupported algorithm %q (MD5 or SHA-256)", a)
		}
	}
	if c.SIP.NonceTTL <= 0 {
		bad("sip.nonce_ttl", "must be positive")
	}
	if c.SIP.MinExpires < 1 || c.SIP.MaxExpires < c.SIP.MinExpires {
		bad("sip.max_expires", "need 1 <= min_expires (%d) <= max_expires (%d)", c.SIP.MinExpires, c.SIP.MaxExpires)
	}
	if c.SIP.DefaultExpires < c.SIP.MinExpires || c.SIP.DefaultExpires > c.SIP.MaxExpires {
		bad("sip.default_expires", "must lie between min_expires and max_expires")
	}
	if c.SIP.MaxContacts < 1 {
		bad("sip.max_contacts", "must be at least 1")
	}
	if c.SIP.MaxMessageBytes < 1024 || c.SIP.MaxMessageBytes > 65535 {
		bad("sip.max_message_bytes", "must be between 1024 and 65535")
	}
	for i, s := range c.SIP.ContactNetworks {
		if _, err := parsePrefix(s); err != nil {
			bad(fmt.Sprintf("sip.contact_networks[%d]", i), "not a CIDR or address: %q", s)
		}
	}
	if _, err := netip.ParseAddr(c.RTP.BindIP); err != nil {
		bad("rtp.bind_ip", "%v", err)
	}
	if c.RTP.PortMin < 1024 || c.RTP.PortMax > 65534 || c.RTP.PortMax-c.RTP.PortMin < 3 {
		bad("rtp.port_min", "need 1024 <= port_min < port_max <= 65534 with room for at least two port pairs")
	}
	if len(c.RTP.Codecs) == 0 {
		bad("rtp.codecs", "list at least one of PCMU, PCMA")
	}
	for i, cd := range c.RTP.Codecs {
		if cd != "PCMU" && cd != "PCMA" {
			bad(fmt.Sprintf("rtp.codecs[%d]", i), "unsupported codec %q (the relay passes G.711 through: PCMU, PCMA)", cd)
		}
	}
	if c.Guard.RatePerSec <= 0 || c.Guard.Burst < 1 {
		bad("guard.rate_per_sec", "rate_per_sec and burst must be positive")
	}
	if c.Guard.AuthFailuresPerIP < 1 || c.Guard.AuthFailuresPerAccount < 1 {
		bad("guard.auth_failures_per_ip", "auth failure thresholds must be at least 1")
	}
	if c.Guard.BanDuration <= 0 || c.Guard.FailureWindow <= 0 {
		bad("guard.ban_duration", "ban_duration and failure_window must be positive")
	}
	for i, s := range c.Guard.Allow {
		if _, err := parsePrefix(s); err != nil {
			bad(fmt.Sprintf("guard.allow[%d]", i), "not a CIDR or address: %q", s)
		}
	}
	if c.Calls.RingTimeout <= 0 || c.Calls.MaxDuration <= 0 || c.Calls.MediaTimeout <= 0 || c.Calls.DrainTimeout < 0 {
		bad("calls", "ring_timeout, max_duration and media_timeout must be positive, drain_timeout not negative")
	}
	for key, n := range map[string]int{"calls.max_per_extension": c.Calls.MaxPerExtension, "calls.max_per_tenant": c.Calls.MaxPerTenant, "calls.max_per_source": c.Calls.MaxPerSource} {
		if n < 0 {
			bad(key, "must not be negative (0: no cap), not %d", n)
		}
	}
	if c.Calls.ReservePercent < 0 || c.Calls.ReservePercent > 50 {
		bad("calls.reserve_percent", "must be between 0 and 50, not %d", c.Calls.ReservePercent)
	}
	for i, t := range c.Tenants {
		if t.MaxNoAnswer < 0 {
			bad(fmt.Sprintf("tenants[%d].max_no_answer", i), "must not be negative")
		}
		validateAgentState(t, fmt.Sprintf("tenants[%d]", i), bad)
	}
	if c.CTI.Recheck < 0 {
		bad("cti.recheck", "must not be negative")
	}
	if c.WebRTC.UDP != "" {
		if ap, err := netip.ParseAddrPort(c.WebRTC.UDP); err != nil {
			bad("webrtc.udp", "not host:port with an IP host: %v", err)
		} else if ap.Addr().IsUnspecified() {
			bad("webrtc.udp", "needs a concrete address: it is the ICE candidate browsers connect to")
		}
	}
	if c.WebRTC.PublicIP != "" {
		if _, err := netip.ParseAddr(c.WebRTC.PublicIP); err != nil {
			bad("webrtc.public_ip", "%v", err)
		}
	}
	if c.WebRTC.ReattachTimeout < 0 {
		bad("webrtc.reattach_timeout", "must not be negative")
	}
	if len(c.Tenants) == 0 {
		bad("tenants", "at least one tenant is required")
	}
	names := map[string]bool{}
	domains := map[string]string{}
	for i, t := range c.Tenants {
		k := fmt.Sprintf("tenants[%d]", i)
		if t.Name == "" || strings.ContainsAny(t.Name, " /\\") {
			bad(k+".name", "must be a non-empty name without spaces or slashes")
		}
		if names[t.Name] {
			bad(k+".name", "duplicate tenant %q", t.Name)
		}
		names[t.Name] = true
		switch t.SRTP {
		case "", "optional", "required", "off":
		default:
			bad(k+".srtp", "must be optional, required or off, not %q", t.SRTP)
		}
		if _, err := t.SRTPRequiredList(); err != nil {
			bad(k+".srtp_required", "%v", err)
		}
		if (t.SRTP == "required" || len(t.SRTPRequired) > 0) && c.SIP.TLS == "" && c.SIP.WSS == "" {
			// SDES keys go only over TLS, so without a TLS listener no
			// such phone could ever place or take a call.
			bad(k+".srtp", "SRTP required needs sip.tls (keys are exchanged only over SIP-TLS)")
		}
		if len(t.SHA256Extensions) > 0 {
			if _, err := t.SHA256ExtensionList(); err != nil {
				bad(k+".sha256_extensions", "%v", err)
			}
			if !slices.Contains(c.SIP.DigestAlgs, "SHA-256") {
				bad(k+".sha256_extensions", "needs SHA-256 in sip.digest_algorithms")
			}
		}
		for j, d := range t.Domains {
			if other, dup := domains[strings.ToLower(d)]; dup {
				bad(fmt.Sprintf("%s.domains[%d]", k, j), "domain %q already belongs to tenant %q", d, other)
			}
			domains[strings.ToLower(d)] = t.Name
		}
		if len(t.Domains) == 0 && len(c.Tenants) > 1 {
			bad(k+".domains", "with several tenants each needs its SIP domains")
		}
		exts, err := t.ExtensionList()
		if err != nil {
			bad(k+".extensions", "%v", err)
		}
		for num := range t.IVR {
			if !isDigits(num) || slices.Contains(exts, num) {
				bad(k+".ivr", "number %q must be digits and not also an extension", num)
			}
			if c.IVR.Flows == "" {
				bad("ivr.flows", "tenant %s routes numbers to IVR flows but ivr.flows is not set", t.Name)
			}
		}
		agents := map[string]bool{}
		for j, a := range t.Agents {
			ak := fmt.Sprintf("%s.agents[%d]", k, j)
			if a.ID == "" || agents[a.ID] {
				bad(ak+".id", "agent ids must be set and unique")
			}
			agents[a.ID] = true
			if !slices.Contains(exts, a.Extension) {
				bad(ak+".extension", "%q is not an extension of the tenant", a.Extension)
			}
		}
		for q, qc := range t.Queues {
			for _, a := range qc.Agents {
				if !agents[a] {
					bad(k+".queues."+q+".agents", "%q is not an agent of the tenant", a)
				}
			}
		}
	}
	if c.Security.GenerateMasterKey && c.Security.MasterKeyFile == "" {
		bad("security.master_key_file", "required when generate_master_key is true")
	}
	if c.Recording.WebhookURL != "" && c.Recording.WebhookKeyFile == "" {
		bad("recording.webhook_key_file", "required with recording.webhook_url (the HMAC-SM3 signing key)")
	}
	if c.Demo.Enabled && c.Demo.CredentialsFile == "" {
		bad("demo.credentials_file", "required when demo.enabled is true")
	}
	c.validateRecording(names, bad)
	c.validateTrunks(bad)
	c.validateQueuePrompts(bad)
	c.validateAdmin(names, bad)
	return errors.Join(out...)
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("not host:port: %q", addr)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	return h, n, nil
}

// ExtensionList expands "1001-1010" ranges and single numbers, in order, without duplicates.
func (t Tenant) ExtensionList() ([]string, error) { return expandExtensions(t.Extensions) }

// SRTPRequiredList expands srtp_required as ExtensionList does.
func (t Tenant) SRTPRequiredList() ([]string, error) { return expandExtensions(t.SRTPRequired) }

// SHA256ExtensionList expands sha256_extensions as ExtensionList does.
func (t Tenant) SHA256ExtensionList() ([]string, error) { return expandExtensions(t.SHA256Extensions) }

func expandExtensions(list []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(s string) error {
		if seen[s] {
			return fmt.Errorf("extension %s listed twice", s)
		}
		seen[s] = true
		out = append(out, s)
		return nil
	}
	for _, e := range list {
		lo, hi, isRange := strings.Cut(e, "-")
		if !isRange {
			if !isDigits(e) {
				return nil, fmt.Errorf("extension %q must be digits", e)
			}
			if err := add(e); err != nil {
				return nil, err
			}
			continue
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		if errA != nil || errB != nil || !isDigits(lo) || !isDigits(hi) || a > b || len(lo) != len(hi) {
			return nil, fmt.Errorf("bad extension range %q (want e.g. 1001-1010)", e)
		}
		if b-a > 100000 {
			return nil, fmt.Errorf("extension range %q too large", e)
		}
		for n := a; n <= b; n++ {
			if err := add(fmt.Sprintf("%0*d", len(lo), n)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validateRecording checks the recording section against the tenants.
func (c *Config) validateRecording(tenants map[string]bool, bad func(key, format string, a ...any)) {
	r := c.Recording
	switch r.Format {
	case "alaw", "ulaw", "pcm":
	default:
		bad("recording.format", "must be alaw, ulaw or pcm, not %q", r.Format)
	}
	policy := func(p string) bool { return p == "always" || p == "never" || p == "on_demand" }
	if !policy(r.Policy) {
		bad("recording.policy", "must be always, never or on_demand, not %q", r.Policy)
	}
	for i, o := range r.Overrides {
		k := fmt.Sprintf("recording.overrides[%d]", i)
		if o.Tenant == "" && o.Extension == "" {
			bad(k, "name a tenant, an extension or both")
		}
		if o.Tenant != "" && !tenants[o.Tenant] {
			bad(k+".tenant", "no tenant %q", o.Tenant)
		}
		if o.Extension != "" && !isDigits(o.Extension) {
			bad(k+".extension", "must be digits, not %q", o.Extension)
		}
		if !policy(o.Policy) {
			bad(k+".policy", "must be always, never or on_demand, not %q", o.Policy)
		}
	}
	if r.RetentionDays < 0 {
		bad("recording.retention_days", "must not be negative")
	}
	for _, t := range slices.Sorted(maps.Keys(r.TenantRetentionDays)) {
		d := r.TenantRetentionDays[t]
		if !tenants[t] {
			bad("recording.tenant_retention_days."+t, "no tenant %q", t)
		}
		if d < 0 {
			bad("recording.tenant_retention_days."+t, "must not be negative")
		}
	}
}

// validateQueuePrompts checks the queue prompts: each set, the position
// announcement using only its two placeholders, the callback key one key.
func (c *Config) validateQueuePrompts(bad func(key, format string, a ...any)) {
	p := c.Queues.Prompts
	for key, text := range map[string]string{"queues.prompts.position": p.Position,
		"queues.prompts.callback_offer": p.CallbackOffer, "queues.prompts.callback_booked": p.CallbackBooked} {
		if strings.TrimSpace(text) == "" {
			bad(key, "must not be empty")
		}
	}
	rest := strings.NewReplacer("{ahead}", "", "{minutes}", "").Replace(p.Position)
	if strings.ContainsAny(rest, "{}") {
		bad("queues.prompts.position", "only {ahead} and {minutes} may be filled in, not %q", p.Position)
	}
	if len(p.CallbackKey) != 1 || !strings.Contains("0123456789*#", p.CallbackKey) {
		bad("queues.prompts.callback_key", "must be one key of 0-9, * or #, not %q", p.CallbackKey)
	}
}

// validateAgentState checks a tenant's not-ready reasons, time zone and
// wrap-up and its queues' service-level settings.
func validateAgentState(t Tenant, k string, bad func(key, format string, a ...any)) {
	seen := map[string]bool{}
	for j, r := range t.NotReadyReasons {
		f := fmt.Sprintf("%s.not_ready_reasons[%d]", k, j)
		switch {
		case r.Code == "" || len(r.Code) > 64:
			bad(f+".code", "must be 1 to 64 bytes")
		case seen[r.Code]:
			bad(f+".code", "duplicate %q", r.Code)
		case r.Max < 0:
			bad(f+".max", "must not be negative")
		}
		seen[r.Code] = true
	}
	if t.TimeZone != "" {
		if _, err := calendar.LoadZone(t.TimeZone); err != nil {
			bad(k+".time_zone", "%v", err)
		}
	}
	if t.OutboundWrapUp < 0 {
		bad(k+".outbound_wrap_up", "must not be negative")
	}
	for id, q := range t.Queues {
		switch q.SLAbandons {
		case "", "short", "failures", "ignored":
		default:
			bad(k+".queues."+id+".sl_abandons", "must be short, failures or ignored, not %q", q.SLAbandons)
		}
		if q.ShortAbandon < 0 {
			bad(k+".queues."+id+".short_abandon", "must not be negative")
		}
	}
}

// isOrigin reports whether o is a bare web origin: scheme and host, no
// path, query or user.
func isOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Path == "" && u.RawQuery == "" && u.User == nil && u.Fragment == ""
}
