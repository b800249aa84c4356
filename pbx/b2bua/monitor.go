package b2bua

import (
	"context"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/prompt"
	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/mix"
)

// MonitorMode is how a supervisor joins an agent's call (callevent's, so the
// contact centre can name it without importing the B2BUA).
type MonitorMode = callevent.MonitorMode

// The monitor modes.
const (
	Listen  = callevent.Listen
	Whisper = callevent.Whisper
	Barge   = callevent.Barge
)

// Supervision decides who may monitor whom, and with which feature codes.
type Supervision interface {
	// Supervisor reports whether ext may monitor calls of tenant.
	Supervisor(tenant, ext string) bool
}

// SetSupervision enables monitoring by feature codes *1 (listen), *2
// (whisper) and *3 (barge) followed by the agent's extension.
func (m *Manager) SetSupervision(s Supervision) { m.supervision = s }

// monitorCode parses "*2 1002" style numbers: mode and the agent's extension.
func monitorCode(number string) (MonitorMode, string, bool) {
	if len(number) < 3 || number[0] != '*' {
		return 0, "", false
	}
	var mode MonitorMode
	switch number[1] {
	case '1':
		mode = Listen
	case '2':
		mode = Whisper
	case '3':
		mode = Barge
	default:
		return 0, "", false
	}
	return mode, strings.TrimSpace(number[2:]), true
}

// agentCall finds the connected call an extension is on, and that extension's side.
func (m *Manager) agentCall(tenant, ext string) (*call, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.calls {
		c.mu.Lock()
		ok := c.tenant == tenant && c.state == stateAnswered && c.winner != nil
		side := -1
		if ok && c.winner.ext == ext {
			side = sideB
		} else if ok && c.extOf(sideA) == ext && (!c.app || c.origin) {
			side = sideA
		}
		c.mu.Unlock()
		if side >= 0 {
			return c, side
		}
	}
	return nil, -1
}

// monitorApp is the application behind the feature codes.
type monitorApp struct {
	m      *Manager
	mode   MonitorMode
	target string // the agent's extension
}

// tapFunc adapts a function to media.Tap.
type tapFunc func(leg int, pkt []byte)

func (f tapFunc) OnRTP(leg int, pkt []byte) { f(leg, pkt) }

// Run joins the supervisor to the agent's call until either call ends.
func (a monitorApp) Run(ctx context.Context, sup *LocalCall) {
	m := a.m
	target, agentSide := m.agentCall(sup.c.tenant, a.target)
	if target == nil {
		m.log.Info("monitor: agent not on a call", "agent", a.target, "supervisor", sup.c.caller)
		return // the caller gets 480
	}
	if sup.c.aTx != nil { // dialled in with a feature code: answer it
		if err := sup.Answer(ctx); err != nil {
			return
		}
	}
	custSide := 1 - agentSide
	var customer, agent, supervisor mix.Source
	prev := target.bridge.Tap()
	target.bridge.SetTap(tapFunc(func(leg int, pkt []byte) {
		if leg == custSide {
			customer.PushRTP(pkt)
		} else {
			agent.PushRTP(pkt)
		}
		if prev != nil {
			prev.OnRTP(leg, pkt)
		}
	}))
	sup.c.bridge.SetTap(tapFunc(func(leg int, pkt []byte) {
		if leg == sideA {
			supervisor.PushRTP(pkt)
		}
	}))
	// In whisper the agent hears the mix, not the customer directly; in barge both do.
	if a.mode >= Whisper {
		target.bridge.SetHold(custSide, true)
	}
	if a.mode == Barge {
		target.bridge.SetHold(agentSide, true)
	}
	defer func() {
		target.bridge.SetHold(custSide, false)
		target.bridge.SetHold(agentSide, false)
		target.bridge.SetTap(prev)
	}()
	pt := target.codecs[0].PT
	toSup := prompt.NewStream(sup, sup.PayloadType())
	toAgent := prompt.NewStream(target.leg(agentSide), pt)
	toCust := prompt.NewStream(target.leg(custSide), pt)
	m.log.Info("monitor started", "call", target.id, "agent", a.target, "supervisor", sup.c.caller, "mode", int(a.mode))

	var fc, fa, fs mix.Frame
	buf := make([]byte, 0, mix.FrameSamples)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-target.done:
			return
		case <-tick.C:
		}
		customer.Pop(&fc)
		agent.Pop(&fa)
		supervisor.Pop(&fs)
		buf = mix.Encode(buf, sup.PayloadType(), &fc, &fa)
		_ = toSup.Send(buf)
		if a.mode >= Whisper {
			buf = mix.Encode(buf, pt, &fc, &fs)
			_ = toAgent.Send(buf)
		}
		if a.mode == Barge {
			buf = mix.Encode(buf, pt, &fa, &fs)
			_ = toCust.Send(buf)
		}
	}
}
