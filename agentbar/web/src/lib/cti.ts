// The CTI websocket client of the browser (docs/cti.md): auth as the first
// message, commands answered by id, events in seq order, and on a lost
// connection a reconnect that resumes from the last seq handled (or starts
// again from a snapshot when the hub no longer has those events).

export interface Envelope {
  v: 1
  type: string
  id?: string
  seq?: number
  ts?: string
  tenant?: string
  data?: any
}

export interface Hello {
  epoch: string
  tenant: string
  agent?: string
  roles: string[]
  seq: number
}

export type ConnState = 'connecting' | 'open' | 'closed' | 'unauthorized'

export class CtiError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message)
  }
}

// Session is what the owner does once a connection is up: first start()
// (load a snapshot, subscribe from its seq), after a reconnect resume()
// with the seq and epoch the last connection got to.
export interface Hooks {
  onEvent(e: Envelope): void
  onState(s: ConnState, why?: string): void
  // start loads state and subscribes; it returns the seq it subscribed from.
  start(c: CtiClient, hello: Hello): Promise<void>
  // resumed runs after a successful resume (re-open the media session…).
  resumed?(c: CtiClient, hello: Hello): Promise<void>
  topics(): string[]
}

type Socket = Pick<WebSocket, 'send' | 'close' | 'readyState'> & {
  onopen: ((ev: Event) => any) | null
  onmessage: ((ev: MessageEvent) => any) | null
  onclose: ((ev: CloseEvent) => any) | null
  onerror: ((ev: Event) => any) | null
}

export interface Options {
  url: string
  token: string
  hooks: Hooks
  // newSocket is replaceable in tests.
  newSocket?: (url: string) => Socket
  timeoutMs?: number
  maxBackoffMs?: number
}

interface Pending {
  resolve(v: any): void
  reject(e: Error): void
  timer: ReturnType<typeof setTimeout>
}

export class CtiClient {
  private ws: Socket | null = null
  private next = 1
  private pending = new Map<string, Pending>()
  private closedByUs = false
  private backoff = 500
  private retry: ReturnType<typeof setTimeout> | null = null
  hello: Hello | null = null
  // The last event handled and the hub epoch it belongs to.
  lastSeq = 0
  epoch = ''
  reconnects = 0
  // lastError says why the last start failed (diagnostics).
  lastError = ''

  constructor(private o: Options) {}

  connect() {
    this.closedByUs = false
    this.o.hooks.onState('connecting')
    const ws = (this.o.newSocket ?? ((u: string) => new WebSocket(u) as Socket))(this.o.url)
    this.ws = ws
    let authed = false
    ws.onopen = () => {
      ws.send(JSON.stringify({ v: 1, type: 'auth', id: 'auth', data: { token: this.o.token } }))
    }
    ws.onmessage = (m: MessageEvent) => {
      let env: Envelope
      try {
        env = JSON.parse(String(m.data))
      } catch {
        return
      }
      if (!authed) {
        if (env.type === 'ok' && env.id === 'auth') authed = true
        return
      }
      if (env.type === 'hello') {
        this.hello = env.data as Hello
        void this.afterHello(this.hello)
        return
      }
      if ((env.type === 'ok' || env.type === 'error') && env.id && this.pending.has(env.id)) {
        const p = this.pending.get(env.id)!
        this.pending.delete(env.id)
        clearTimeout(p.timer)
        if (env.type === 'ok') p.resolve(env.data)
        else p.reject(new CtiError(env.data?.code ?? 'internal', env.data?.message ?? ''))
        return
      }
      if (env.seq !== undefined) {
        if (env.seq <= this.lastSeq) return // seen already (a snapshot raced it)
        this.lastSeq = env.seq
        this.o.hooks.onEvent(env)
      }
    }
    ws.onclose = (ev: CloseEvent) => {
      this.ws = null
      for (const [, p] of this.pending) {
        clearTimeout(p.timer)
        p.reject(new CtiError('closed', 'connection closed'))
      }
      this.pending.clear()
      if (ev.code === 4001) {
        this.o.hooks.onState('unauthorized', ev.reason)
        return
      }
      if (this.closedByUs) {
        this.o.hooks.onState('closed', 'logout')
        return
      }
      this.o.hooks.onState('closed', ev.reason || String(ev.code))
      this.retry = setTimeout(() => {
        this.reconnects++
        this.connect()
      }, this.backoff)
      this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs ?? 5000)
    }
    ws.onerror = () => {}
  }

  private async afterHello(h: Hello) {
    try {
      if (this.epoch && this.lastSeq > 0) {
        try {
          await this.cmd('subscribe', { topics: this.o.hooks.topics(), since: this.lastSeq, epoch: this.epoch })
          this.epoch = h.epoch
          this.backoff = 500
          this.o.hooks.onState('open')
          await this.o.hooks.resumed?.(this, h)
          return
        } catch (e) {
          if (!(e instanceof CtiError) || e.code !== 'replay_gap') throw e
          this.lastSeq = 0 // the hub lost our place: start again from a snapshot
        }
      }
      this.epoch = h.epoch
      await this.o.hooks.start(this, h)
      this.backoff = 500
      this.o.hooks.onState('open')
    } catch (e) {
      this.lastError = `${e instanceof CtiError ? e.code + ': ' : ''}${(e as Error).message}`
      console.warn('cti: start failed:', this.lastError)
      this.o.hooks.onState('closed', this.lastError)
      this.ws?.close()
    }
  }

  // startFrom records where a snapshot put the client, before subscribing.
  startFrom(seq: number, epoch: string) {
    this.lastSeq = seq
    this.epoch = epoch
  }

  // cmd sends one command and waits for its reply.
  cmd<T = any>(type: string, data: any = {}): Promise<T> {
    const ws = this.ws
    if (!ws || ws.readyState !== 1) return Promise.reject(new CtiError('closed', 'not connected'))
    const id = `c${this.next++}`
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new CtiError('timeout', `${type}: no reply`))
      }, this.o.timeoutMs ?? 8000)
      this.pending.set(id, { resolve, reject, timer })
      ws.send(JSON.stringify({ v: 1, type, id, data }))
    })
  }

  // drop closes the socket as a network failure would (diagnostics, tests):
  // the client reconnects and resumes.
  drop() {
    this.ws?.close()
  }

  close() {
    this.closedByUs = true
    if (this.retry) clearTimeout(this.retry)
    this.ws?.close()
  }
}

// ctiURL is the websocket address of the page's own PBX.
export function ctiURL(loc: Location = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/cti`
}
