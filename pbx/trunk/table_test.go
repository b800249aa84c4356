package trunk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
)

type alarmLog []string

func (a *alarmLog) TrunkAlarm(_ context.Context, tenant, action, target, detail string) {
	*a = append(*a, tenant+" "+action+" "+target+" "+detail)
}

func testManager(t *testing.T, now time.Time) (*Manager, *alarmLog) {
	t.Helper()
	cfg := config.Defaults()
	cfg.Tenants = []config.Tenant{{
		Name: "acme", Extensions: []string{"1001-1010"},
		TenantTrunks: config.TenantTrunks{
			AreaCode: "010",
			Trunks: []config.Trunk{
				{Name: "ct", Auth: "ip", Proxy: "127.0.13.1:5060", Addresses: []string{"127.0.13.0/29"}, NumberFormat: "e164", CallerIDFormat: "86", MaxCalls: 1, PAI: true},
				{Name: "cu", Auth: "register", Proxy: "127.0.13.9:5060", Username: "u", Password: "p", DialPrefix: "17909"},
			},
			DIDs: []config.DID{
				{Number: "+861058001000", Target: "8000", Hours: "mon-fri 09:00-18:00", AfterHours: "1002"},
				{Number: "01058001001", Target: "other/2001"},
			},
			CallerID:       "01058001000",
			CallerIDs:      map[string]string{"1005": "01058001001"},
			CallingClasses: map[string][]string{"1009": {"international", "mobile"}},
			Routes: []config.OutboundRoute{
				{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"ct", "cu"}},
				{Name: "fixed", Patterns: []string{"0"}, Trunks: []string{"cu"}},
				{Name: "abroad", Patterns: []string{"+"}, Trunks: []string{"cu"}},
			},
		},
	}, {Name: "other", Domains: []string{"other"}, Extensions: []string{"2001"}}}
	cfg.Tenants[0].Domains = []string{"acme"}
	cfg.SIP.UDP = "127.0.0.1:5060"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	a := &alarmLog{}
	m.SetAlarms(a)
	for _, tr := range m.all { // both carriers answering
		tr.optionsOK, tr.registered = true, true
		tr.settleLocked(now, "test")
	}
	return m, a
}

func TestInboundRouting(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	open := time.Date(2026, 12, 7, 10, 0, 0, 0, shanghai) // a Monday morning
	closed := time.Date(2026, 12, 6, 10, 0, 0, 0, shanghai)
	for _, c := range []struct {
		at                  time.Time
		src, did, caller    string
		tenant, num, normal string
	}{
		{open, "127.0.13.2", "861058001000", "+8613812345678", "acme", "8000", "13812345678"},
		{closed, "127.0.13.2", "01058001000", "58009999", "acme", "1002", "01058009999"},
		{open, "127.0.13.9", "+86 10 5800 1001", "anonymous", "other", "2001", Anonymous},
	} {
		m, _ := testManager(t, c.at)
		in, ok, err := m.Inbound(netip.MustParseAddr(c.src), c.did, "", c.caller)
		if !ok || err != nil {
			t.Fatalf("Inbound(%s, %s): ok %v err %v", c.src, c.did, ok, err)
		}
		if in.Tenant != c.tenant || in.Number != c.num || in.Caller != c.normal || in.RawCaller != c.caller {
			t.Errorf("Inbound(%s, %s, %s) = %+v; want %s/%s from %s", c.src, c.did, c.caller, *in, c.tenant, c.num, c.normal)
		}
		in.Release()
	}
	m, _ := testManager(t, open)
	if _, ok, _ := m.Inbound(netip.MustParseAddr("127.0.14.1"), "01058001000", "", "1"); ok {
		t.Error("a foreign source was taken for a carrier")
	}
	if _, _, err := m.Inbound(netip.MustParseAddr("127.0.13.2"), "01099999999", "", "1"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown DID: %v, want ErrNotFound", err)
	}
	in, _, _ := m.Inbound(netip.MustParseAddr("127.0.13.2"), "01058001000", "", "1")
	if _, _, err := m.Inbound(netip.MustParseAddr("127.0.13.2"), "01058001000", "", "1"); !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("second call on a one-call trunk: %v, want ErrUnavailable", err)
	}
	in.Release()
	// A register trunk's carrier calls the registered Contact; the DID is in To.
	if in3, _, err := m.Inbound(netip.MustParseAddr("127.0.13.9"), "u", "01058001001", "1"); err != nil || in3.Tenant != "other" || in3.Number != "2001" {
		t.Errorf("DID in To: %+v, %v", in3, err)
	} else {
		in3.Release()
	}
	if in2, _, err := m.Inbound(netip.MustParseAddr("127.0.13.2"), "01058001000", "", "1"); err != nil {
		t.Errorf("after release: %v", err)
	} else {
		in2.Release()
	}
}

