package config

import (
	"net"
	"net/netip"
	"time"
)

// Config is the whole configuration of a yimen PBX process.
type Config struct {
	DataDir  string   `yaml:"data_dir"`
	Log      Log      `yaml:"log"`
	Store    Store    `yaml:"store"`
	SIP      SIP      `yaml:"sip"`
	RTP      RTP      `yaml:"rtp"`
	HTTP     HTTP     `yaml:"http"`
	Guard    Guard    `yaml:"guard"`
	Calls    Calls    `yaml:"calls"`
	Demo     Demo     `yaml:"demo"`
	Security Security `yaml:"security"`
	Tenants  []Tenant `yaml:"tenants"`
	IVR      IVR      `yaml:"ivr"`
	CTI      CTI      `yaml:"cti"`
	// Queues configures what callers waiting in an ACD queue hear.
	Queues Queues `yaml:"queues"`
	// Recording configures call recording (package recorder).
	Recording Recording `yaml:"recording"`
	// Admin configures the admin API's users, sessions and audit log.
	Admin Admin `yaml:"admin"`
	// WebRTC configures browser agents' media (pbx/webrtc).
	WebRTC WebRTC `yaml:"webrtc"`
}

// Log selects the slog handler.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or text
}

// Store locates the embedded database.
type Store struct {
	Path string `yaml:"path"`
}

// SIP configures listeners and the registrar.
type SIP struct {
	UDP          string        `yaml:"udp"`
	TCP          string        `yaml:"tcp"`
	TLS          string        `yaml:"tls"`
	WS           string        `yaml:"ws"`
	WSS          string        `yaml:"wss"`
	TLSCert      string        `yaml:"tls_cert"`
	TLSKey       string        `yaml:"tls_key"`
	ExternalHost string        `yaml:"external_host"` // host put in Via/Contact; defaults to the UDP listener's host
	Realm        string        `yaml:"realm"`
	UserAgent    string        `yaml:"user_agent"`
	NonceTTL     time.Duration `yaml:"nonce_ttl"`
	DigestAlgs   []string      `yaml:"digest_algorithms"` // MD5, SHA-256: the algorithms accepted
	// DigestDouble challenges with every algorithm in DigestAlgs at once
	// (RFC 8760). Off by default: some clients (libre-based softphones)
	// give up on a SHA-256 challenge instead of answering the MD5 one, so
	// each extension gets one challenge — SHA-256 for a tenant's
	// sha256_extensions, MD5 for the rest.
	DigestDouble    bool `yaml:"digest_double_challenge"`
	MinExpires      int  `yaml:"min_expires"`
	MaxExpires      int  `yaml:"max_expires"`
	DefaultExpires  int  `yaml:"default_expires"`
	MaxContacts     int  `yaml:"max_contacts"`
	MaxMessageBytes int  `yaml:"max_message_bytes"`
	// ContactNetworks (CIDRs) are where a registered Contact may send the
	// PBX's requests although the REGISTER came from another address (a
	// phone behind a registering proxy). By default none: requests go to
	// the Contact only when it is the REGISTER's own host, else to that
	// host. Loopback, link-local and cloud-metadata Contacts on another
	// host are refused (loopback is allowed when the PBX listens on it).
	ContactNetworks []string `yaml:"contact_networks"`
	// TrunkUDP is the carrier-facing UDP listener: trunks register and
	// send calls from it, and the guard lets only the trunks' addresses
	// through it, before parsing. Empty: trunks use the udp listener.
	TrunkUDP string `yaml:"trunk_udp"`
}

// ContactPrefixes parses ContactNetworks (already validated).
func (s SIP) ContactPrefixes() []netip.Prefix { return parsePrefixes(s.ContactNetworks) }

// OnLoopback says a SIP listener is bound to a loopback address.
func (s SIP) OnLoopback() bool {
	for _, addr := range []string{s.UDP, s.TCP, s.TLS, s.WS, s.WSS} {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
				return true
			}
		}
	}
	return false
}

