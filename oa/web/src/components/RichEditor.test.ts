import { beforeAll, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import RichEditor from './RichEditor.vue'
import { locale } from '../lib/i18n'

describe('RichEditor', () => {
  // jsdom lays nothing out: ProseMirror's scrolling asks for rectangles.
  beforeAll(() => {
    const none = () => ({ length: 0, item: () => null, [Symbol.iterator]: function* () {} }) as unknown as DOMRectList
    Range.prototype.getClientRects = none
    Range.prototype.getBoundingClientRect = () => new DOMRect()
    Element.prototype.getClientRects = none
  })

  it('shows the text it is given, formats it from the toolbar and emits the HTML', async () => {
    locale.value = 'zh-CN'
    const w = mount(RichEditor, { props: { modelValue: '', label: '正文' }, attachTo: document.body })
    await flushPromises()
    await w.setProps({ modelValue: '<p>先重启终端</p>' })
    await flushPromises()
    const body = w.get('[data-test=kb-body]')
    expect(body.attributes('aria-label')).toBe('正文')
    expect(body.html()).toContain('先重启终端')
    // The cursor in the paragraph, H2 makes it a heading.
    await w.get('[data-test=tool-h2]').trigger('click')
    await flushPromises()
    const emitted = w.emitted('update:modelValue') ?? []
    // (An empty paragraph stays after a heading or table that ends the text, to type on.)
    expect(emitted.at(-1)?.[0]).toBe('<h2>先重启终端</h2><p></p>')
    // The toolbar follows the editor's state two animation frames later.
    await new Promise((r) => setTimeout(r, 100))
    expect(w.get('[data-test=tool-h2]').attributes('aria-pressed')).toBe('true')
    expect(w.get('[data-test=tool-bold]').attributes('aria-pressed')).toBe('false')
    await w.get('[data-test=tool-bullet]').trigger('click')
    await flushPromises()
    expect((w.emitted('update:modelValue') ?? []).at(-1)?.[0]).toMatch(/^<ul><li><p>先重启终端<\/p><\/li><\/ul>/)
    // Every button is named for screen readers.
    for (const b of w.findAll('[role=toolbar] button')) expect(b.attributes('aria-label')).toBeTruthy()
    await new Promise((r) => setTimeout(r, 100)) // the editor's pending frames run before it goes
    w.unmount()
  })
})
