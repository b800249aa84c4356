import { describe, expect, it } from 'vitest'
import { apply, breakLeft, current, loadSnapshot, newAgentModel, today } from './agent'
import { maskNumber, mmss } from './format'
import { actionFor } from './shortcuts'
import { agentPages, applyBoard, level, defaultThresholds, newBoard } from './wallboard'
import { percent, score } from './format'

const ev = (type: string, data: any, seq = 1) => ({ v: 1 as const, type, seq, data })

describe('agent model', () => {
  it('follows a call from ringing to its end', () => {
    const m = newAgentModel('a1')
    apply(m, ev('call.ringing', { call: 'c1', agent: 'a1', queue: 'hotline', caller: '13800138000', wait_s: 12, vars: { menu: '2' } }), 1000)
    expect(current(m)?.phase).toBe('ringing')
    apply(m, ev('call.ringing', { call: 'c9', agent: 'a2', queue: 'hotline' }), 1000)
    expect(Object.keys(m.calls)).toEqual(['c1'])
    apply(m, ev('call.answered', { call: 'c1', agent: 'a1', answered: '2026-03-02T09:00:15.000Z' }), 2000)
    expect(current(m)).toMatchObject({ phase: 'talking', caller: '13800138000', answeredAt: Date.parse('2026-03-02T09:00:15.000Z') })
    apply(m, ev('call.answered', { call: 'c1', agent: 'a1', answered: '2026-03-02T09:01:00.000Z' }), 3000)
    expect(current(m)?.answeredAt).toBe(Date.parse('2026-03-02T09:00:15.000Z'))
    apply(m, ev('call.held', { call: 'c1' }))
    expect(current(m)?.phase).toBe('held')
    apply(m, ev('call.resumed', { call: 'c1' }))
    apply(m, ev('screenpop', { agent: 'a1', call: 'c1', title: '张三' }))
    expect(m.pops.length).toBe(1)
    apply(m, ev('call.ended', { call: 'c1', talk_s: 95, hold_s: 20 }))
    expect(current(m)).toBeNull()
    expect(m.pops.length).toBe(0)
  })

  it("shows today's figures as the server counts them, after a reload too", () => {
    const a1 = { agent: 'a1', state: 'ready', since: '', answered_today: 3, handled_today: 4, talk_today_s: 600, wrap_up_today_s: 120, aht_s: 180 }
    const m = newAgentModel('a1')
    loadSnapshot(m, { epoch: 'e', seq: 1, agents: [a1], queues: [], reasons: ['小休'], reason_codes: [{ code: '小休', max_s: 900 }] })
    expect(today(m.self)).toEqual({ answered: 3, handled: 4, talkS: 600, ahtS: 180, satisfaction: null })
    expect(m.reasons).toEqual([{ code: '小休', max_s: 900 }])
    // A call ending changes nothing by itself; the server's agent.state does.
    apply(m, ev('call.ended', { call: 'c1', talk_s: 95, hold_s: 20 }))
    expect(today(m.self).talkS).toBe(600)
    apply(m, ev('agent.state', { ...a1, handled_today: 5, talk_today_s: 715, aht_s: 171 }))
    apply(m, ev('agent.state', { ...a1, handled_today: 5, talk_today_s: 715, aht_s: 171, satisfaction: 4.5 }))
    expect(today(m.self)).toEqual({ answered: 3, handled: 5, talkS: 715, ahtS: 171, satisfaction: 4.5 })
    expect(score(today(m.self).satisfaction)).toBe('4.5')
    // An older server's snapshot names the codes only.
    loadSnapshot(m, { epoch: 'e', seq: 1, agents: [], queues: [], reasons: ['会议'] })
    expect(m.reasons).toEqual([{ code: '会议' }])
  })

  it('finds the call it is on again after a reload', () => {
    const m = newAgentModel('a1')
    const since = '2026-03-02T09:00:15.000Z'
    loadSnapshot(m, { epoch: 'e', seq: 9, queues: [], reasons: [],
      agents: [{ agent: 'a1', state: 'on_call', since, call: 'c1', queue: 'hotline', answered_today: 1 }] })
    expect(current(m)).toMatchObject({ call: 'c1', phase: 'talking', queue: 'hotline', answeredAt: Date.parse(since) })
    // The events that follow act on it as on any call.
    apply(m, ev('call.held', { call: 'c1' }))
    expect(current(m)?.phase).toBe('held')
    apply(m, ev('call.ended', { call: 'c1', talk_s: 30 }))
    expect(current(m)).toBeNull()
    loadSnapshot(m, { epoch: 'e', seq: 9, queues: [], reasons: [], agents: [{ agent: 'a1', state: 'ready', since, answered_today: 1 }] })
    expect(current(m)).toBeNull()
  })

  it("counts a break down to its reason's maximum", () => {
    const since = Date.parse('2026-03-02T09:00:00.000Z')
    const a = { agent: 'a1', state: 'not_ready', reason: '小休', since: '2026-03-02T09:00:00.000Z', answered_today: 0, reason_max_s: 900 }
    expect(breakLeft(a, since + 60_000)).toBe(840)
    expect(breakLeft(a, since + 960_000)).toBe(-60)
    expect(breakLeft({ ...a, reason_max_s: 0 }, since)).toBeNull()
    expect(breakLeft({ ...a, state: 'ready' }, since)).toBeNull()
  })

  it('shows a call the desk phone placed with the callee as the other party', () => {
    const m = newAgentModel('a1')
    apply(m, ev('agent.state', { agent: 'a1', endpoint: '1001', state: 'ready', since: '', answered_today: 0 }))
    apply(m, ev('call.answered', { call: 'o1', agent: 'a1', caller: '1001', callee: '13800138000' }), 5000)
    expect(current(m)).toMatchObject({ call: 'o1', phase: 'talking', dialled: true, callee: '13800138000' })
  })

  it("lets a transferred call go, whoever answers it next on the agent's queue", () => {
    const m = newAgentModel('a1')
    apply(m, ev('agent.state', { agent: 'a1', endpoint: '1001', state: 'on_call', since: '', answered_today: 1 }))
    apply(m, ev('call.answered', { call: 'c1', agent: 'a1', caller: '1005', callee: '8000', queue: 'q' }), 1000)
    apply(m, ev('call.transferred', { call: 'c1', agent: 'a1', to: '1004', mode: 'blind' }))
    expect(current(m)).toBeNull()
    // 1004 answers: the queue's followers hear it, without an agent.
    apply(m, ev('call.answered', { call: 'c1', caller: '1005', callee: '8000', queue: 'q' }), 2000)
    expect(current(m)).toBeNull()
    // A call the agent's own phone is in still shows.
    apply(m, ev('call.answered', { call: 'o2', caller: '1001', callee: '13800138000' }), 3000)
    expect(current(m)).toMatchObject({ call: 'o2', dialled: true })
  })

  it('shows no queue wait for a call that rings the extension without a queue', () => {
    const m = newAgentModel('a1')
    apply(m, ev('call.ringing', { call: 'x1', agent: 'a1', queue: '', caller: '1003', wait_s: 0 }), 1000)
    expect(current(m)).toMatchObject({ call: 'x1', phase: 'ringing', caller: '1003' })
    expect(current(m)?.waitS).toBeUndefined()
  })

  it('shows a direct call (no ringing event) from call.answered', () => {
    const m = newAgentModel('a1')
    apply(m, ev('call.answered', { call: 'd1', agent: 'a1', caller: '1002', callee: '1001' }), 5000)
    expect(current(m)).toMatchObject({ call: 'd1', phase: 'talking', caller: '1002' })
  })
})