// RTP configures the media relay.
type RTP struct {
	BindIP  string   `yaml:"bind_ip"`
	PortMin int      `yaml:"port_min"`
	PortMax int      `yaml:"port_max"`
	Codecs  []string `yaml:"codecs"`
	// KernelForward hands the RTP of calls without taps (no recording,
	// monitoring, DTMF listening or prompts) to an eBPF program in the
	// kernel, which forwards it without waking the relay (docs/BENCHMARKS.md,
	// "in-kernel forwarding"). It needs Linux 6.6+, bind_ip set to one IPv4
	// address, and CAP_BPF with CAP_NET_ADMIN; without them the PBX logs
	// why at start and relays everything itself. Default true.
	KernelForward bool `yaml:"kernel_forward"`
}

// HTTP configures the admin API, metrics and health endpoint.
type HTTP struct {
	Addr           string `yaml:"addr"`
	AdminTokenFile string `yaml:"admin_token_file"` // file holding the admin API bearer token (mode 0600)
	TLSCert        string `yaml:"tls_cert"`         // PEM certificate: serve the HTTP API over TLS
	TLSKey         string `yaml:"tls_key"`
	// Slow clients: the request line and headers, the whole request with
	// its body, and a kept-alive connection between requests must each
	// arrive within these (websockets and downloads are not cut: there is
	// no write timeout).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// UIEmbedOrigins are the origins ("https://crm.example.org") whose
	// pages may embed the agent bar in an iframe and drive it with
	// postMessage (docs/agentbar.md); empty: none but the PBX's own.
	UIEmbedOrigins []string `yaml:"ui_embed_origins"`
	// UIConnectOrigins are the OAs ("https://oa.example.org") the agent
	// bar may fetch knowledge suggestions from (the OA lists this PBX in
	// sso.bar_origins); empty: none, the bar only opens the OA's pages.
	UIConnectOrigins []string `yaml:"ui_connect_origins"`
}

// Guard configures the anti-flood front door.
type Guard struct {
	RatePerSec             float64       `yaml:"rate_per_sec"`
	Burst                  int           `yaml:"burst"`
	AuthFailuresPerIP      int           `yaml:"auth_failures_per_ip"`
	AuthFailuresPerAccount int           `yaml:"auth_failures_per_account"`
	FailureWindow          time.Duration `yaml:"failure_window"`
	BanDuration            time.Duration `yaml:"ban_duration"`
	FloodBan               bool          `yaml:"flood_ban"`
	Allow                  []string      `yaml:"allow"` // CIDRs never banned
	ScannerUserAgents      []string      `yaml:"scanner_user_agents"`
}

// Calls bounds calls.
type Calls struct {
	RingTimeout     time.Duration `yaml:"ring_timeout"`
	MaxDuration     time.Duration `yaml:"max_duration"`
	MediaTimeout    time.Duration `yaml:"media_timeout"`
	DrainTimeout    time.Duration `yaml:"drain_timeout"`
	SessionInterval time.Duration `yaml:"session_interval"`
	// MaxPerExtension, MaxPerTenant and MaxPerSource cap the calls an
	// extension, a tenant's extensions and one source address may place
	// and hold at once (0: no cap). Over the extension or address cap a
	// call is refused 486 Busy Here, over the tenant cap 503 with
	// Retry-After.
	MaxPerExtension int `yaml:"max_per_extension"`
	MaxPerTenant    int `yaml:"max_per_tenant"`
	MaxPerSource    int `yaml:"max_per_source"`
	// ReservePercent of the RTP pool (rounded down, in calls) is kept from
	// any one tenant's calls to extensions: other tenants, and calls to
	// IVR flows and queues, still find ports when one tenant has filled
	// the rest (503 with Retry-After past it).
	ReservePercent int `yaml:"reserve_percent"`
}

// Bridges is how many calls the RTP port range holds: each takes two
// RTP+RTCP pairs, an RTP port being even.
func (r RTP) Bridges() int {
	lo := r.PortMin + r.PortMin%2
	if r.PortMax < lo {
		return 0
	}
	return (r.PortMax - lo + 1) / 2 / 2
}