func TestOutboundRouting(t *testing.T) {
	m, alarms := testManager(t, time.Now())
	ctx := context.Background()
	p, err := m.Outbound(ctx, "acme", "1001", "013812345678")
	if err != nil {
		t.Fatal(err)
	}
	leg, ok, _ := p.Next()
	if !ok || leg.Trunk != "ct" || leg.User != "+8613812345678" || leg.CallerID != "861058001000" || p.Route != "mobile" || p.Class != ClassMobile {
		t.Fatalf("first leg %+v (route %s class %s)", leg, p.Route, p.Class)
	}
	if len(leg.Headers) != 1 || leg.Headers[0] != [2]string{"P-Asserted-Identity", "<sip:861058001000@127.0.13.1>"} {
		t.Errorf("headers %v", leg.Headers)
	}
	leg, ok, _ = p.Next()
	if !ok || leg.Trunk != "cu" || leg.User != "1790913812345678" || leg.CallerID != "01058001000" {
		t.Fatalf("failover leg %+v", leg)
	}
	if _, ok, _ = p.Next(); ok {
		t.Fatal("a third leg on a two-trunk route")
	}
	p.End()

	// The extension's own caller ID, a fixed line through the second route.
	p, err = m.Outbound(ctx, "acme", "1005", "58001234")
	if err != nil {
		t.Fatal(err)
	}
	if leg, _, _ := p.Next(); leg.User != "1790901058001234" || leg.CallerID != "01058001001" || p.Class != ClassLocal {
		t.Errorf("local call leg %+v class %s", leg, p.Class)
	}
	p.End()

	// International: refused by default, allowed to 1009.
	if _, err := m.Outbound(ctx, "acme", "1001", "0014155550100"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("international from 1001: %v, want ErrForbidden", err)
	}
	if len(*alarms) == 0 || !strings.Contains((*alarms)[len(*alarms)-1], "trunk.blocked extension/1001 international") {
		t.Errorf("no audit alarm for the blocked call: %v", *alarms)
	}
	if strings.Contains(strings.Join(*alarms, "\n"), "4155550100") {
		t.Errorf("alarm holds the whole number: %v", *alarms)
	}
	p, err = m.Outbound(ctx, "acme", "1009", "0014155550100")
	if err != nil {
		t.Fatalf("international from 1009: %v", err)
	}
	p.End()
	// Premium numbers are blocked by default.
	if _, err := m.Outbound(ctx, "acme", "1001", "95555"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("premium: %v", err)
	}
	// Emergency always routes, through every trunk, even one down.
	m.all[0].mu.Lock()
	m.all[0].optionsOK = false
	m.all[0].settleLocked(time.Now(), "test")
	m.all[0].mu.Unlock()
	p, err = m.Outbound(ctx, "acme", "1001", "110")
	if err != nil {
		t.Fatal(err)
	}
	if leg, ok, _ := p.Next(); !ok || leg.Trunk != "ct" || leg.User != "110" {
		t.Errorf("emergency leg %+v", leg)
	}
	p.End()
	// A down trunk is skipped by ordinary routing.
	p, _ = m.Outbound(ctx, "acme", "1001", "13812345678")
	if leg, _, _ := p.Next(); leg.Trunk != "cu" {
		t.Errorf("down trunk not skipped: %+v", leg)
	}
	p.End()
	// No route for a number no pattern matches.
	if _, err := m.Outbound(ctx, "acme", "1001", "4008001234"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unrouted: %v", err)
	}
}

func TestTenantPerMinuteCap(t *testing.T) {
	m, alarms := testManager(t, time.Now())
	m.tables["acme"].caps.perMinute = 3
	for i := range 3 {
		p, err := m.Outbound(context.Background(), "acme", "1001", "13812345678")
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if _, ok, _ := p.Next(); !ok {
			t.Fatalf("call %d: no trunk", i+1)
		}
		p.End()
	}
	if _, err := m.Outbound(context.Background(), "acme", "1001", "13812345678"); !errors.Is(err, errs.ErrUnavailable) {
		t.Fatalf("fourth call in a minute: %v, want ErrUnavailable", err)
	}
	if !strings.Contains(strings.Join(*alarms, "\n"), "tenant_calls_per_minute") {
		t.Errorf("no alarm for the cap: %v", *alarms)
	}
}

