package trunk

import (
	"io"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
)

// TestShippedConfigsCompile: the trunk examples in configs/ are valid, so
// an operator who copies one starts from tables that compile.
func TestShippedConfigsCompile(t *testing.T) {
	cals, err := calendar.LoadAll(os.DirFS("../../configs/calendars"), ".")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("../../configs/production.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tenants[0].Trunks) != 2 || len(cfg.Tenants[0].Routes) != 2 {
		t.Fatalf("production example lost its trunks: %+v", cfg.Tenants[0].TenantTrunks)
	}
	cfg.Tenants[0].Trunks[1].PasswordFile = "" // /etc/yimen is not here
	cfg.Tenants[0].Trunks[1].Password = "x"
	if _, err := New(cfg, cals, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil); err != nil {
		t.Fatal(err)
	}
}

// TestDIDTimeVariantsFollowTheCalendar: with the shipped 2026 calendar, a
// DID open mon-fri 09:00-18:00 goes to its holiday target on the Spring
// Festival, to the main one on the make-up Saturday before it (调休), and
// after hours on an ordinary Saturday and on a weekday evening.
func TestDIDTimeVariantsFollowTheCalendar(t *testing.T) {
	cals, err := calendar.LoadAll(os.DirFS("../../configs/calendars"), ".")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.SIP.UDP = "127.0.0.1:5060"
	cfg.IVR.Calendars = "../../configs/calendars"
	cfg.Tenants = []config.Tenant{{Name: "acme", Extensions: []string{"1001-1003"}, TenantTrunks: config.TenantTrunks{
		Trunks: []config.Trunk{{Name: "ct", Auth: "ip", Proxy: "127.0.13.1:5060"}},
		DIDs: []config.DID{{Number: "01058001000", Target: "1001", Hours: "mon-fri 09:00-18:00", Calendar: "cn",
			AfterHours: "1002", Holiday: "1003"}},
	}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, cals, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for at, want := range map[string]string{
		"2026-02-18T10:00:00+08:00": "1003", // Spring Festival, a Wednesday
		"2026-02-14T10:00:00+08:00": "1001", // Saturday, a make-up workday
		"2026-02-28T10:00:00+08:00": "1001", // Saturday, the other make-up workday
		"2026-03-07T10:00:00+08:00": "1002", // an ordinary Saturday
		"2026-03-03T19:00:00+08:00": "1002", // Tuesday evening
		"2026-03-03T09:00:00+08:00": "1001", // Tuesday, opening time
		"2026-03-03T02:00:00+01:00": "1001", // the same day read in Beijing time (09:00)
	} {
		now, _ := time.Parse(time.RFC3339, at)
		m.PinDIDClock(func() time.Time { return now })
		in, _, err := m.Inbound(netip.MustParseAddr("127.0.13.1"), "+861058001000", "", "13800000000")
		if err != nil {
			t.Fatal(err)
		}
		if in.Number != want {
			t.Errorf("at %s the DID goes to %s, want %s", at, in.Number, want)
		}
		in.Release()
	}
}