describe('formatting and keys', () => {
  it('masks the middle of a number', () => {
    expect(maskNumber('13800138000')).toBe('138****8000')
    expect(maskNumber('1002')).toBe('1002')
    expect(maskNumber('02588886666')).toBe('025****6666')
  })
  it('renders durations', () => {
    expect(mmss(0)).toBe('0:00')
    expect(mmss(95)).toBe('1:35')
    expect(mmss(3725)).toBe('1:02:05')
  })
  it('maps Alt shortcuts, never plain keys in a field', () => {
    expect(actionFor({ altKey: true, ctrlKey: false, metaKey: false, code: 'KeyA', key: 'a' }, true)).toBe('answer')
    expect(actionFor({ altKey: false, ctrlKey: false, metaKey: false, code: 'KeyA', key: 'a' }, false)).toBeNull()
    expect(actionFor({ altKey: false, ctrlKey: false, metaKey: false, code: 'Slash', key: '?' }, true)).toBeNull()
    expect(actionFor({ altKey: false, ctrlKey: false, metaKey: false, code: 'Slash', key: '?' }, false)).toBe('help')
  })
})

describe('wallboard rules', () => {
  const q = { queue: 'q', waiting: 4, longest_wait_s: 0, service_level: 0.7, sl_threshold_s: 20, answered_today: 0, abandoned_today: 0, offered_today: 0, asa_s: 0, agents: {} }
  it('colours by thresholds', () => {
    expect(level('waiting', q, 0, defaultThresholds)).toBe('warn')
    expect(level('waiting', { ...q, waiting: 6 }, 0, defaultThresholds)).toBe('crit')
    expect(level('longest', q, 61, defaultThresholds)).toBe('crit')
    expect(level('sl', q, 0, defaultThresholds)).toBe('warn')
    expect(level('sl', { ...q, service_level: 0.95 }, 0, defaultThresholds)).toBe('ok')
  })
  it('shows no service level, not 100 %, before a call is decided', () => {
    const none = { ...q, service_level: null, sl_calls: 0, offered_today: 1 }
    expect(percent(none.service_level)).toBe('—')
    expect(level('sl', none, 0, defaultThresholds)).toBe('ok')
    expect(percent(0)).toBe('0%')
  })
  it('keeps an overrun alert until the agent leaves the break', () => {
    const b = newBoard()
    const st = { agent: 'a1', name: '王芳', state: 'not_ready', reason: '小休', since: '2026-03-02T09:00:00.000Z', answered_today: 0, reason_max_s: 900 }
    applyBoard(b, ev('agent.state', st), 1)
    applyBoard(b, ev('agent.overrun', { agent: 'a1', name: '王芳', reason: '小休', since: st.since, max_s: 900 }), 2)
    applyBoard(b, ev('agent.state', { ...st, overrun: true }), 3)
    expect(b.alerts.map((a) => a.agent)).toEqual(['a1'])
    applyBoard(b, ev('agent.overrun', { agent: 'a1', name: '王芳', reason: '小休', since: st.since, max_s: 900 }), 4)
    expect(b.alerts.length).toBe(1)
    applyBoard(b, ev('agent.state', { ...st, state: 'ready', reason: '' }), 5)
    expect(b.alerts).toEqual([])
  })
  it('pages 65 agents by 60, ringing and talking first', () => {
    const agents = Array.from({ length: 65 }, (_, i) => ({ agent: `a${i}`, state: i === 64 ? 'reserved' : 'ready', since: '', answered_today: 0, queues: ['q'] }))
    const pages = agentPages(agents, 'q', 60)
    expect(pages.map((p) => p.length)).toEqual([60, 5])
    expect(pages[0][0].agent).toBe('a64')
    expect(agentPages(agents, 'other', 60)).toEqual([[]])
  })
})
