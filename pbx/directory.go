package pbx

import (
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/registrar"
	"github.com/yimen/yimen/pbx/webrtc"
)

// directory knows the tenants, their extensions and the extensions' digest
// credentials (decrypted into memory at start so REGISTER stays fast).
type directory struct {
	realm      string
	domains    map[string]string // lower-case SIP domain → tenant
	defaultTen string            // used when there is one tenant without domains
	mu         sync.RWMutex
	exts       map[string]map[string]bool // tenant → extension set
	creds      map[string]registrar.Credentials
	// Digest challenges: every configured algorithm at once (double), or
	// one per extension: sha256 for the tenant's sha256 set, else single.
	double     bool
	allAlgs    []string
	single     []string
	sha256     []string
	sha256Exts map[string]map[string]bool // tenant → extensions challenged with SHA-256
	// SRTP policies: the tenant's, and the extensions held to required.
	srtp         map[string]b2bua.SRTPPolicy
	srtpRequired map[string]map[string]bool
}

func newDirectory(cfg config.Config) (*directory, error) {
	d := &directory{realm: cfg.SIP.Realm, domains: map[string]string{}, exts: map[string]map[string]bool{}, creds: map[string]registrar.Credentials{},
		double: cfg.SIP.DigestDouble, allAlgs: cfg.SIP.DigestAlgs, sha256: []string{registrar.AlgSHA256}, sha256Exts: map[string]map[string]bool{}}
	d.single = cfg.SIP.DigestAlgs[:1]
	if slices.Contains(cfg.SIP.DigestAlgs, registrar.AlgMD5) {
		d.single = []string{registrar.AlgMD5}
	}
	d.srtp, d.srtpRequired = map[string]b2bua.SRTPPolicy{}, map[string]map[string]bool{}
	for _, t := range cfg.Tenants {
		if err := d.addSRTP(t); err != nil {
			return nil, err
		}
		shaList, err := t.SHA256ExtensionList()
		if err != nil {
			return nil, err
		}
		d.sha256Exts[t.Name] = map[string]bool{}
		for _, e := range shaList {
			d.sha256Exts[t.Name][e] = true
		}
		for _, dom := range t.Domains {
			d.domains[strings.ToLower(dom)] = t.Name
		}
		if len(t.Domains) == 0 {
			d.defaultTen = t.Name
		}
		list, err := t.ExtensionList()
		if err != nil {
			return nil, err
		}
		set := map[string]bool{}
		for _, e := range list {
			set[e] = true
		}
		d.exts[t.Name] = set
	}
	return d, nil
}

// TenantFor implements registrar.TenantResolver and b2bua.TenantResolver.
func (d *directory) TenantFor(host string) (string, bool) {
	if t, ok := d.domains[strings.ToLower(host)]; ok {
		return t, true
	}
	if d.defaultTen != "" {
		return d.defaultTen, true
	}
	return "", false
}

// DigestAlgorithms implements registrar.AlgorithmChooser: the choice
// depends on the configuration only, never on whether the account exists,
// so a challenge tells a stranger nothing about which extensions are real.
func (d *directory) DigestAlgorithms(tenant, user string) []string {
	switch {
	case d.double:
		return d.allAlgs
	case d.sha256Exts[tenant][user]:
		return d.sha256
	}
	return d.single
}

func credKey(tenant, ext string) string { return tenant + "/" + ext }

// Credentials implements registrar.AccountSource.
func (d *directory) Credentials(tenant, user string) (registrar.Credentials, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	c, ok := d.creds[credKey(tenant, user)]
	return c, ok
}

func (d *directory) setSecret(tenant, ext, secret string) {
	c := registrar.NewCredentials(ext, d.realm, secret)
	d.mu.Lock()
	d.creds[credKey(tenant, ext)] = c
	d.mu.Unlock()
}

func (d *directory) hasExtension(tenant, ext string) bool {
	return d.exts[tenant][ext]
}

func (d *directory) hasAccount(tenant, ext string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, ok := d.creds[credKey(tenant, ext)]
	return ok
}

// locator adapts the registrar's bindings to the B2BUA's targets.
type locator struct {
	dir      *directory
	reg      *registrar.Registrar
	alive    func(network, addr string) bool // is a stream connection to addr still open
	browsers *webrtc.Manager                 // an agent's browser session replaces their phones; nil: none
	log      *slog.Logger
}

func (l locator) Locate(tenant, ext string) ([]b2bua.Target, bool) {
	if !l.dir.hasExtension(tenant, ext) {
		return nil, false
	}
	if l.browsers != nil {
		if contact, dest, ok := l.browsers.Device(tenant, ext); ok {
			var u sip.Uri
			if err := sip.ParseUri(contact, &u); err == nil {
				// The browser's media is DTLS-SRTP past its session.
				return []b2bua.Target{{URI: u, Dest: dest, Transport: "udp", Encrypted: true}}, true
			}
		}
	}
	var out []b2bua.Target
	for _, b := range l.reg.Lookup(tenant, ext) {
		var u sip.Uri
		if err := sip.ParseUri(b.Contact, &u); err != nil {
			continue
		}
		dest, ok := l.reg.Destination(b, u, l.alive)
		if !ok {
			// A stream registration whose connection closed: RFC 5626 has
			// no other way to the phone until it registers again.
			if !strings.EqualFold(b.Transport, "udp") {
				l.log.Info("contact not reachable: its registration's connection is closed", "tenant", tenant, "ext", ext, "transport", b.Transport, "flow", b.Received.String())
			}
			continue
		}
		flow := !strings.EqualFold(b.Transport, "udp") && dest == b.Received && l.alive(strings.ToLower(b.Transport), dest.String())
		out = append(out, b2bua.Target{URI: u, Dest: dest, Transport: b.Transport, Flow: flow})
	}
	return out, true
}

// addSRTP records tenant t's SRTP policies.
func (d *directory) addSRTP(t config.Tenant) error {
	switch t.SRTP {
	case "required":
		d.srtp[t.Name] = b2bua.SRTPRequired
	case "off":
		d.srtp[t.Name] = b2bua.SRTPOff
	default:
		d.srtp[t.Name] = b2bua.SRTPOptional
	}
	list, err := t.SRTPRequiredList()
	if err != nil {
		return err
	}
	d.srtpRequired[t.Name] = map[string]bool{}
	for _, e := range list {
		d.srtpRequired[t.Name][e] = true
	}
	return nil
}

// SRTPPolicy implements b2bua.MediaSecurity.
func (d *directory) SRTPPolicy(tenant, ext string) b2bua.SRTPPolicy {
	if d.srtpRequired[tenant][ext] {
		return b2bua.SRTPRequired
	}
	return d.srtp[tenant]
}
