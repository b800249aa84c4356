import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ScreenPopPanel from './ScreenPopPanel.vue'
import { knowledgeLink, withToken } from '../lib/oalink'
import { locale } from '../lib/i18n'

describe('ScreenPopPanel', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('opens the OA link signed in: a fresh one-login token in its hash route', async () => {
    locale.value = 'zh-CN'
    const tab = { opener: {} as unknown, location: { href: '' } }
    const open = vi.fn(() => tab)
    vi.stubGlobal('open', open)
    const sso = vi.fn(async () => 'tok/+=')
    const w = mount(ScreenPopPanel, { props: { sso, pops: [{ call: 'c1', title: '张三', url: 'http://oa.test/#/customers/7?call=c1', fields: {} }] } })
    await w.get('a').trigger('click')
    await flushPromises()
    expect(sso).toHaveBeenCalledOnce()
    expect(open).toHaveBeenCalledWith('about:blank', '_blank')
    expect(tab.opener).toBeNull()
    expect(tab.location.href).toBe('http://oa.test/#/customers/7?call=c1&sso=tok%2F%2B%3D')
  })

  it('without a token (an API token session) the plain link is followed', async () => {
    const tab = { opener: {} as unknown, location: { href: '' } }
    vi.stubGlobal('open', vi.fn(() => tab))
    const w = mount(ScreenPopPanel, { props: { sso: async () => null, pops: [{ call: 'c2', url: 'http://oa.test/#/customers/new?call=c2' }] } })
    await w.get('a').trigger('click')
    await flushPromises()
    expect(tab.location.href).toBe('http://oa.test/#/customers/new?call=c2')
  })

  it('a link that is not http(s) is not shown', () => {
    const w = mount(ScreenPopPanel, { props: { pops: [{ call: 'c3', url: 'javascript:alert(1)' }] } })
    expect(w.find('a').exists()).toBe(false)
  })

  it('the token joins the hash route, whatever the link holds', () => {
    expect(withToken('http://oa/#/my', 't')).toBe('http://oa/#/my?sso=t')
    expect(withToken('http://oa/', 't')).toBe('http://oa/#/my?sso=t')
    expect(withToken('http://oa/?x=1#/customers/new?call=c', 't')).toBe('http://oa/?x=1#/customers/new?call=c&sso=t')
    expect(withToken('http://oa/#/my', null)).toBe('http://oa/#/my')
  })

  it("searches the OA's knowledge base from the pop, signed in", async () => {
    const tab = { opener: {} as unknown, location: { href: '' } }
    vi.stubGlobal('open', vi.fn(() => tab))
    const w = mount(ScreenPopPanel, { props: { sso: async () => 'tok', pops: [{ call: 'c4', url: 'http://oa.test/#/customers/7?call=c4' }] } })
    await w.get('[data-test=kb-search] input').setValue('  投注机 黑屏 ')
    await w.get('[data-test=kb-search]').trigger('submit')
    await flushPromises()
    expect(tab.location.href).toBe('http://oa.test/#/knowledge?q=%E6%8A%95%E6%B3%A8%E6%9C%BA%20%E9%BB%91%E5%B1%8F&sso=tok')
  })

  it('an empty search opens nothing', async () => {
    const open = vi.fn()
    vi.stubGlobal('open', open)
    const w = mount(ScreenPopPanel, { props: { pops: [{ call: 'c5', url: 'http://oa.test/#/customers/new?call=c5' }] } })
    await w.get('[data-test=kb-search]').trigger('submit')
    expect(open).not.toHaveBeenCalled()
  })

  it("the knowledge link keeps the OA's address and drops the pop's route", () => {
    expect(knowledgeLink('http://oa/?x=1#/customers/new?call=c', '报修')).toBe('http://oa/?x=1#/knowledge?q=%E6%8A%A5%E4%BF%AE')
    expect(knowledgeLink('https://oa.example/', 'a&b')).toBe('https://oa.example/#/knowledge?q=a%26b')
  })

  it('suggests from the OA as the agent types; an article suggestion opens on the OA, signed in', async () => {
    vi.useFakeTimers()
    const tab = { opener: {} as unknown, location: { href: '' } }
    vi.stubGlobal('open', vi.fn(() => tab))
    const suggest = vi.fn(async (_origin: string, q: string) => (q === '投注' ? [{ text: '投注站设备故障报修流程', kind: 'article', article_id: 9 }, { text: '投注站 报修', kind: 'query' }] : []))
    const w = mount(ScreenPopPanel, { props: { sso: async () => 'tok', kb: { suggest }, pops: [{ call: 'c6', url: 'http://oa.test/#/customers/7?call=c6' }] } })
    const input = w.get('[data-test=kb-search] input')
    await input.setValue('投')
    await input.setValue('投注')
    await vi.advanceTimersByTimeAsync(250)
    await flushPromises()
    // Typing fast asks once, for what is in the box.
    expect(suggest).toHaveBeenCalledOnce()
    expect(suggest.mock.calls[0].slice(0, 2)).toEqual(['http://oa.test', '投注'])
    const items = w.findAll('[data-test=kb-suggestion]')
    expect(items.map((i) => i.text())).toEqual(['投注站设备故障报修流程', '搜索投注站 报修'])
    expect(input.attributes('aria-expanded')).toBe('true')
    // The keyboard moves through the list and Enter opens the article.
    await input.trigger('keydown', { key: 'ArrowDown' })
    expect(input.attributes('aria-activedescendant')).toBe('kb-sg-c6-0')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(tab.location.href).toBe('http://oa.test/#/kb/articles/9?sso=tok')
    expect(w.findAll('[data-test=kb-suggestion]')).toHaveLength(0)
    vi.useRealTimers()
  })

  it("lists the card's articles for the open tickets and hides the card's JSON", async () => {
    const tab = { opener: {} as unknown, location: { href: '' } }
    vi.stubGlobal('open', vi.fn(() => tab))
    const card = JSON.stringify({ articles: [{ id: 4, title: '终端不出票的处理' }] })
    const w = mount(ScreenPopPanel, { props: { sso: async () => 'tok', pops: [{ call: 'c7', url: 'http://oa.test/#/customers/7?call=c7', fields: { customer: '张三', card } }] } })
    expect(w.get('dl').text()).toContain('张三')
    expect(w.get('dl').text()).not.toContain('articles')
    const link = w.get('[data-test=kb-linked-article]')
    expect(link.text()).toBe('终端不出票的处理')
    await link.trigger('click')
    await flushPromises()
    expect(tab.location.href).toBe('http://oa.test/#/kb/articles/4?sso=tok')
  })
})