// Reserve is the number of calls of the pool ReservePercent keeps.
func (c Calls) Reserve(bridges int) int { return bridges * c.ReservePercent / 100 }

// Demo controls first-run credential generation for the demo tenant.
type Demo struct {
	Enabled         bool   `yaml:"enabled"`
	CredentialsFile string `yaml:"credentials_file"`
}

// Security locates key material. The master key comes from MasterKeyFile
// (mode 0600) or the YIMEN_MASTER_KEY environment variable; it is never stored
// in the database or printed.
type Security struct {
	MasterKeyFile     string `yaml:"master_key_file"`
	GenerateMasterKey bool   `yaml:"generate_master_key"` // demo only: create the file on first run
}

// Tenant is one customer organisation on the PBX.
type Tenant struct {
	Name       string   `yaml:"name"`
	Domains    []string `yaml:"domains"`    // SIP domains (request/To host) that select this tenant
	Extensions []string `yaml:"extensions"` // "1001-1010" ranges or single numbers
	// SHA256Extensions are the extensions (ranges as in extensions) whose
	// phones answer SHA-256 digest challenges: they are challenged, and
	// accepted, with SHA-256 only. The others get MD5.
	SHA256Extensions []string `yaml:"sha256_extensions"`
	// SRTP is the tenant's media security for its extensions' phones:
	// "optional" (the default: SRTP taken from a phone that offers it over
	// SIP-TLS, plain RTP offered to it), "required" (plain offers refused,
	// calls to it only over TLS with SRTP) or "off" (SRTP offers refused).
	SRTP string `yaml:"srtp"`
	// SRTPRequired are extensions (ranges as in extensions) held to
	// "required" whatever SRTP says.
	SRTPRequired []string `yaml:"srtp_required"`
	// IVR maps numbers to IVR flows, e.g. {"8000": "start"}: calls to them are answered by the flow.
	IVR map[string]string `yaml:"ivr"`
	// Agents are the tenant's contact-centre agents, each bound to an extension.
	Agents []Agent `yaml:"agents"`
	// Queues are the ACD queues by id.
	Queues map[string]Queue `yaml:"queues"`
	// AutoLogin logs every agent in and ready at start (demo, unattended desks).
	AutoLogin bool `yaml:"auto_login"`
	// LoginOnRegister logs an agent in (and ready) when their phone registers
	// and out when its last registration ends.
	LoginOnRegister bool `yaml:"login_on_register"`
	// MaxNoAnswer offers in a row left ringing set an agent not ready
	// (reason no_answer); 0 means 3.
	MaxNoAnswer int `yaml:"max_no_answer"`
	// Supervisors may monitor agents' calls with *1 (listen), *2 (whisper), *3 (barge) + extension.
	Supervisors []string `yaml:"supervisors"`
	// NotReadyReasons are the reasons (小休, 会议, 培训, 用餐…) an agent
	// picks from when going not ready, in the order the agent bar lists
	// them, each with an optional maximum; empty: any reason.
	NotReadyReasons []NotReadyReason `yaml:"not_ready_reasons"`
	// TimeZone is where the tenant's day starts for today's figures
	// (agents' counts, the wallboard's service level); default Asia/Shanghai.
	TimeZone string `yaml:"time_zone"`
	// OutboundWrapUp is the wrap-up after a call an agent placed that was
	// never answered; 0: back to where the call found them at once.
	OutboundWrapUp time.Duration `yaml:"outbound_wrap_up"`
	// The tenant's SIP trunks, DIDs and outbound routes (trunks.go, docs/trunks.md).
	TenantTrunks `yaml:",inline"`
}

