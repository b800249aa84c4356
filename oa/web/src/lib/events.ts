import { request } from './api'
import type { Notification } from './types'

// The notification stream (GET /api/v1/notifications/stream) is
// server-sent events behind the session's bearer token, which EventSource
// cannot send: it is read with fetch and parsed here.

export interface ServerEvent {
  id?: string
  event?: string
  data?: string
}

// parseEvent reads one event block (the lines between blank lines);
// comments (": ping") and unknown fields are dropped.
export function parseEvent(block: string): ServerEvent {
  const ev: ServerEvent = {}
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue
    const at = line.indexOf(':')
    const field = at < 0 ? line : line.slice(0, at)
    const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '')
    if (field === 'data') ev.data = ev.data === undefined ? value : `${ev.data}\n${value}`
    else if (field === 'id' || field === 'event') ev[field] = value
  }
  return ev
}

// followNotifications reads the stream from after since until it ends or
// signal aborts, handing each notification to on; it returns the last id.
export async function followNotifications(since: number, on: (n: Notification) => void, signal: AbortSignal): Promise<number> {
  const r = await request('GET', '/api/v1/notifications/stream' + (since ? `?since=${since}` : ''), undefined, { signal })
  if (!r.body) return since
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader()
  let buf = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return since
    buf += value
    for (let i = buf.search(/\r?\n\r?\n/); i >= 0; i = buf.search(/\r?\n\r?\n/)) {
      const ev = parseEvent(buf.slice(0, i))
      buf = buf.slice(i).replace(/^\r?\n\r?\n/, '')
      if (ev.event !== 'notification' || !ev.data) continue
      const n = JSON.parse(ev.data) as Notification
      since = Math.max(since, n.id)
      on(n)
    }
  }
}
