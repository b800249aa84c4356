import { describe, expect, it } from 'vitest'
import { dayRange, fromQuery, toQuery } from './filters'
import { ordered } from './workflow'

describe('query filters', () => {
  it('round-trip through a saved query string, blanks left out and unknown keys ignored', () => {
    const blank = { q: '', state: '', open: '', from: '', to: '' }
    const q = toQuery({ ...blank, q: '出票 故障', state: 'handling', open: 'true' })
    expect(q).toBe('q=%E5%87%BA%E7%A5%A8+%E6%95%85%E9%9A%9C&state=handling&open=true')
    expect(fromQuery(blank, q + '&evil=1')).toEqual({ ...blank, q: '出票 故障', state: 'handling', open: 'true' })
  })

  it('a picked day range ends after its last day', () => {
    expect(dayRange([1_770_000_000_000, 1_770_086_400_000])).toEqual({ from: '1770000000000', to: String(1_770_086_400_000 + 86_400_000) })
    expect(dayRange(null)).toEqual({ from: '', to: '' })
  })

  it('actions stand in the order of the main path, unknown ones dropped', () => {
    expect(ordered(['comment', 'supervise', 'sign', 'return', 'bogus', 'dispatch'])).toEqual(['dispatch', 'sign', 'return', 'supervise', 'comment'])
  })
})
