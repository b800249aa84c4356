package guard

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestAuthFailuresFromOneIPBanIt(t *testing.T) {
	h := newHarness(t, newFakeStore(), func(c *Config) { c.AuthFailuresPerIP = 3; c.AuthFailuresPerAccount = 100 })
	ctx := context.Background()
	ip := netip.MustParseAddr("203.0.113.7")
	for i, acct := range []string{"1001", "1002"} {
		h.g.AuthFailure(ctx, ip, acct)
		if h.g.Banned(ip) {
			t.Fatalf("banned after %d failures, threshold is 3", i+1)
		}
	}
	h.g.AuthFailure(ctx, ip, "1003")
	if !h.g.Banned(ip) {
		t.Fatal("not banned after 3 failures from one IP")
	}
	if b := h.g.Bans(); len(b) != 1 || b[0].Reason != "auth failures from ip" {
		t.Errorf("bans = %+v", b)
	}
	if v := h.metric(t, "yimen_sip_auth_failures_total", ""); v != 3 {
		t.Errorf("auth failures metric = %v, want 3", v)
	}
	if v := h.metric(t, "yimen_guard_bans_total", ""); v != 1 {
		t.Errorf("bans metric = %v, want 1", v)
	}
	var aud banLog
	h.g.SetBanAuditor(&aud)
	h.g.flush(ctx)
	if _, ok := h.store.get(ip); !ok {
		t.Error("automatic ban not persisted by flush")
	}
	if len(aud) != 1 || aud[0].IP != ip || aud[0].Reason != "auth failures from ip" {
		t.Errorf("audited bans = %+v, want the one ban", aud)
	}
	h.g.flush(ctx)
	if len(aud) != 1 {
		t.Errorf("a ban audited %d times", len(aud))
	}
}

type banLog []Ban

func (l *banLog) AutoBan(_ context.Context, b Ban) { *l = append(*l, b) }

func TestAuthFailuresSpreadOverWindowsDoNotBan(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.AuthFailuresPerIP = 3; c.FailureWindow = time.Minute })
	ip := netip.MustParseAddr("203.0.113.7")
	for range 6 {
		h.g.AuthFailure(context.Background(), ip, "1001x")
		h.clock.Advance(40 * time.Second) // two per window at most
	}
	if h.g.Banned(ip) {
		t.Error("banned although no window held 3 failures")
	}
}

func TestAuthFailuresAgainstOneAccountBanTheGuessingIPs(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.AuthFailuresPerIP = 100; c.AuthFailuresPerAccount = 2 })
	ctx := context.Background()
	a, b, c := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3")
	h.g.AuthFailure(ctx, a, "1001")
	if h.g.Banned(a) {
		t.Fatal("first failure banned")
	}
	h.g.AuthFailure(ctx, b, "1001")
	if !h.g.Banned(b) {
		t.Fatal("IP reaching the account threshold not banned")
	}
	if h.g.Banned(a) {
		t.Error("earlier IP banned retroactively")
	}
	h.g.AuthFailure(ctx, c, "1001")
	if !h.g.Banned(c) {
		t.Error("next guessing IP not banned while the account is under attack")
	}
	if bans := h.g.Bans(); len(bans) != 2 || bans[0].Reason != "auth failures on account 1001" {
		t.Errorf("bans = %+v", bans)
	}

	// The account is never locked: its owner succeeds from elsewhere, which
	// also clears the account's count.
	owner := netip.MustParseAddr("198.51.100.50")
	h.g.AuthSuccess(owner, "1001")
	h.g.AuthFailure(ctx, owner, "1001")
	if h.g.Banned(owner) {
		t.Error("owner banned for one typo after a success cleared the account count")
	}
}

func TestAuthSuccessKeepsTheIPCount(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.AuthFailuresPerIP = 2; c.AuthFailuresPerAccount = 100 })
	ctx := context.Background()
	ip := netip.MustParseAddr("203.0.113.9")
	h.g.AuthFailure(ctx, ip, "1001")
	h.g.AuthSuccess(ip, "2002") // one good credential
	h.g.AuthFailure(ctx, ip, "1003")
	if !h.g.Banned(ip) {
		t.Error("a success on one account reset the IP's guesses at others")
	}
}

func TestAllowListedIPIsCountedButNeverBanned(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) {
		c.AuthFailuresPerIP = 2
		c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	})
	ctx := context.Background()
	ip := netip.MustParseAddr("10.1.2.3")
	for range 10 {
		h.g.AuthFailure(ctx, ip, "1001")
	}
	if h.g.Banned(ip) {
		t.Error("allow-listed IP banned")
	}
	if v := h.metric(t, "yimen_sip_auth_failures_total", ""); v != 10 {
		t.Errorf("auth failures metric = %v, want 10", v)
	}
	if n := strings.Count(h.logs.String(), `msg="sip auth failure" ip=10.1.2.3`); n != 10 {
		t.Errorf("%d failure lines logged, want 10", n)
	}
	// IPv4-mapped IPv6 is the same address.
	if h.g.Banned(netip.MustParseAddr("::ffff:10.1.2.3")) {
		t.Error("mapped form banned")
	}
}

func TestAuthFailureLogRedactsPhoneNumbers(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.g.AuthFailure(context.Background(), netip.MustParseAddr("203.0.113.7"), "13800138000")
	logs := h.logs.String()
	if strings.Contains(logs, "13800138000") {
		t.Errorf("full phone number logged:\n%s", logs)
	}
	if !strings.Contains(logs, "account=138******00") {
		t.Errorf("redacted account missing:\n%s", logs)
	}
}

func TestRedactAccount(t *testing.T) {
	long := strings.Repeat("9", 80)
	for _, tc := range []struct{ in, want string }{
		{"1001", "1001"},
		{"alice", "alice"},
		{"123456", "123456"},
		{"1234567", "123**67"},
		{"13800138000", "138******00"},
		{"+86 138-0013-8000", "+86 1**-****-**00"},
		{"user13800138000", "user138******00"},
		{"1001-1002", "100*-**02"}, // 8 digits: could be a number, so masked
		{"10.1.2.3", "10.1.2.3"},
		{long, "999" + strings.Repeat("*", 59) + "99…"},
		{strings.Repeat("é", 40), strings.Repeat("é", 32) + "…"},
	} {
		if got := redactAccount(tc.in); got != tc.want {
			t.Errorf("redactAccount(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
