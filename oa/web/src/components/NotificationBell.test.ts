import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import NotificationBell from './NotificationBell.vue'
import { locale } from '../lib/i18n'

const notes = [
  { id: 1, ticket_id: 5, kind: 'sla.breached', text: '工单 #5 已超时', read: false, at: 1_770_000_000_000 },
  { id: 2, ticket_id: 4, kind: 'dispatch', text: '工单 #4 已派至您的部门', read: true, at: 1_769_000_000_000 },
]

describe('NotificationBell', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
    document.body.innerHTML = ''
  })

  it('counts the unread, polls, and opens a notification’s ticket marking it read', async () => {
    locale.value = 'zh-CN'
    vi.useFakeTimers()
    const calls: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? 'GET'} ${url}`)
      if (init?.method === 'POST') return new Response(null, { status: 204 })
      return new Response(JSON.stringify({ items: notes.map((n) => ({ ...n })), total: 2 }), { status: 200 })
    }))
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
    const w = mount(NotificationBell, { props: { every: 1000, follow: false }, global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()
    const bell = w.get('[data-test=bell]')
    expect(bell.attributes('aria-label')).toBe('1 条未读通知')
    expect(bell.text()).toContain('1')
    vi.advanceTimersByTime(1000)
    await flushPromises()
    expect(calls.filter((c) => c === 'GET /api/v1/notifications')).toHaveLength(2)

    const items = [...document.body.querySelectorAll('[data-test=notes] li')]
    expect(items.map((li) => li.classList.contains('unread'))).toEqual([true, false])
    expect(items[0].classList.contains('sla')).toBe(true)
    ;(items[0].querySelector('button') as HTMLButtonElement).click()
    await flushPromises()
    expect(calls).toContain('POST /api/v1/notifications/1/read')
    expect(router.currentRoute.value.path).toBe('/tickets/5')
    expect(w.get('[data-test=bell]').attributes('aria-label')).toBe('0 条未读通知')
    w.unmount()
  })
})
