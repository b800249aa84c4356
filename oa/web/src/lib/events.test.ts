import { afterEach, describe, expect, it, vi } from 'vitest'
import { followNotifications, parseEvent } from './events'
import type { Notification } from './types'

describe('server-sent notifications', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('an event block gives its id, type and data; comments and unknown fields are dropped', () => {
    expect(parseEvent('id: 7\nevent: notification\ndata: {"id":7}')).toEqual({ id: '7', event: 'notification', data: '{"id":7}' })
    expect(parseEvent(': ping')).toEqual({})
    expect(parseEvent('retry: 3000')).toEqual({})
    expect(parseEvent('data: a\ndata: b\nbogus: x')).toEqual({ data: 'a\nb' })
  })

  it('the stream is read as it comes, split anywhere, and resumes after the last id', async () => {
    const chunks = ['retry: 3000\n\n: ping\n\nid: 8\nevent: noti', 'fication\ndata: {"id":8,"kind":"sla.breached","text":"工单 #5 已超时","read":false,"at":1}\n\n',
      'id: 9\nevent: notification\ndata: {"id":9,"kind":"dispatch","text":"t","read":false,"at":2}\n\n']
    const urls: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      urls.push(url)
      const enc = new TextEncoder()
      return new Response(new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(enc.encode(x)); c.close() } }), { status: 200 })
    }))
    const got: Notification[] = []
    const last = await followNotifications(7, (n) => got.push(n), new AbortController().signal)
    expect(urls).toEqual(['/api/v1/notifications/stream?since=7'])
    expect(got.map((n) => [n.id, n.kind])).toEqual([[8, 'sla.breached'], [9, 'dispatch']])
    expect(last).toBe(9)
  })
})
