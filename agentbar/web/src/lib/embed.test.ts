import { describe, expect, it, vi } from 'vitest'
import { allowedOrigins, EmbedBridge } from './embed'

describe('embed bridge', () => {
  function host() {
    const listeners: ((e: any) => void)[] = []
    const parent = { postMessage: vi.fn() }
    return {
      listeners,
      parent,
      host: {
        win: { addEventListener: (_: string, f: any) => listeners.push(f), removeEventListener: vi.fn() },
        parent,
        parentOrigin: 'https://crm.example.org',
      },
    }
  }
  const flush = () => new Promise((r) => setTimeout(r, 0))

  it('runs commands from the allowed parent only and answers with their result', async () => {
    const h = host()
    const run = vi.fn(async () => ({ call: 'c9' }))
    new EmbedBridge(h.host as any, run)
    h.listeners[0]({ origin: 'https://evil.example', data: { target: 'yimen-agentbar', type: 'dial', to: '110' } })
    h.listeners[0]({ origin: 'https://crm.example.org', data: { type: 'dial', to: '110' } })
    expect(run).not.toHaveBeenCalled()
    h.listeners[0]({ origin: 'https://crm.example.org', data: { target: 'yimen-agentbar', id: 7, type: 'dial', to: '13800138000' } })
    await flush()
    expect(run).toHaveBeenCalledWith({ target: 'yimen-agentbar', id: 7, type: 'dial', to: '13800138000' })
    expect(h.parent.postMessage).toHaveBeenCalledWith({ source: 'yimen-agentbar', type: 'result', id: 7, ok: true, value: { call: 'c9' } }, 'https://crm.example.org')
  })

  it('reports a failed command', async () => {
    const h = host()
    new EmbedBridge(h.host as any, async () => {
      throw new Error('conflict: not ringing')
    })
    h.listeners[0]({ origin: 'https://crm.example.org', data: { target: 'yimen-agentbar', id: 1, type: 'answer' } })
    await flush()
    expect(h.parent.postMessage.mock.calls[0][0]).toMatchObject({ type: 'result', id: 1, ok: false, error: 'conflict: not ringing' })
  })

  it('reads the allowed origins from the page', () => {
    document.head.innerHTML = '<meta name="yimen-embed-origins" content="https://a.example  http://127.0.0.1:8081">'
    expect(allowedOrigins()).toEqual(['https://a.example', 'http://127.0.0.1:8081'])
    document.head.innerHTML = ''
    expect(allowedOrigins()).toEqual([])
  })
})
