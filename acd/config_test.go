package acd_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
	"github.com/yimen/yimen/internal/errs"
)

func TestConfigValidationNamesTheField(t *testing.T) {
	base := func() acd.TenantConfig {
		return acd.TenantConfig{Tenant: "demo", Agents: agents(2), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(2)}}}
	}
	cases := []struct {
		field string
		edit  func(*acd.TenantConfig)
	}{
		{"tenant", func(c *acd.TenantConfig) { c.Tenant = "" }},
		{"agents[1].id", func(c *acd.TenantConfig) { c.Agents[1].ID = "a1" }},
		{"agents[0].endpoint", func(c *acd.TenantConfig) { c.Agents[0].Endpoint = "10 01" }},
		{"agents[0].skills", func(c *acd.TenantConfig) { c.Agents[0].Skills = map[string]int{"x": 0} }},
		{"queues[0].strategy", func(c *acd.TenantConfig) { c.Queues[0].Strategy = "random" }},
		{"queues[0].agents", func(c *acd.TenantConfig) { c.Queues[0].Agents = []string{"a9"} }},
		{"queues[0]", func(c *acd.TenantConfig) { c.Queues[0].Agents = nil }},
		{"queues[0].skill", func(c *acd.TenantConfig) { c.Queues[0].Strategy = acd.Skills }},
		{"queues[0].overflow", func(c *acd.TenantConfig) { c.Queues[0].MaxWait = time.Minute }},
		{"queues[0].overflow", func(c *acd.TenantConfig) {
			c.Queues[0].MaxWait, c.Queues[0].Overflow = time.Minute, acd.Target{Kind: acd.TargetQueue, Value: "q"}
		}},
		{"queues[1].id", func(c *acd.TenantConfig) { c.Queues = append(c.Queues, c.Queues[0]) }},
	}
	for _, tc := range cases {
		cfg := base()
		tc.edit(&cfg)
		a, err := acd.New(acd.Deps{Dialer: &acdtest.Dialer{}})
		if err != nil {
			t.Fatal(err)
		}
		err = a.AddTenant(context.Background(), cfg)
		a.Close()
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: err = %v, want ErrInvalid naming the field", tc.field, err)
		}
	}
	if _, err := acd.New(acd.Deps{}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("no dialer: %v", err)
	}
}

func TestParseTargetAndStrategy(t *testing.T) {
	good := map[string]acd.Target{
		"queue:complaints":  {Kind: acd.TargetQueue, Value: "complaints"},
		"VOICEMAIL:800":     {Kind: acd.TargetVoicemail, Value: "800"},
		" ivr:after_hours ": {Kind: acd.TargetIVR, Value: "after_hours"},
		"extension:1001":    {Kind: acd.TargetExtension, Value: "1001"},
		"hangup":            {Kind: acd.TargetHangup},
	}
	for in, want := range good {
		got, err := acd.ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "queue", "queue:", "hangup:now", "trunk:x", "ivr:a b", "queue:" + strings.Repeat("x", 65)} {
		if _, err := acd.ParseTarget(in); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("ParseTarget(%q) err = %v, want ErrInvalid", in, err)
		}
	}
	if s, err := acd.ParseStrategy(" Longest-Idle"); err != nil || s != acd.LongestIdle {
		t.Errorf("ParseStrategy = %q, %v", s, err)
	}
	if _, err := acd.ParseStrategy("random"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("ParseStrategy(random) = %v", err)
	}
}

// FuzzParseTarget: whatever parses prints back to the same target, and
// nothing panics.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"queue:complaints", "voicemail:800", "ivr:after_hours", "hangup", "extension:+8610", "x:y:z", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := acd.ParseTarget(s)
		if err != nil {
			return
		}
		again, err := acd.ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, tg, tg.String(), again, err)
		}
	})
}
