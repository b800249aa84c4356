package cti

import (
	"slices"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/pbx/callevent"
)

var (
	_ callevent.RingObserver     = (*Adapter)(nil)
	_ callevent.AnswerObserver   = (*Adapter)(nil)
	_ callevent.HoldObserver     = (*Adapter)(nil)
	_ callevent.EndObserver      = (*Adapter)(nil)
	_ callevent.TransferObserver = (*Adapter)(nil)
)

// agentOf finds the agent on a call: the one the ACD gave it to, else the
// agent bound to the callee's extension, else the caller's (outbound).
func (a *Adapter) agentOf(ci callevent.Call, m callMeta) string {
	if m.agent != "" {
		return m.agent
	}
	if a.dir == nil {
		return ""
	}
	if id, ok := a.dir.AgentByEndpoint(ci.Tenant, ci.Callee); ok {
		return id
	}
	if id, ok := a.dir.AgentByEndpoint(ci.Tenant, ci.Caller); ok {
		return id
	}
	return ""
}

// partiesOf is who hears of a call: its agent (agentOf) and, on a call
// between two agents' extensions, the other one too, so both bars follow it.
func (a *Adapter) partiesOf(ci callevent.Call, agent string) []string {
	out := nonEmpty(agent)
	if a.dir == nil {
		return out
	}
	for _, ext := range [...]string{ci.Callee, ci.Connected, ci.Caller} {
		if id, ok := a.dir.AgentByEndpoint(ci.Tenant, ext); ok && ext != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// CallRinging publishes call.ringing to the agent whose extension rings,
// for a call the ACD did not offer (a call to the extension, a transfer):
// a browser agent answers it from the bar as it would a queue call. A
// queue's offer was published by ACDEvent already.
func (a *Adapter) CallRinging(ev callevent.Ringing) {
	ci := ev.Call
	if a.dir == nil {
		return
	}
	agent, ok := a.dir.AgentByEndpoint(ci.Tenant, ev.Ext)
	if !ok {
		return
	}
	again := false
	a.track(ci.Tenant, ci.ID, func(m *callMeta) {
		again = m.rung == agent
		m.rung = agent
	})
	if again {
		return
	}
	m := a.lookup(ci.Tenant, ci.ID, false)
	data := protocol.CallRinging{Call: ci.ID, Agent: agent, Queue: m.queue, Caller: ci.Caller}
	if a.devices != nil && a.devices.Attached(ci.Tenant, agent) {
		data.Device = protocol.DeviceBrowser
	}
	a.publish(ci.Tenant, Event{Type: protocol.EventCallRinging, Agents: []string{agent}, Queues: nonEmpty(m.queue), Data: data})
}

// CallAnswered publishes call.answered.
func (a *Adapter) CallAnswered(ev callevent.Answered) {
	ci := ev.Call
	m := a.lookup(ci.Tenant, ci.ID, false)
	agent := a.agentOf(ci, m)
	a.publish(ci.Tenant, Event{Type: protocol.EventCallAnswered, Agents: a.partiesOf(ci, agent), Queues: nonEmpty(m.queue),
		Data: protocol.CallAnswered{Call: ci.ID, Agent: agent, Queue: m.queue, Caller: ci.Caller, Callee: ci.Callee, Answered: ts(ci.Answered)}})
}

// CallHold publishes call.held or call.resumed.
func (a *Adapter) CallHold(ev callevent.Hold) {
	ci := ev.Call
	m := a.lookup(ci.Tenant, ci.ID, false)
	agent := a.agentOf(ci, m)
	typ := protocol.EventCallResumed
	if ev.Held {
		typ = protocol.EventCallHeld
	}
	a.publish(ci.Tenant, Event{Type: typ, Agents: a.partiesOf(ci, agent), Queues: nonEmpty(m.queue),
		Data: protocol.CallHold{Call: ci.ID, Agent: agent}})
}

// CallEnded publishes call.ended with the CDR and forgets the call.
func (a *Adapter) CallEnded(ev callevent.Ended) {
	ci, cdr := ev.Call, ev.CDR
	m := a.lookup(ci.Tenant, ci.ID, true)
	agent := a.agentOf(ci, m)
	d := protocol.CallEnded{Call: ci.ID, Agent: agent, Queue: m.queue, Caller: cdr.Caller, Callee: cdr.Callee,
		Start: ts(cdr.Start), Answer: ts(cdr.Answer), End: ts(cdr.End), RingS: seconds(cdr.Ring), TalkS: seconds(cdr.Talk),
		HoldS: seconds(cdr.Hold), Disposition: cdr.Disposition, HangupSide: cdr.HangupSide, HangupCause: cdr.HangupCause, SIPCode: cdr.SIPCode}
	if !m.enqueued.IsZero() {
		until := cdr.End
		if !cdr.Answer.IsZero() {
			until = cdr.Answer
		}
		d.WaitS = seconds(until.Sub(m.enqueued))
	}
	a.publish(ci.Tenant, Event{Type: protocol.EventCallEnded, Agents: a.partiesOf(ci, agent), Queues: nonEmpty(m.queue), Data: d})
}

// CallTransfer publishes call.consult as an attended transfer goes, and
// call.transferred when it completes (a consultation or a REFER with Replaces).
func (a *Adapter) CallTransfer(ev callevent.Transfer) {
	ci := ev.Call
	m := a.lookup(ci.Tenant, ci.ID, false)
	agent := ""
	if a.dir != nil {
		agent, _ = a.dir.AgentByEndpoint(ci.Tenant, ev.From)
	}
	if agent == "" {
		agent = m.agent
	}
	if ev.State == callevent.ConsultCompleted {
		a.CallTransferred(ci.Tenant, ci.ID, agent, ev.To, ev.Mode == callevent.TransferAttended)
		// Later events of the call belong to whoever took it.
		next := ""
		if a.dir != nil {
			next, _ = a.dir.AgentByEndpoint(ci.Tenant, ev.To)
		}
		a.track(ci.Tenant, ci.ID, func(m *callMeta) { m.agent = next })
		return
	}
	a.publish(ci.Tenant, Event{Type: protocol.EventCallConsult, Agents: nonEmpty(agent), Queues: nonEmpty(m.queue),
		Data: protocol.CallConsult{Call: ci.ID, Agent: agent, To: ev.To, State: ev.State, Code: ev.Code}})
}
