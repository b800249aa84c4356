// The wallboard's model and its colour rules: a snapshot, then agent.state
// and queue.stats events replace whole rows.

import { reactive } from 'vue'
import type { Envelope } from './cti'
import type { AgentState, QueueStats, Snapshot } from './agent'

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

export type Tile = 'waiting' | 'longest' | 'sl' | 'offered' | 'answered' | 'abandoned' | 'asa'
export const allTiles: Tile[] = ['waiting', 'longest', 'sl', 'offered', 'answered', 'abandoned', 'asa']

export function newBoard() {
  return reactive({
    agents: {} as Record<string, AgentState>,
    queues: {} as Record<string, QueueStats>,
    reasons: [] as string[],
    updated: 0,
  })
}
export type Board = ReturnType<typeof newBoard>

export function loadBoard(b: Board, s: Snapshot, now = Date.now()) {
  b.agents = {}
  for (const a of s.agents) b.agents[a.agent] = a
  b.queues = {}
  for (const q of s.queues) b.queues[q.queue] = q
  b.reasons = s.reasons
  b.updated = now
}

export function applyBoard(b: Board, e: Envelope, now = Date.now()) {
  if (e.type === 'agent.state') {
    const prev = b.agents[e.data.agent]
    // An event names the agent's queues only when it has some; keep them.
    b.agents[e.data.agent] = { ...e.data, queues: e.data.queues ?? prev?.queues }
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
