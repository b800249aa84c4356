import { describe, expect, it } from 'vitest'
import { addDays, apiQuery, filtersFromQuery, filtersToQuery, oneDay, presetRange, showCell, todayIn, zonedStamp } from './reports'

describe('report periods', () => {
  it('today is the report zone’s date, not the browser’s', () => {
    // 19:00 UTC on 6 December is 03:00 on the 7th in Shanghai.
    const now = new Date('2026-12-06T19:00:00Z')
    expect(todayIn('Asia/Shanghai', now)).toBe('2026-12-07')
    expect(todayIn('UTC', now)).toBe('2026-12-06')
    expect(todayIn('America/New_York', now)).toBe('2026-12-06')
    expect(todayIn('Not/AZone', new Date('2026-06-15T12:00:00Z'))).toMatch(/^2026-06-1[45]$/)
  })

  it('calendar arithmetic crosses months, years and leap days', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })

  it('presets: yesterday, a week from Monday, a month from the 1st', () => {
    // 2026-12-07 is a Monday; 2026-12-13 a Sunday.
    expect(presetRange('today', '2026-12-09')).toEqual(['2026-12-09', '2026-12-09'])
    expect(presetRange('yesterday', '2027-01-01')).toEqual(['2026-12-31', '2026-12-31'])
    expect(presetRange('week', '2026-12-09')).toEqual(['2026-12-07', '2026-12-09'])
    expect(presetRange('week', '2026-12-07')).toEqual(['2026-12-07', '2026-12-07'])
    expect(presetRange('week', '2026-12-13')).toEqual(['2026-12-07', '2026-12-13'])
    expect(presetRange('week', '2026-01-01')).toEqual(['2025-12-29', '2026-01-01'])
    expect(presetRange('month', '2026-12-09')).toEqual(['2026-12-01', '2026-12-09'])
  })
})

describe('a report page’s address', () => {
  const defaults = { range: 'today' as const, from: '', to: '', by: 'queue', queue: '', agent: '' }
  const bys = ['queue', 'agent', 'day', 'interval']

  it('round-trips a drilled-down page, empty filters left out', () => {
    const f = oneDay({ ...defaults, queue: '热线' }, '2026-12-07', 'interval')
    const q = filtersToQuery(f)
    expect(q).toEqual({ range: 'custom', from: '2026-12-07', to: '2026-12-07', by: 'interval', queue: '热线' })
    expect(filtersFromQuery(defaults, q, bys)).toEqual(f)
  })

  it('a preset keeps no days in the address and re-reads today on load', () => {
    const q = filtersToQuery({ ...defaults, range: 'week', from: '2026-01-01', to: '2026-01-02', by: 'agent' })
    expect(q).toEqual({ range: 'week', by: 'agent' })
    expect(apiQuery(filtersFromQuery(defaults, q, bys), '2026-12-09')).toEqual({ from: '2026-12-07', to: '2026-12-09', by: 'agent' })
  })

  it('what is not a range, grouping or day falls back to the defaults; unknown keys are dropped', () => {
    expect(filtersFromQuery(defaults, { range: 'forever', by: 'drop table', evil: '1' }, bys)).toEqual(defaults)
    expect(filtersFromQuery(defaults, { range: 'custom', from: '2026-13-40', to: '2026-12-01' }, bys)).toEqual(defaults)
    expect(filtersFromQuery(defaults, { range: 'custom', from: '2026-12-05' }, bys)).toEqual(defaults)
    // Days given the wrong way round are swapped; an array takes its first.
    expect(filtersFromQuery(defaults, { range: 'custom', from: '2026-12-05', to: '2026-12-01', agent: ['a1', 'a2'] }, bys)).toEqual({
      ...defaults, range: 'custom', from: '2026-12-01', to: '2026-12-05', agent: 'a1',
    })
  })

  it('the API is asked for the period’s days and the set filters', () => {
    expect(apiQuery({ ...defaults, range: 'custom', from: '2026-11-01', to: '2026-11-30', queue: 'vip' }, '2026-12-09')).toEqual({
      from: '2026-11-01', to: '2026-11-30', by: 'queue', queue: 'vip',
    })
  })
})

describe('report cells', () => {
  it('rates as percentages, averages to one decimal, nothing as a dash, times in the zone’s wall time', () => {
    expect(showCell('service_level', 0.6667)).toBe('66.7%')
    expect(showCell('reopen_rate', 1)).toBe('100.0%')
    expect(showCell('aht_s', 127.5)).toBe('127.5')
    expect(showCell('asa_s', 16.66666)).toBe('16.7')
    expect(showCell('offered', 12)).toBe('12')
    expect(showCell('occupancy', null)).toBe('—')
    expect(showCell('time', '2026-12-07T02:15:00+08:00', 'interval')).toBe('2026-12-07 02:15')
    expect(showCell('time', '2026-12-07T00:00:00+08:00', 'day')).toBe('2026-12-07')
  })

  it('a call’s start is shown in the report zone', () => {
    expect(zonedStamp('2026-12-06T19:05:09Z', 'Asia/Shanghai')).toBe('2026-12-07 03:05:09')
    expect(zonedStamp('2026-12-06T19:05:09Z', 'UTC')).toBe('2026-12-06 19:05:09')
    expect(zonedStamp('nonsense', 'UTC')).toBe('nonsense')
  })
})

describe('report column headings', () => {
  it('Chinese as the API labels them; English from the list, a not-ready reason named, an unknown column as labelled', async () => {
    const { columnLabel } = await import('./reportlabels')
    expect(columnLabel('service_level', '服务水平', 'zh-CN')).toBe('服务水平')
    expect(columnLabel('service_level', '服务水平', 'en')).toBe('Service level')
    expect(columnLabel('not_ready:lunch', '示忙-lunch(秒)', 'en')).toBe('Not ready: lunch (s)')
    expect(columnLabel('key', '分类', 'en')).toBe('分类')
    expect(columnLabel('something_new', '新列', 'en')).toBe('新列')
  })

  it('a heading is given room for its characters, Chinese ones wider', async () => {
    const { headWidth } = await import('./reportlabels')
    expect(headWidth('服务水平')).toBe(24 + 4 * 13)
    expect(headWidth('Longest wait (s)')).toBe(24 + 128)
    expect(headWidth('AHT')).toBe(72)
  })
})
