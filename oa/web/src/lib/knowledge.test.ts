import { describe, expect, it } from 'vitest'
import { diffLines, flatDirs, htmlText, liveState, parseSynonyms, parseTags, formatSynonyms } from './knowledge'

describe('knowledge helpers', () => {
  it('a line diff keeps the common lines and marks what went and came', () => {
    const d = diffLines('标题\n先重启终端\n再检查网线\n拨打热线', '标题\n先重启终端\n检查电源\n再检查网线')
    expect(d).toEqual([
      { op: 'same', text: '标题' },
      { op: 'same', text: '先重启终端' },
      { op: 'add', text: '检查电源' },
      { op: 'same', text: '再检查网线' },
      { op: 'del', text: '拨打热线' },
    ])
    expect(diffLines('', 'a')).toEqual([{ op: 'add', text: 'a' }])
    expect(diffLines('a\nb', '')).toEqual([{ op: 'del', text: 'a' }, { op: 'del', text: 'b' }])
    // Joined back, each side is what it was.
    const after = d.filter((o) => o.op !== 'del').map((o) => o.text).join('\n')
    const before = d.filter((o) => o.op !== 'add').map((o) => o.text).join('\n')
    expect(before).toBe('标题\n先重启终端\n再检查网线\n拨打热线')
    expect(after).toBe('标题\n先重启终端\n检查电源\n再检查网线')
  })

  it('very long texts are compared as wholes instead of quadratically', () => {
    const long = Array.from({ length: 2500 }, (_, i) => `行${i}`).join('\n')
    const d = diffLines(long, '一')
    expect(d.filter((o) => o.op === 'del')).toHaveLength(2500)
    expect(d.at(-1)).toEqual({ op: 'add', text: '一' })
  })

  it('article HTML reads as text a block a line, list items bulleted, table cells split', () => {
    const html = '<h2>步骤</h2><p>先<strong>重启</strong>终端</p><ul><li>检查电源</li><li>检查网线</li></ul><table><tbody><tr><th>型号</th><th>电话</th></tr><tr><td>A1</td><td>12345</td></tr></tbody></table>'
    expect(htmlText(html)).toBe('步骤\n先重启终端\n• 检查电源\n• 检查网线\n型号 | 电话\nA1 | 12345')
    // As the editor writes them: paragraphs inside list items and cells.
    const tiptap = '<ul><li><p>检查电源</p></li></ul><table><tbody><tr><th colspan="1"><p>型号</p></th><th><p></p></th></tr><tr><td><p>A1</p></td><td><p>12345</p></td></tr></tbody></table><p>完</p>'
    expect(htmlText(tiptap)).toBe('• 检查电源\n型号\nA1 | 12345\n完')
  })

  it('tags split on either width of comma, 顿号 and semicolons; blanks and repeats drop', () => {
    expect(parseTags('报修，终端、 出票;报修,, ')).toEqual(['报修', '终端', '出票'])
  })

  it('synonym lines become groups; a word in two groups is reported', () => {
    expect(parseSynonyms('彩票站 / 彩票站点 / 投注站\n报修, 故障报修\n孤词\n\n')).toEqual({
      groups: [['彩票站', '彩票站点', '投注站'], ['报修', '故障报修']],
      repeated: [],
    })
    expect(parseSynonyms('甲 乙\n乙 丙').repeated).toEqual(['乙'])
    expect(formatSynonyms([['a', 'b'], ['c', 'd']])).toBe('a / b\nc / d')
    expect(parseSynonyms(formatSynonyms([['彩票站', '投注站']])).groups).toEqual([['彩票站', '投注站']])
  })

  it('directories flatten depth first with their paths', () => {
    const tree = [{ id: 1, base_id: 1, name: '设备', children: [{ id: 2, base_id: 1, parent_id: 1, name: '终端' }] }, { id: 3, base_id: 1, name: '业务' }]
    expect(flatDirs(tree).map((d) => [d.dir.id, d.depth, d.path])).toEqual([
      [1, 0, '设备'],
      [2, 1, '设备 / 终端'],
      [3, 0, '业务'],
    ])
  })

  it('an article is live between its dates once published', () => {
    const now = 1_000_000
    expect(liveState({ published_version: 0 }, now)).toBe('unpublished')
    expect(liveState({ published_version: 2, effective_at: now + 1 }, now)).toBe('pending')
    expect(liveState({ published_version: 2, expires_at: now }, now)).toBe('expired')
    expect(liveState({ published_version: 2, effective_at: now, expires_at: now + 1 }, now)).toBe('live')
  })
})