func TestCompileErrorsNameKeys(t *testing.T) {
	cfg := config.Defaults()
	cfg.Tenants = []config.Tenant{{Name: "acme", Extensions: []string{"1001"}, TenantTrunks: config.TenantTrunks{
		Trunks:         []config.Trunk{{Name: "ct", Auth: "ip", Proxy: "127.0.13.1:5060", NumberFormat: "e.164"}},
		DIDs:           []config.DID{{Number: "01058001000", Target: "nobody/1"}},
		CallerID:       "01099999999",
		CallingClasses: map[string][]string{"1001": {"satellite"}},
		Routes:         []config.OutboundRoute{{Patterns: []string{"_1[3-"}, Trunks: []string{"ct"}}},
	}}}
	_, err := New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err == nil {
		t.Fatal("bad trunk config accepted")
	}
	for _, key := range []string{"tenants[0].trunks[0]", "tenants[0].dids[0].target", "tenants[0].caller_id", "tenants[0].calling_classes.1001[0]", "tenants[0].outbound_routes[0].patterns[0]"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestExtensionCapsAndFraudAlarm(t *testing.T) {
	now := time.Date(2026, 3, 3, 23, 50, 0, 0, time.FixedZone("CST", 8*3600))
	m, alarms := testManager(t, now)
	clock := now
	m.now = func() time.Time { return clock }
	tt := m.tables["acme"]
	tt.extPerMinute, tt.extPerDay = 2, 10*time.Minute
	ctx := context.Background()
	call := func(ext string, talk time.Duration) error {
		p, err := m.Outbound(ctx, "acme", ext, "13812345678")
		if err == nil {
			p.Talked(talk)
			p.End()
		}
		return err
	}
	last := func() string { return (*alarms)[len(*alarms)-1] }

	// Calls per minute: the third within the minute is refused.
	for i := range 2 {
		if err := call("1002", 0); err != nil {
			t.Fatalf("1002 call %d: %v", i+1, err)
		}
	}
	if err := call("1002", 0); !errors.Is(err, errs.ErrUnavailable) || !strings.Contains(last(), "over extension_calls_per_minute") {
		t.Fatalf("third call in a minute: %v (%s)", err, last())
	}
	// Minutes per day: 12 minutes talked, the next call is refused until
	// midnight in Beijing.
	if err := call("1001", 6*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := call("1001", 6*time.Minute); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(61 * time.Second)
	if err := call("1001", 0); !errors.Is(err, errs.ErrUnavailable) || !strings.Contains(last(), "over extension_minutes_per_day") {
		t.Fatalf("past the day's minutes: %v (%s)", err, last())
	}
	clock = now.Add(15 * time.Minute) // 00:05 the next day
	if err := call("1001", 0); err != nil {
		t.Fatalf("next day: %v", err)
	}
	// Three blocks of one extension within ten minutes: one fraud alarm,
	// not repeated by a fourth.
	for range 4 {
		if _, err := m.Outbound(ctx, "acme", "1003", "+14155550100"); !errors.Is(err, errs.ErrForbidden) {
			t.Fatal(err)
		}
		clock = clock.Add(2 * time.Minute)
	}
	all := strings.Join(*alarms, "\n")
	if n := strings.Count(all, "trunk.fraud_suspect extension/1003 extension 1003 had 3 calls blocked"); n != 1 {
		t.Errorf("%d fraud alarms for 1003, want 1: %v", n, *alarms)
	}
	if strings.Contains(all, "trunk.fraud_suspect extension/100") && strings.Count(all, "trunk.fraud_suspect") != 1 {
		t.Errorf("fraud alarm for an extension with fewer than 3 blocks: %v", *alarms)
	}
}

// A call the PBX places for a campaign may present another of the
// tenant's own DIDs, never a number the tenant does not hold.
func TestPlanPresentsOnlyTheTenantsOwnNumbers(t *testing.T) {
	m, _ := testManager(t, time.Now())
	ctx := context.Background()
	p, err := m.Outbound(ctx, "acme", "1001", "13812345678")
	if err != nil {
		t.Fatal(err)
	}
	if p.PresentAs("13900000000") || p.PresentAs("not a number") {
		t.Error("a number the tenant does not hold was taken as caller ID")
	}
	if !p.PresentAs("58001001") { // 010 5800 1001, written locally
		t.Fatal("the tenant's own DID was refused")
	}
	leg, ok, _ := p.Next()
	if !ok || leg.CallerID != "861058001001" {
		t.Errorf("leg %+v, want the chosen DID in the trunk's caller-id format", leg)
	}
	p.End()
}
