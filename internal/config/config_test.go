package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

const good = `
data_dir: /tmp/x
sip:
  udp: 127.0.0.1:5060
  tcp: 127.0.0.1:5060
http:
  addr: 127.0.0.1:8080
tenants:
  - name: demo
    domains: [127.0.0.1]
    extensions: ["1001-1003", "2000"]
`

func TestParseGoodAppliesDefaultsAndEnv(t *testing.T) {
	cfg, err := Parse("demo.yaml", []byte(good), []string{"YIMEN_SIP_UDP=127.0.0.5:5070", "YIMEN_RTP_PORT_MIN=30000", "YIMEN_RTP_PORT_MAX=30999", "YIMEN_CALLS_MEDIA_TIMEOUT=7s", "YIMEN_GUARD_ALLOW=10.0.0.0/8, 127.0.0.1", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SIP.UDP != "127.0.0.5:5070" || cfg.RTP.PortMin != 30000 || cfg.Calls.MediaTimeout != 7*time.Second {
		t.Fatalf("env overrides not applied: %+v %+v %+v", cfg.SIP, cfg.RTP, cfg.Calls)
	}
	if len(cfg.Guard.AllowPrefixes()) != 2 {
		t.Fatalf("allow = %v", cfg.Guard.Allow)
	}
	if cfg.SIP.Realm != "yimen" || cfg.SIP.MaxContacts != 5 {
		t.Fatalf("defaults missing: %+v", cfg.SIP)
	}
	exts, _ := cfg.Tenants[0].ExtensionList()
	if strings.Join(exts, ",") != "1001,1002,1003,2000" {
		t.Fatalf("extensions = %v", exts)
	}
}

func TestValidationErrorNamesKeyAndLine(t *testing.T) {
	bad := strings.Replace(good, "udp: 127.0.0.1:5060", "udp: nonsense", 1)
	_, err := Parse("demo.yaml", []byte(bad), nil)
	if err == nil || !strings.Contains(err.Error(), "demo.yaml:4: sip.udp:") {
		t.Fatalf("err = %v, want it to name demo.yaml:4 and sip.udp", err)
	}
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("want ErrInvalid")
	}
	bad = strings.Replace(good, `"2000"`, `"20x0"`, 1)
	_, err = Parse("demo.yaml", []byte(bad), nil)
	if err == nil || !strings.Contains(err.Error(), "demo.yaml:11: tenants[0].extensions:") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownKeyAndBadYAMLRejected(t *testing.T) {
	_, err := Parse("x.yaml", []byte(good+"\nsipp:\n  udp: 1\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "line 13") {
		t.Fatalf("unknown key: err = %v", err)
	}
	_, err = Parse("x.yaml", []byte("sip: [unclosed"), nil)
	if err == nil {
		t.Fatal("bad yaml accepted")
	}
}

func TestEnvBadValueNamesVariable(t *testing.T) {
	_, err := Parse("x.yaml", []byte(good), []string{"YIMEN_RTP_PORT_MIN=lots"})
	if err == nil || !strings.Contains(err.Error(), "YIMEN_RTP_PORT_MIN") || !strings.Contains(err.Error(), "rtp.port_min") {
		t.Fatalf("err = %v", err)
	}
}

func TestValidateCatchesManyProblemsAtOnce(t *testing.T) {
	c := Defaults()
	c.SIP.DigestAlgs = []string{"SHA1"}
	c.RTP.Codecs = []string{"G729"}
	err := c.Validate()
	for _, want := range []string{"sip.digest_algorithms[0]", "rtp.codecs[0]", "tenants", "sip: at least one listener"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestExtensionRanges(t *testing.T) {
	for _, bad := range [][]string{{"1010-1001"}, {"10-1001"}, {"1001", "1001"}, {"abc"}, {"1-"}} {
		if _, err := (Tenant{Extensions: bad}).ExtensionList(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	got, err := Tenant{Extensions: []string{"0998-1001"}}.ExtensionList()
	if err != nil || strings.Join(got, ",") != "0998,0999,1000,1001" {
		t.Fatalf("got %v %v", got, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("tenants:\n  - name: x\n    extensions: [\"1-9\"]\nsip:\n  udp: 1.2.3.4:5\n"))
	f.Add([]byte("sip: [unclosed"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data, nil)
		if err != nil {
			return
		}
		// Anything accepted must validate again and expand its extensions.
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config fails validation: %v", err)
		}
		for _, tn := range cfg.Tenants {
			if _, err := tn.ExtensionList(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestQueuePromptsDefaultOverrideAndValidate(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Queues.Prompts; p.Position != "您前面还有{ahead}位，预计等待{minutes}分钟" || p.CallbackKey != "1" || p.CallbackOffer == "" || p.CallbackBooked == "" {
		t.Fatalf("queue prompt defaults = %+v", p)
	}
	yml := good + "queues:\n  prompts:\n    position: \"{ahead} ahead of you\"\n    callback_key: \"#\"\n"
	cfg, err = Parse("x.yaml", []byte(yml), []string{"YIMEN_QUEUES_PROMPTS_CALLBACK_BOOKED=bye"})
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Queues.Prompts; p.Position != "{ahead} ahead of you" || p.CallbackKey != "#" || p.CallbackBooked != "bye" || p.CallbackOffer != "如需预约回电，请按1" {
		t.Fatalf("queue prompts = %+v", p)
	}
	bad := good + "queues:\n  prompts:\n    position: \"{place} in line\"\n    callback_key: \"12\"\n    callback_offer: \" \"\n"
	_, err = Parse("x.yaml", []byte(bad), nil)
	for _, want := range []string{"x.yaml:14: queues.prompts.position:", "x.yaml:15: queues.prompts.callback_key:", "x.yaml:16: queues.prompts.callback_offer:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestCallLimitsDefaultsAndValidation(t *testing.T) {
	cfg, err := Parse("demo.yaml", []byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Calls.MaxPerExtension != 8 || cfg.Calls.ReservePercent != 10 || cfg.Calls.MaxPerTenant != 0 || cfg.Calls.MaxPerSource != 0 {
		t.Errorf("call limit defaults = %+v", cfg.Calls)
	}
	// 20000-29999: 5000 RTP+RTCP pairs, 2500 calls, 250 kept in reserve.
	if b := cfg.RTP.Bridges(); b != 2500 || cfg.Calls.Reserve(b) != 250 {
		t.Errorf("bridges = %d, reserve = %d; want 2500 and 250", b, cfg.Calls.Reserve(b))
	}
	if b := (RTP{PortMin: 30001, PortMax: 30100}).Bridges(); b != 24 {
		t.Errorf("an odd port_min starts at the next even port: %d calls, want 24", b)
	}
	for _, c := range []struct{ yaml, key string }{
		{"calls: {max_per_extension: -1}", "demo.yaml:12: calls.max_per_extension:"},
		{"calls: {max_per_tenant: -2}", "demo.yaml:12: calls.max_per_tenant:"},
		{"calls: {max_per_source: -3}", "demo.yaml:12: calls.max_per_source:"},
		{"calls: {reserve_percent: 51}", "demo.yaml:12: calls.reserve_percent:"},
	} {
		_, err := Parse("demo.yaml", []byte(good+c.yaml+"\n"), nil)
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: err = %v, want it to name %q", c.yaml, err, c.key)
		}
	}
	cfg, err = Parse("demo.yaml", []byte(good+"calls: {max_per_extension: 0, reserve_percent: 0}\n"), []string{"YIMEN_CALLS_MAX_PER_SOURCE=4"})
	if err != nil || cfg.Calls.MaxPerExtension != 0 || cfg.Calls.ReservePercent != 0 || cfg.Calls.MaxPerSource != 4 {
		t.Errorf("0 turns a cap off, env sets one: %+v, %v", cfg.Calls, err)
	}
}

func TestContactNetworksValidatedAndLoopbackSeen(t *testing.T) {
	_, err := Parse("demo.yaml", []byte(good+"sip_extra: 1\n"), nil)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	bad := strings.Replace(good, "  tcp: 127.0.0.1:5060\n", "  tcp: 127.0.0.1:5060\n  contact_networks: [10.0.0.0/8, nonsense]\n", 1)
	_, err = Parse("demo.yaml", []byte(bad), nil)
	if err == nil || !strings.Contains(err.Error(), "sip.contact_networks[1]") {
		t.Fatalf("err = %v, want it to name sip.contact_networks[1]", err)
	}
	cfg, err := Parse("demo.yaml", []byte(strings.Replace(bad, ", nonsense", ", 192.0.2.7", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.SIP.ContactPrefixes(); len(p) != 2 || p[1].Bits() != 32 {
		t.Errorf("contact prefixes = %v", p)
	}
	if !cfg.SIP.OnLoopback() {
		t.Error("listeners on 127.0.0.1 not seen as loopback")
	}
	if (SIP{UDP: "0.0.0.0:5060", TCP: "192.0.2.1:5060"}).OnLoopback() {
		t.Error("listeners off loopback seen as loopback")
	}
}

func TestSRTPPolicyValidated(t *testing.T) {
	withTLS := strings.Replace(good, "  tcp: 127.0.0.1:5060\n", "  tcp: 127.0.0.1:5060\n  tls: 127.0.0.1:5061\n  tls_cert: testdata/none.crt\n  tls_key: testdata/none.key\n", 1)
	for _, c := range []struct{ base, tenant, key string }{
		{good, "    srtp: always\n", "tenants[0].srtp:"},
		{good, "    srtp: required\n", "needs sip.tls"},
		{good, "    srtp_required: [\"1001\"]\n", "needs sip.tls"},
		{withTLS, "    srtp_required: [\"1003-1001\"]\n", "tenants[0].srtp_required:"},
	} {
		_, err := Parse("demo.yaml", []byte(c.base+c.tenant), nil)
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%q: err = %v, want it to name %q", c.tenant, err, c.key)
		}
	}
	cfg, err := Parse("demo.yaml", []byte(good+"    srtp: off\n"), nil)
	if err != nil || cfg.Tenants[0].SRTP != "off" {
		t.Fatalf("srtp: off over UDP alone: %v", err)
	}
}
