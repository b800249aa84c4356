import { describe, expect, it, vi } from 'vitest'
import { CtiClient, type Envelope, type Hooks } from './cti'

// FakeSocket plays the hub's side of docs/cti.md.
class FakeSocket {
  readyState = 0
  sent: any[] = []
  onopen: any = null
  onmessage: any = null
  onclose: any = null
  onerror: any = null
  send(s: string) {
    this.sent.push(JSON.parse(s))
  }
  close() {
    this.readyState = 3
    this.onclose?.({ code: 1006, reason: '' })
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  recv(e: Partial<Envelope>) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, ...e }) })
  }
  last(type: string) {
    return [...this.sent].reverse().find((m) => m.type === type)
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

function setup(extra: Partial<Hooks> = {}) {
  const sockets: FakeSocket[] = []
  const events: Envelope[] = []
  const states: string[] = []
  const starts: number[] = []
  const hooks: Hooks = {
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s),
    topics: () => ['agent:a1'],
    async start(c, h) {
      starts.push(h.seq)
      const snap = await c.cmd('wallboard.snapshot')
      c.startFrom(snap.seq, snap.epoch)
      await c.cmd('subscribe', { topics: ['agent:a1'], since: snap.seq, epoch: snap.epoch })
    },
    ...extra,
  }
  const c = new CtiClient({ url: 'ws://x/cti', token: 'yms_t', hooks, newSocket: () => {
    const s = new FakeSocket()
    sockets.push(s)
    return s
  }, maxBackoffMs: 1 })
  return { c, sockets, events, states, starts }
}

// connectAt brings a socket to a hello at the hub's seq, answering the
// snapshot with seq.
async function handshake(s: FakeSocket, seq: number, epoch = 'ep1') {
  s.open()
  expect(s.sent[0]).toMatchObject({ type: 'auth', data: { token: 'yms_t' } })
  s.recv({ type: 'ok', id: 'auth' })
  s.recv({ type: 'hello', data: { epoch, tenant: 'demo', agent: 'a1', roles: ['agent'], seq } })
  await flush()
}

describe('CtiClient', () => {
  it('authenticates, starts from a snapshot and drops events the snapshot already had', async () => {
    const { c, sockets, events, states } = setup()
    c.connect()
    const s = sockets[0]
    await handshake(s, 7)
    const snap = s.last('wallboard.snapshot')
    s.recv({ type: 'ok', id: snap.id, data: { epoch: 'ep1', seq: 7, agents: [], queues: [], reasons: [] } })
    await flush()
    const sub = s.last('subscribe')
    expect(sub.data).toEqual({ topics: ['agent:a1'], since: 7, epoch: 'ep1' })
    s.recv({ type: 'ok', id: sub.id, data: { seq: 7, replayed: 0 } })
    await flush()
    s.recv({ type: 'agent.state', seq: 6, data: { agent: 'a1' } })
    s.recv({ type: 'agent.state', seq: 8, data: { agent: 'a1' } })
    expect(events.map((e) => e.seq)).toEqual([8])
    expect(states.at(-1)).toBe('open')
  })

  it('reconnects and resumes from the last seq, then calls resumed', async () => {
    const resumed = vi.fn(async () => {})
    const { c, sockets, events, starts } = setup({ resumed })
    c.connect()
    await handshake(sockets[0], 0)
    const s0 = sockets[0]
    s0.recv({ type: 'ok', id: s0.last('wallboard.snapshot').id, data: { epoch: 'ep1', seq: 0 } })
    await flush()
    s0.recv({ type: 'ok', id: s0.last('subscribe').id })
    await flush()
    s0.recv({ type: 'call.ringing', seq: 3, data: {} })
    s0.close()
    await new Promise((r) => setTimeout(r, 600))
    expect(sockets.length).toBe(2)
    const s1 = sockets[1]
    await handshake(s1, 5)
    const sub = s1.last('subscribe')
    expect(sub.data).toEqual({ topics: ['agent:a1'], since: 3, epoch: 'ep1' })
    s1.recv({ type: 'ok', id: sub.id })
    await flush()
    s1.recv({ type: 'call.answered', seq: 4, data: {} })
    expect(events.map((e) => e.seq)).toEqual([3, 4])
    expect(starts.length).toBe(1)
    expect(resumed).toHaveBeenCalledOnce()
  })

  it('starts again from a snapshot when the hub lost its place (replay_gap)', async () => {
    const { c, sockets, starts } = setup()
    c.connect()
    await handshake(sockets[0], 0)
    const s0 = sockets[0]
    s0.recv({ type: 'ok', id: s0.last('wallboard.snapshot').id, data: { epoch: 'ep1', seq: 2 } })
    await flush()
    s0.close()
    await new Promise((r) => setTimeout(r, 600))
    const s1 = sockets[1]
    await handshake(s1, 0, 'ep2')
    s1.recv({ type: 'error', id: s1.last('subscribe').id, data: { code: 'replay_gap', message: 'restarted' } })
    await flush()
    expect(s1.last('wallboard.snapshot')).toBeTruthy()
    expect(starts).toEqual([0, 0])
  })

  it('stops on unauthorized (4001) instead of retrying', async () => {
    const { c, sockets, states } = setup()
    c.connect()
    sockets[0].open()
    sockets[0].onclose({ code: 4001, reason: 'session ended' })
    await new Promise((r) => setTimeout(r, 600))
    expect(sockets.length).toBe(1)
    expect(states.at(-1)).toBe('unauthorized')
  })
})