// Defaults returns a Config with every default filled in.
func Defaults() Config {
	return Config{
		DataDir: "data",
		Log:     Log{Level: "info", Format: "json"},
		SIP: SIP{
			Realm: "yimen", UserAgent: "yimen", NonceTTL: 5 * time.Minute,
			DigestAlgs: []string{"SHA-256", "MD5"},
			MinExpires: 60, MaxExpires: 3600, DefaultExpires: 600, MaxContacts: 5,
			MaxMessageBytes: 16384,
		},
		RTP:  RTP{BindIP: "127.0.0.1", PortMin: 20000, PortMax: 29999, Codecs: []string{"PCMA", "PCMU"}, KernelForward: true},
		HTTP: HTTP{Addr: "127.0.0.1:8080", ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute},
		Guard: Guard{
			RatePerSec: 200, Burst: 400, AuthFailuresPerIP: 10, AuthFailuresPerAccount: 20,
			FailureWindow: 5 * time.Minute, BanDuration: 15 * time.Minute, FloodBan: true,
		},
		Calls: Calls{
			RingTimeout: 60 * time.Second, MaxDuration: 4 * time.Hour, MediaTimeout: 60 * time.Second,
			DrainTimeout: 30 * time.Second, SessionInterval: 30 * time.Minute,
			// A desk phone has a handful of lines, an agent two or three
			// calls at most; eight keeps one account from taking the pool.
			MaxPerExtension: 8, ReservePercent: 10,
		},
		Recording: Recording{Format: "alaw", Policy: "never"},
		WebRTC:    WebRTC{ReattachTimeout: 60 * time.Second},
		Queues: Queues{Prompts: QueuePrompts{
			Position:       "您前面还有{ahead}位，预计等待{minutes}分钟",
			CallbackOffer:  "如需预约回电，请按1",
			CallbackKey:    "1",
			CallbackBooked: "已为您预约回电，请保持电话畅通，再见",
		}},
	}
}

// AllowPrefixes parses Guard.Allow (already validated).
func (g Guard) AllowPrefixes() []netip.Prefix { return parsePrefixes(g.Allow) }

// parsePrefixes parses validated CIDRs or addresses.
func parsePrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := parsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// IVR locates flows, prompts and calendars and configures speech.
type IVR struct {
	Flows        string        `yaml:"flows"`     // directory of *.ivr files
	Prompts      string        `yaml:"prompts"`   // directory of 8 kHz mono WAV prompts
	Calendars    string        `yaml:"calendars"` // directory of holiday calendars (cn-2026.yaml …)
	TTSURL       string        `yaml:"tts_url"`   // HTTP engine: POST {"text","voice"} → WAV
	TTSLocal     bool          `yaml:"tts_local"` // espeak-ng fallback
	TTSTimeout   time.Duration `yaml:"tts_timeout"`
	VoicemailDir string        `yaml:"voicemail_dir"`
	HTTPKeyFile  string        `yaml:"http_key_file"` // HMAC-SM3 key signing the flows' http requests
	// FixedTime (RFC 3339) pins the clock the flows' (and the DIDs') time
	// and holiday checks see, for demonstrations and tests; empty uses the
	// real time.
	FixedTime string `yaml:"fixed_time"`
}

// Recording configures call recording. Policy applies to every answered
// call unless an override names the tenant and/or an extension of the call.
type Recording struct {
	Dir                 string              `yaml:"dir"`    // default <data_dir>/recordings
	Format              string              `yaml:"format"` // alaw (default), ulaw or pcm
	Policy              string              `yaml:"policy"` // always, never (default) or on_demand
	Overrides           []RecordingOverride `yaml:"overrides"`
	RetentionDays       int                 `yaml:"retention_days"`        // 0 keeps recordings forever
	TenantRetentionDays map[string]int      `yaml:"tenant_retention_days"` // per tenant, beats retention_days
	Encrypt             bool                `yaml:"encrypt"`               // SM4-GCM at rest
	// WebhookURL receives a signed JSON POST for each finished recording
	// (third-party QA/ASR); WebhookKeyFile holds the HMAC-SM3 key.
	WebhookURL     string `yaml:"webhook_url"`
	WebhookKeyFile string `yaml:"webhook_key_file"`
}

// RecordingOverride sets the policy for a tenant, an extension, or an
// extension within a tenant.
type RecordingOverride struct {
	Tenant    string `yaml:"tenant"`
	Extension string `yaml:"extension"`
	Policy    string `yaml:"policy"`
}

