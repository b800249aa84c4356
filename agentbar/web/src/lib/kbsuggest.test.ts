import { describe, expect, it, vi } from 'vitest'
import { articleLink, cardArticles, KnowledgeClient, oaOrigin } from './kbsuggest'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

describe('knowledge suggestions from the OA', () => {
  it('trades a one-login token once, then reads suggestions with the knowledge token', async () => {
    let now = 1_000_000
    const sso = vi.fn(async () => 'one-login')
    const calls: { url: string; init?: RequestInit }[] = []
    const fetchFn = vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, init })
      if (url.endsWith('/bar/token')) return json(200, { token: `kbt.${sso.mock.calls.length}`, expires_at: now + 600_000 })
      return json(200, { items: [{ text: '投注站设备故障报修流程', kind: 'article', article_id: 7 }, { text: 42 }] })
    })
    const c = new KnowledgeClient(sso, fetchFn, () => now)
    expect(await c.suggest('http://oa.test', ' 投注站 ')).toEqual([{ text: '投注站设备故障报修流程', kind: 'article', article_id: 7 }])
    expect(await c.suggest('http://oa.test', '报修')).toHaveLength(1)
    expect(sso).toHaveBeenCalledOnce()
    expect(calls[0].url).toBe('http://oa.test/api/v1/knowledge/bar/token')
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ token: 'one-login' })
    expect(calls[1].url).toBe('http://oa.test/api/v1/knowledge/bar/suggest?q=%E6%8A%95%E6%B3%A8%E7%AB%99&limit=8')
    expect((calls[1].init?.headers as Record<string, string>).Authorization).toBe('Bearer kbt.1')
    expect(calls[1].init?.credentials).toBe('omit')
    // Near its expiry the token is traded anew.
    now += 590_000
    await c.suggest('http://oa.test', '报修')
    expect(sso).toHaveBeenCalledTimes(2)
  })

  it('a 401 (the OA restarted) trades once more and retries; a second 401 gives up', async () => {
    const sso = vi.fn(async () => 'one')
    let suggests = 0
    const c = new KnowledgeClient(sso, async (url) => {
      if (url.endsWith('/bar/token')) return json(200, { token: 'kbt.x', expires_at: Date.now() + 600_000 })
      return ++suggests === 1 ? json(401, { error: 'invalid_token' }) : json(200, { items: [{ text: '报修', kind: 'query' }] })
    })
    expect(await c.suggest('http://oa.test', '报')).toEqual([{ text: '报修', kind: 'query' }])
    expect(sso).toHaveBeenCalledTimes(2)
    const never = new KnowledgeClient(async () => 'one', async (url) => (url.endsWith('/bar/token') ? json(200, { token: 'kbt.x', expires_at: Date.now() + 600_000 }) : json(401, {})))
    expect(await never.suggest('http://oa.test', '报')).toEqual([])
  })

  it('nothing is asked for a blank box, without an OA, or without a one-login token; a refused trade offers nothing', async () => {
    const fetchFn = vi.fn(async () => json(403, { error: 'forbidden' }))
    expect(await new KnowledgeClient(async () => 'one', fetchFn).suggest('http://oa.test', '  ')).toEqual([])
    expect(await new KnowledgeClient(async () => 'one', fetchFn).suggest('', '报修')).toEqual([])
    expect(fetchFn).not.toHaveBeenCalled()
    expect(await new KnowledgeClient(async () => null, fetchFn).suggest('http://oa.test', '报修')).toEqual([])
    expect(fetchFn).not.toHaveBeenCalled()
    expect(await new KnowledgeClient(async () => 'one', fetchFn).suggest('http://oa.test', '报修')).toEqual([])
    expect(fetchFn).toHaveBeenCalledOnce()
  })

  it('two suggestions at once share one trade', async () => {
    const sso = vi.fn(async () => 'one')
    const c = new KnowledgeClient(sso, async (url) => (url.endsWith('/bar/token') ? json(200, { token: 'kbt.x', expires_at: Date.now() + 600_000 }) : json(200, { items: [] })))
    await Promise.all([c.suggest('http://oa.test', 'a'), c.suggest('http://oa.test', 'b')])
    expect(sso).toHaveBeenCalledOnce()
  })

  it("the card's articles are read from the pop, anything malformed dropped", () => {
    const card = JSON.stringify({ articles: [{ id: 3, title: '投注站设备故障报修流程', heat: 12 }, { id: 'x', title: 'bad' }, { title: 'no id' }, null] })
    expect(cardArticles({ card })).toEqual([{ id: 3, title: '投注站设备故障报修流程', heat: 12 }])
    expect(cardArticles({ card: '{not json' })).toEqual([])
    expect(cardArticles({ card: JSON.stringify({}) })).toEqual([])
    expect(cardArticles(undefined)).toEqual([])
  })

  it('links and origins come from the pop', () => {
    expect(oaOrigin('https://oa.example:8443/#/customers/7?call=c')).toBe('https://oa.example:8443')
    expect(oaOrigin('javascript:alert(1)')).toBe('')
    expect(oaOrigin(undefined)).toBe('')
    expect(articleLink('http://oa/?x=1#/customers/new?call=c', 12)).toBe('http://oa/?x=1#/kb/articles/12')
  })
})
