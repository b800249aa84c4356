import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import CallPanel from './CallPanel.vue'
import { locale } from '../lib/i18n'

describe('CallPanel', () => {
  it('rings with the masked caller, queue, wait and IVR data, and answers by CTI', async () => {
    locale.value = 'zh-CN'
    const run = vi.fn(async () => ({}))
    const w = mount(CallPanel, {
      props: { now: 10_000, run, phone: null,
        call: { call: 'c1', phase: 'ringing', caller: '13800138000', queue: 'hotline', waitS: 12, vars: { menu: '2', call_id: 'x1', outlet: '13912345678' }, ringingAt: 4000 } },
    })
    expect(w.get('h2').text()).toBe('来电振铃')
    expect(w.get('[data-test=party]').text()).toBe('138****8000')
    expect(w.text()).not.toContain('13800138000')
    expect(w.text()).toContain('hotline')
    expect(w.text()).toContain('0:12')
    expect(w.text()).toContain('menu=2')
    expect(w.text()).toContain('outlet=139****5678')
    expect(w.text()).not.toContain('call_id')
    expect(w.get('[data-test=timer]').text()).toBe('0:06')
    await w.get('[data-test=answer]').trigger('click')
    expect(run).toHaveBeenCalledWith('call.answer', { call: 'c1' })
  })

  it('on a call: timer from the answer, hang-up and hold by CTI', async () => {
    locale.value = 'en'
    const run = vi.fn(async () => ({}))
    const w = mount(CallPanel, {
      props: { now: 100_000, run, phone: null, call: { call: 'c2', phase: 'talking', caller: '1002', ringingAt: 0, answeredAt: 35_000 } },
    })
    expect(w.get('h2').text()).toBe('On call')
    expect(w.get('[data-test=timer]').text()).toBe('1:05')
    await w.get('[data-test=hold]').trigger('click')
    await w.get('[data-test=hangup]').trigger('click')
    expect(run.mock.calls).toEqual([['call.hold', { call: 'c2' }], ['call.hangup', { call: 'c2' }]])
  })

  it('is quiet with no call', () => {
    locale.value = 'zh-CN'
    const w = mount(CallPanel, { props: { now: 0, run: vi.fn(), phone: null, call: null } })
    expect(w.get('h2').text()).toBe('当前没有通话')
    expect(w.find('button').exists()).toBe(false)
  })
})
