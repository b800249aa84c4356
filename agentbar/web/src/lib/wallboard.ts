// The wallboard's model and its colour rules: a snapshot, then agent.state
// and queue.stats events replace whole rows.

import { reactive } from 'vue'
import type { Envelope } from './cti'
import { reasonCodes, type AgentState, type QueueStats, type ReasonCode, type Snapshot } from './agent'

// OverrunAlert is an agent.overrun a supervisor has not seen resolved: the
// agent is still on the break that went over its maximum.
export interface OverrunAlert {
  agent: string
  name?: string
  reason: string
  since: string
  max_s: number
}

export interface Thresholds {
  waitingWarn: number
  waitingCrit: number
  longestWarnS: number
  longestCritS: number
  slWarn: number // below: warn (0..1)
  slCrit: number
  notReadyWarnS: number // a break longer than this is flagged
}

export const defaultThresholds: Thresholds = {
  waitingWarn: 3,
  waitingCrit: 6,
  longestWarnS: 30,
  longestCritS: 60,
  slWarn: 0.8,
  slCrit: 0.6,
  notReadyWarnS: 900,
}

export type Tile = 'waiting' | 'longest' | 'sl' | 'offered' | 'answered' | 'abandoned' | 'asa' | 'csat'
export const allTiles: Tile[] = ['waiting', 'longest', 'sl', 'offered', 'answered', 'abandoned', 'asa', 'csat']

export function newBoard() {
  return reactive({
    agents: {} as Record<string, AgentState>,
    queues: {} as Record<string, QueueStats>,
    reasons: [] as ReasonCode[],
    alerts: [] as OverrunAlert[],
    updated: 0,
  })
}
export type Board = ReturnType<typeof newBoard>

export function loadBoard(b: Board, s: Snapshot, now = Date.now()) {
  b.agents = {}
  for (const a of s.agents) b.agents[a.agent] = a
  b.queues = {}
  for (const q of s.queues) b.queues[q.queue] = q
  b.reasons = reasonCodes(s)
  // Breaks already over their maximum when the wallboard opened.
  b.alerts = s.agents.filter((a) => a.overrun).map((a) => ({ agent: a.agent, name: a.name, reason: a.reason ?? '', since: a.since, max_s: a.reason_max_s ?? 0 }))
  b.updated = now
}

export function applyBoard(b: Board, e: Envelope, now = Date.now()) {
  if (e.type === 'agent.state') {
    const prev = b.agents[e.data.agent]
    // An event names the agent's queues only when it has some; keep them.
    b.agents[e.data.agent] = { ...e.data, queues: e.data.queues ?? prev?.queues }
    if (!e.data.overrun) b.alerts = b.alerts.filter((a) => a.agent !== e.data.agent)
    b.updated = now
  } else if (e.type === 'agent.overrun') {
    const a: OverrunAlert = { agent: e.data.agent, name: e.data.name, reason: e.data.reason, since: e.data.since, max_s: e.data.max_s }
    b.alerts = [a, ...b.alerts.filter((x) => x.agent !== a.agent)]
    b.updated = now
  } else if (e.type === 'queue.stats') {
    b.queues[e.data.queue] = e.data
    b.updated = now
  }
}

export type Level = 'ok' | 'warn' | 'crit'

// level colours one figure of a queue by the thresholds.
export function level(tile: Tile, q: QueueStats, longestS: number, th: Thresholds): Level {
  switch (tile) {
    case 'waiting':
      return q.waiting >= th.waitingCrit ? 'crit' : q.waiting >= th.waitingWarn ? 'warn' : 'ok'
    case 'longest':
      return longestS >= th.longestCritS ? 'crit' : longestS >= th.longestWarnS ? 'warn' : 'ok'
    case 'sl':
      if (q.service_level === null || q.service_level === undefined) return 'ok' // nothing measured yet
      return q.service_level < th.slCrit ? 'crit' : q.service_level < th.slWarn ? 'warn' : 'ok'
    default:
      return 'ok'
  }
}

// pages splits the agents into pages of size n, ordered by state then name.
const order: Record<string, number> = { reserved: 0, on_call: 1, wrap_up: 2, ready: 3, not_ready: 4, logged_out: 5 }
export function agentPages(agents: AgentState[], queue: string | null, n: number): AgentState[][] {
  const list = agents
    .filter((a) => !queue || a.queues?.includes(queue))
    .sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || (a.name ?? a.agent).localeCompare(b.name ?? b.agent, 'zh-CN'))
  const pages: AgentState[][] = []
  for (let i = 0; i < list.length; i += Math.max(1, n)) pages.push(list.slice(i, i + Math.max(1, n)))
  return pages.length ? pages : [[]]
}

// ServerLayout is a layout as the PBX keeps it per role
// (GET/PUT /api/v1/wallboard/layouts/{role}).
export interface ServerLayout {
  tiles: Tile[]
  paging: boolean
  page_seconds: number
  thresholds: {
    waiting_warn: number
    waiting_crit: number
    longest_warn_s: number
    longest_crit_s: number
    sl_warn: number
    sl_crit: number
    not_ready_warn_s: number
  }
}

export interface BoardConfig {
  tiles: Tile[]
  paging: boolean
  pageSeconds: number
  th: Thresholds
}

export function fromServer(l: ServerLayout): BoardConfig {
  const t = l.thresholds
  return {
    tiles: l.tiles.filter((x) => allTiles.includes(x)),
    paging: l.paging,
    pageSeconds: l.page_seconds,
    th: { waitingWarn: t.waiting_warn, waitingCrit: t.waiting_crit, longestWarnS: t.longest_warn_s, longestCritS: t.longest_crit_s,
      slWarn: t.sl_warn, slCrit: t.sl_crit, notReadyWarnS: t.not_ready_warn_s },
  }
}

export function toServer(c: BoardConfig): ServerLayout {
  const t = c.th
  return {
    tiles: c.tiles,
    paging: c.paging,
    page_seconds: c.pageSeconds,
    thresholds: { waiting_warn: t.waitingWarn, waiting_crit: t.waitingCrit, longest_warn_s: t.longestWarnS, longest_crit_s: t.longestCritS,
      sl_warn: t.slWarn, sl_crit: t.slCrit, not_ready_warn_s: t.notReadyWarnS },
  }
}

// layoutRole is the role whose layout a wallboard connection uses.
export function layoutRole(roles: string[]): string | null {
  return ['wallboard', 'supervisor', 'system'].find((r) => roles.includes(r)) ?? null
}