// Agent is one contact-centre agent.
type Agent struct {
	ID        string         `yaml:"id"`
	Name      string         `yaml:"name"`
	Extension string         `yaml:"extension"`
	Skills    map[string]int `yaml:"skills"` // skill → level 1..100
}

// Queue is one ACD queue. Strategy and Overflow are checked by the ACD at start.
type Queue struct {
	Name          string        `yaml:"name"`
	Strategy      string        `yaml:"strategy"` // ring-all, longest-idle, round-robin, fewest-calls, skills, sequential
	Agents        []string      `yaml:"agents"`   // member agent ids (empty: every agent with Skill)
	Skill         string        `yaml:"skill"`
	MinLevel      int           `yaml:"min_level"`
	RingTimeout   time.Duration `yaml:"ring_timeout"`
	WrapUp        time.Duration `yaml:"wrap_up"`
	MaxWait       time.Duration `yaml:"max_wait"`
	Overflow      string        `yaml:"overflow"` // queue:ID, extension:N, voicemail:BOX, ivr:FLOW, hangup
	AnnounceEvery time.Duration `yaml:"announce_every"`
	CallbackAfter time.Duration `yaml:"callback_after"`
	SLThreshold   time.Duration `yaml:"sl_threshold"`
	// SLAbandons is how callers who hang up while waiting count in the
	// service level: short (the default: those under short_abandon are
	// left out, the rest fail), failures (every one fails) or ignored.
	SLAbandons string `yaml:"sl_abandons"`
	// ShortAbandon is the wait under which an abandon is short (default:
	// sl_threshold).
	ShortAbandon time.Duration `yaml:"short_abandon"`
}

// NotReadyReason is a not-ready reason an agent may choose; Max is how long
// the break may last before the supervisors are alerted (0: no limit).
type NotReadyReason struct {
	Code string        `yaml:"code"`
	Max  time.Duration `yaml:"max"`
}

// Queues configures the waiting side of every tenant's ACD queues.
type Queues struct {
	Prompts QueuePrompts `yaml:"prompts"`
}

// QueuePrompts are spoken (TTS) to a caller waiting in a queue.
type QueuePrompts struct {
	// Position is the periodic announcement (queues' announce_every):
	// {ahead} is the number of callers before this one, {minutes} the
	// expected wait rounded to whole minutes.
	Position string `yaml:"position"`
	// CallbackOffer asks the caller to press CallbackKey for a callback
	// (queues' callback_after); CallbackBooked confirms it before hanging up.
	CallbackOffer  string `yaml:"callback_offer"`
	CallbackKey    string `yaml:"callback_key"`
	CallbackBooked string `yaml:"callback_booked"`
}

// WebRTC configures the browser agents' media: the CTI's webrtc.open ends
// in a DTLS-SRTP session with the PBX, ICE-lite on one UDP port.
type WebRTC struct {
	// Disabled turns browser agents off: webrtc.open answers unavailable.
	Disabled bool `yaml:"disabled"`
	// UDP is the host:port every browser's ICE, DTLS and SRTP arrive on (one
	// port for all sessions, demultiplexed by ICE username). The host must
	// be a concrete address; an empty value means rtp.bind_ip with a port
	// the OS picks (logged at start), fine for tests, not for a firewall.
	UDP string `yaml:"udp"`
	// PublicIP is written in the ICE candidate instead of UDP's host when
	// the PBX is behind a 1:1 NAT.
	PublicIP string `yaml:"public_ip"`
	// ReattachTimeout is how long a call waits, its customer hearing a hold
	// tone, for an agent whose page reloaded or network changed to send
	// webrtc.open again; then the call ends (agent_gone) and the agent goes
	// not ready. Default 60s.
	ReattachTimeout time.Duration `yaml:"reattach_timeout"`
}

// CTI configures the websocket hub.
type CTI struct {
	// TokensFile holds "TOKEN ROLE TENANT [AGENT]" lines (mode 0600); demo mode creates it.
	TokensFile string `yaml:"tokens_file"`
	// Recheck is how often a live connection's credential is checked again:
	// a revoked or expired API token ends the connection within it (1m).
	Recheck time.Duration `yaml:"recheck"`
}
