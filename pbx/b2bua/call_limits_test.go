package b2bua

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/yimen/yimen/internal/errs"
)

// ringingCall dials from → callee and waits until the callee's phone rings.
func ringingCall(t *testing.T, h *harness, from, callee string) (*caller, *forked) {
	t.Helper()
	c := h.dial(from, callee)
	f := h.fork(callee)
	f.respond(180, nil)
	c.expect(180)
	return c, f
}

// refused dials from → callee and wants the INVITE refused with code
// before any phone is rung, a Warning naming the limit, and a CDR.
func refused(t *testing.T, h *harness, from, callee string, code int, disp Disposition, warning string) *sip.Response {
	t.Helper()
	c := h.dial(from, callee)
	res := c.expect(code)
	c.finished()
	if w := res.GetHeader("Warning"); w == nil || !strings.Contains(w.Value(), warning) {
		t.Errorf("the %d carries Warning %v, want it to say %q", code, w, warning)
	}
	wantCDR(t, h.cdr(c.callID), disp, "system", CauseRejected, code)
	return res
}

func refusals(h *harness, reason string) float64 {
	return testutil.ToFloat64(h.m.m.refused.WithLabelValues(reason))
}

// An extension holding its cap of calls is refused the next with 486,
// before a bridge is taken or a phone rung; another extension still
// calls; a call's end gives its place back.
func TestCallLimitPerExtensionRefusesBusyAndReleasesAtEnd(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}, "1004": {contact("1004", 5074)}}, func(c *Config) {
		c.Limits = Limits{PerExtension: 2, Bridges: 25}
	})
	first, _ := ringingCall(t, h, "1001", "1002")
	ringingCall(t, h, "1001", "1002")
	res := refused(t, h, "1001", "1002", 486, DispositionRejected, "call limit of this extension")
	if res.GetHeader("Retry-After") != nil {
		t.Error("a 486 for the caller's own limit carries Retry-After")
	}
	h.none(sip.INVITE, "")
	if n := refusals(h, "extension"); n != 1 {
		t.Errorf("call_refusals_total{reason=extension} = %v, want 1", n)
	}
	if h.m.Active() != 2 {
		t.Errorf("%d calls tracked, want the 2 admitted", h.m.Active())
	}

	ringingCall(t, h, "1003", "1004") // another account is not affected

	first.tx.cancel()
	first.finished()
	h.take(sip.CANCEL, "")
	h.cdr(first.callID)
	ringingCall(t, h, "1001", "1002") // the cancelled call's place is free again
	if n := refusals(h, "extension"); n != 1 {
		t.Errorf("call_refusals_total{reason=extension} = %v after the release, want still 1", n)
	}
}

// One source address is capped whatever account its calls authenticate as.
func TestCallLimitPerSourceAddress(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, func(c *Config) {
		c.Limits = Limits{PerExtension: 8, PerSource: 2, Bridges: 25}
	})
	h.source = "192.0.2.7:5070"
	ringingCall(t, h, "1001", "1002")
	ringingCall(t, h, "1003", "1002")
	refused(t, h, "1004", "1002", 486, DispositionRejected, "call limit of this address")
	h.source = "192.0.2.8:5070"
	ringingCall(t, h, "1004", "1002")
	if n := refusals(h, "source"); n != 1 {
		t.Errorf("call_refusals_total{reason=source} = %v, want 1", n)
	}
}

// A tenant over its cap, or over the pool less the reserve, gets 503 with
// Retry-After: a capacity matter, not the caller's.
func TestCallLimitPerTenantAndPoolReserve(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, func(c *Config) {
		c.Limits = Limits{PerTenant: 3, Bridges: 4, Reserve: 2}
	})
	ringingCall(t, h, "1001", "1002")
	ringingCall(t, h, "1003", "1002")
	res := refused(t, h, "1004", "1002", 503, DispositionFailed, "media ports reserved")
	if ra := res.GetHeader("Retry-After"); ra == nil || ra.Value() != limitRetryAfter {
		t.Errorf("503 for the pool reserve: Retry-After %v, want %s", ra, limitRetryAfter)
	}
	if n := refusals(h, "pool_reserve"); n != 1 {
		t.Errorf("call_refusals_total{reason=pool_reserve} = %v, want 1", n)
	}

	h2 := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, func(c *Config) {
		c.Limits = Limits{PerTenant: 1, Bridges: 25}
	})
	ringingCall(t, h2, "1001", "1002")
	res = refused(t, h2, "1003", "1002", 503, DispositionFailed, "call limit of this tenant")
	if res.GetHeader("Retry-After") == nil {
		t.Error("503 for the tenant cap without Retry-After")
	}
	if n := refusals(h2, "tenant"); n != 1 {
		t.Errorf("call_refusals_total{reason=tenant} = %v, want 1", n)
	}
}

// The reserve is kept for calls answered by the PBX's applications: an
// application call is admitted where a call to an extension is not.
func TestCallLimitReserveAdmitsApplications(t *testing.T) {
	a := newAdmission(Limits{Bridges: 3, Reserve: 1})
	for range 2 {
		if _, why := a.admit("t1", "1001", netip.MustParseAddr("192.0.2.1"), false); why != refusalNone {
			t.Fatalf("refused %v under the share", why)
		}
	}
	if _, why := a.admit("t1", "1001", netip.MustParseAddr("192.0.2.1"), false); why != refusalPool {
		t.Fatalf("a third call to an extension: %v, want pool_reserve", why)
	}
	s, why := a.admit("t1", "1001", netip.MustParseAddr("192.0.2.1"), true)
	if why != refusalNone {
		t.Fatalf("a call to a queue refused %v: the reserve is kept for it", why)
	}
	if _, why := a.admit("t2", "1001", netip.MustParseAddr("192.0.2.9"), false); why != refusalNone {
		t.Fatalf("another tenant refused %v", why)
	}
	a.release(s)
	a.release(nil)
	if a.tenant["t1"] != 2 || a.ext[extKey{"t1", "1001"}] != 2 || a.source[netip.MustParseAddr("192.0.2.1")] != 2 {
		t.Errorf("counts after a release: tenant %d, ext %d, source %d; want 2 each", a.tenant["t1"], a.ext[extKey{"t1", "1001"}], a.source[netip.MustParseAddr("192.0.2.1")])
	}
}

// A call the PBX places for an extension (click-to-dial, a callback, a
// supervisor's monitor) counts against that extension's limit like one
// it dialled.
func TestCallLimitCoversOriginatedCalls(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}, "1003": {contact("1003", 5074)}}, func(c *Config) {
		c.Limits = Limits{PerExtension: 1, Bridges: 25}
	})
	if _, err := h.m.Originate(context.Background(), "t1", "1002", "1003", ""); err != nil {
		t.Fatal(err)
	}
	agent := h.fork("1002")
	agent.respond(180, nil)
	if _, err := h.m.Originate(context.Background(), "t1", "1002", "1004", ""); !errors.Is(err, errs.ErrUnavailable) {
		t.Fatalf("a second call placed for 1002 over its limit of 1: %v, want ErrUnavailable", err)
	}
	h.none(sip.INVITE, "")
	if n := refusals(h, "extension"); n != 1 {
		t.Errorf("call_refusals_total{reason=extension} = %v, want 1", n)
	}
	agent.respond(603, nil) // the agent declines: the call ends, its place is free
	h.cdr(agent.callID())
	if _, err := h.m.Originate(context.Background(), "t1", "1002", "1004", ""); err != nil {
		t.Fatalf("after the first call ended: %v", err)
	}
	h.fork("1002")
}
