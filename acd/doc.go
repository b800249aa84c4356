// Package acd owns the contact centre's routing decisions: agents and their
// states, queues and their strategies, waiting callers, callbacks, overflow,
// announcements and queue statistics. Each tenant is one actor (a goroutine
// reading a channel) that alone touches that tenant's state, so there are no
// locks to forget and no agent can be left "reserved" by a race: every
// reservation carries its own timeout. The ACD decides; the PBX executes
// through the Dialer seam and reports back through the ACD's methods
// (AgentAnswered, AgentNoAnswer, CallEnded, CallerAbandoned). State changes
// are appended to a log (SQLLog) so a restart restores who is logged in.
// Reconfigure swaps a running tenant's agents and queues on its actor
// without disturbing calls in progress; ConfigStore keeps what was changed.
package acd
