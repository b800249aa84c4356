package b2bua

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The supervisor loop hangs up a silent call, except while it is on hold.
// Nothing sends RTP here, so every answered call is silent.
func TestMediaTimeoutSparesHeldCalls(t *testing.T) {
	h, c, f := answered(t, nil, func(cfg *Config) { cfg.MediaTimeout = 40 * time.Millisecond })
	c.reinvite(f, "sendonly", "recvonly")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.m.supervise(ctx)
	h.clock.advance(time.Minute)
	time.Sleep(100 * time.Millisecond) // ten rounds of the loop
	h.none(sip.BYE, "")
	c.reinvite(f, "", "")
	h.clock.advance(time.Minute)
	h.take(sip.BYE, c.callID)
	h.take(sip.BYE, f.callID())
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "system", CauseMediaTimeout, 200)
}

func TestMaxDuration(t *testing.T) {
	h, c, f := answered(t, nil, func(cfg *Config) { cfg.MaxDuration = time.Hour; cfg.MediaTimeout = 40 * time.Millisecond })
	c.reinvite(f, "sendonly", "recvonly") // held: no media timeout, but a limit still
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.m.supervise(ctx)
	h.clock.advance(time.Hour)
	h.take(sip.BYE, c.callID)
	h.take(sip.BYE, f.callID())
	cdr := h.cdr(c.callID)
	wantCDR(t, cdr, DispositionAnswered, "system", CauseMaxDuration, 200)
	if cdr.Hold != time.Hour {
		t.Errorf("hold %s, want the hour it was held", cdr.Hold)
	}
}
