// The agent bar's model: the agent's state and calls as the CTI events
// describe them. apply() is the only writer, so the screen is a pure view of
// what the server said (the server owns the state machine).

import { reactive } from 'vue'
import type { Envelope } from './cti'

export interface AgentState {
  agent: string
  name?: string
  endpoint?: string
  state: string
  reason?: string
  since: string
  call?: string
  queue?: string
  pending?: string
  queues?: string[]
  answered_today: number
  wrap_up_until?: string
  // Today's work as the server counts it (a reload shows the same).
  handled_today?: number
  talk_today_s?: number
  wrap_up_today_s?: number
  aht_s?: number
  // A break's limit for its reason, and whether it ran over.
  reason_max_s?: number
  overrun?: boolean
  // Satisfaction after the agent's queue calls today: mean score, null before the first answer.
  surveys_today?: number
  satisfaction?: number | null
}

export interface ReasonCode {
  code: string
  max_s?: number
}

export interface QueueStats {
  queue: string
  name?: string
  waiting: number
  oldest?: string
  longest_wait_s: number
  // null until a call is decided against the threshold (sl_calls 0).
  service_level: number | null
  sl_calls?: number
  sl_threshold_s: number
  sl_abandons?: string
  // Satisfaction today: mean survey score, null before the first answer.
  surveys_today?: number
  satisfaction?: number | null
  answered_today: number
  abandoned_today: number
  offered_today: number
  asa_s: number
  agents: Record<string, number>
}

export interface Call {
  call: string
  phase: 'ringing' | 'talking' | 'held'
  caller?: string
  callee?: string
  queue?: string
  waitS?: number
  vars?: Record<string, string>
  ringingAt: number
  answeredAt?: number
  consult?: { to: string; state: string }
  // dialled: placed by this agent (call.dial)
  dialled?: boolean
}

export interface ScreenPop {
  call?: string
  title?: string
  url?: string
  fields?: Record<string, string>
}

export interface Snapshot {
  epoch: string
  seq: number
  agents: AgentState[]
  queues: QueueStats[]
  reasons: string[]
  reason_codes?: ReasonCode[]
}

// reasonCodes are the snapshot's not-ready reasons with their maxima (older
// servers sent the codes alone).
export function reasonCodes(s: Snapshot): ReasonCode[] {
  return s.reason_codes ?? s.reasons.map((code) => ({ code }))
}

export function newAgentModel(me: string) {
  return reactive({
    me,
    self: null as AgentState | null,
    queues: {} as Record<string, QueueStats>,
    calls: {} as Record<string, Call>,
    pops: [] as ScreenPop[],
    // The tenant's not-ready reasons; empty: the server takes any.
    reasons: [] as ReasonCode[],
    lastEnded: 0,
  })
}

export type AgentModel = ReturnType<typeof newAgentModel>

export function loadSnapshot(m: AgentModel, s: Snapshot) {
  m.self = s.agents.find((a) => a.agent === m.me) ?? null
  m.queues = {}
  for (const q of s.queues) m.queues[q.queue] = q
  m.reasons = reasonCodes(s)
  // A bar reopened mid-call (a reload, a new tab) learns of the call from
  // the agent's state: the events that announced it came before the
  // snapshot. The timer runs from when the agent went on the call.
  const a = m.self
  if (a?.call && (a.state === 'on_call' || a.state === 'reserved') && !m.calls[a.call]) {
    const since = Date.parse(a.since) || Date.now()
    m.calls[a.call] = { call: a.call, phase: a.state === 'on_call' ? 'talking' : 'ringing', queue: a.queue, ringingAt: since,
      answeredAt: a.state === 'on_call' ? since : undefined, dialled: a.reason === 'direct' }
  }
}

// apply folds one event into the model. now is the browser's clock (ms).
export function apply(m: AgentModel, e: Envelope, now: number = Date.now()) {
  const d = e.data ?? {}
  switch (e.type) {
    case 'agent.state':
      if (d.agent === m.me) m.self = d
      break
    case 'queue.stats':
      m.queues[d.queue] = d
      break
    case 'call.ringing':
      if (d.agent !== m.me) break
      m.calls[d.call] = { call: d.call, phase: 'ringing', caller: d.caller, queue: d.queue, waitS: d.queue ? d.wait_s : undefined, vars: d.vars, ringingAt: now }
      break
    case 'call.answered': {
      // Another agent's answer is this agent's too on a call between the
      // two (one dialled the other): the call is on this bar already.
      if (d.agent && d.agent !== m.me && !m.calls[d.call]) break
      // Without an agent it is a call of the queue the bar follows that
      // someone else took (the party a transfer went to): not this
      // agent's, unless it is already on screen or their phone is in it.
      const ep = m.self?.endpoint
      if (!d.agent && !m.calls[d.call] && (!ep || (d.caller !== ep && d.callee !== ep))) break
      // A call the agent's own phone placed (dialled from the desk phone):
      // the other party is the callee.
      const c = m.calls[d.call] ?? { call: d.call, ringingAt: now, phase: 'talking', dialled: !!d.caller && d.caller === m.self?.endpoint }
      c.phase = 'talking'
      c.caller = c.caller ?? d.caller
      c.callee = d.callee
      c.queue = c.queue ?? d.queue
      // The first answer starts the timer; a consultation answered later
      // reports the same call again.
      c.answeredAt = c.answeredAt ?? (d.answered ? Date.parse(d.answered) : now)
      m.calls[d.call] = c
      break
    }
    case 'call.held':
    case 'call.resumed': {
      const c = m.calls[d.call]
      if (c) c.phase = e.type === 'call.held' ? 'held' : 'talking'
      break
    }
    case 'call.consult': {
      const c = m.calls[d.call]
      if (!c) break
      if (d.state === 'ringing' || d.state === 'answered') c.consult = { to: d.to ?? c.consult?.to ?? '', state: d.state }
      else delete c.consult
      break
    }
    case 'call.transferred':
      if (d.agent === m.me) delete m.calls[d.call]
      break
    case 'call.ended': {
      if (!m.calls[d.call]) break
      delete m.calls[d.call]
      m.lastEnded = now
      m.pops = m.pops.filter((p) => p.call !== d.call)
      break
    }
    case 'screenpop':
      if (d.agent !== m.me) break
      m.pops = [d, ...m.pops.filter((p) => p.call !== d.call)].slice(0, 5)
      break
  }
}

// today is what the bar shows of the agent's day: the server's figures, so
// a reload or a second tab shows the same numbers.
export function today(a: AgentState | null) {
  return {
    answered: a?.answered_today ?? 0,
    handled: a?.handled_today ?? 0,
    talkS: a?.talk_today_s ?? 0,
    ahtS: a?.aht_s ?? 0,
    satisfaction: a?.satisfaction ?? null,
  }
}

// breakLeft is the seconds a break has left before its reason's maximum
// (negative once over); null when the state or the reason has no limit.
export function breakLeft(a: AgentState | null, now: number): number | null {
  if (!a || a.state !== 'not_ready' || !a.reason_max_s) return null
  const since = Date.parse(a.since)
  if (Number.isNaN(since)) return null
  return a.reason_max_s - Math.floor((now - since) / 1000)
}

// current is the call on screen: a ringing one first, else the newest.
export function current(m: AgentModel): Call | null {
  const all = Object.values(m.calls)
  return all.find((c) => c.phase === 'ringing') ?? all.sort((a, b) => b.ringingAt - a.ringingAt)[0] ?? null
}
