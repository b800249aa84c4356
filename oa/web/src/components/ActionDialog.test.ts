import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { flushPromises, mount } from '@vue/test-utils'
import ActionDialog from './ActionDialog.vue'
import { locale } from '../lib/i18n'
import type { Ticket } from '../lib/types'

const ticket = { id: 7, title: '终端无法出票', state: 'dispatched', category_id: 1, sla: { paused: false } } as unknown as Ticket

// reply answers every fetch with status and body, recording the requests.
function reply(status: number, body: unknown) {
  const calls: { url: string; body: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, body: JSON.parse(String(init.body)) })
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
  }))
  return calls
}

async function open(action: string) {
  const w = mount(ActionDialog, { props: { ticket, action }, attachTo: document.body })
  await flushPromises()
  return w
}

const submit = async () => {
  ;(document.body.querySelector('[data-test=action-submit]') as HTMLButtonElement).click()
  await flushPromises()
  await nextTick()
}

describe('ActionDialog', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('dispatch asks for a department and shows the server’s field message beside it', async () => {
    locale.value = 'zh-CN'
    const calls = reply(400, { error: 'invalid input: department_id: required', fields: { department_id: 'required' } })
    const w = await open('dispatch')
    expect(document.body.querySelector('#act-dep')).not.toBeNull()
    expect(document.body.querySelector('#act-extra')).toBeNull()
    await submit()
    expect(calls).toEqual([{ url: '/api/v1/tickets/7/transitions', body: { action: 'dispatch', comment: '', department_id: 0, assignee: '' } }])
    const item = document.body.querySelector('#act-dep')!.closest('.el-form-item')!
    // Element Plus shows a field's message a moment (100 ms) after its state.
    await new Promise((r) => setTimeout(r, 150))
    await nextTick()
    expect(item.querySelector('.el-form-item__error')?.textContent).toContain('required')
    expect(document.body.querySelector('[data-test=action-error]')?.textContent).toContain('输入有误')
    expect(w.emitted('done')).toBeUndefined()
  })

  it('an action the state no longer allows is said plainly and the page told to reload', async () => {
    locale.value = 'zh-CN'
    reply(409, { error: 'cannot sign a ticket that is signed' })
    const w = await open('sign')
    await submit()
    const alert = document.body.querySelector('[data-test=action-error]')!
    expect(alert.getAttribute('role')).toBe('alert')
    expect(alert.textContent).toContain('操作被拒绝：工单已是「已签收」，不能签收')
    expect(w.emitted('refused')).toHaveLength(1)
    expect(w.emitted('done')).toBeUndefined()
  })

  it('回访 records the satisfaction chosen and hands back the ticket', async () => {
    locale.value = 'en'
    const calls = reply(200, { ...ticket, state: 'visited', satisfaction: 4 })
    const w = await open('visit')
    expect(document.body.textContent).toContain('Very satisfied')
    ;(document.body.querySelector('[data-test=sat-4] input') as HTMLInputElement).click()
    ;(document.body.querySelector('#act-comment') as HTMLTextAreaElement).value = '已修复，满意'
    document.body.querySelector('#act-comment')!.dispatchEvent(new Event('input'))
    await submit()
    expect(calls[0].body).toEqual({ action: 'visit', comment: '已修复，满意', satisfaction: 4 })
    expect((w.emitted('done')![0][0] as Ticket).state).toBe('visited')
  })

  it('退单 names its comment the reason and requires it', async () => {
    locale.value = 'zh-CN'
    await open('return')
    const label = document.body.querySelector('label[for=act-comment]')!
    expect(label.textContent).toContain('退单原因')
    expect(label.closest('.el-form-item')!.classList.contains('is-required')).toBe(true)
  })
})
