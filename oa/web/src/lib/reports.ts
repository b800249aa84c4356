// The statistics report pages' logic: periods as the reports count days
// (in the report time zone the server names, not the browser's), and a
// page's filters as its address, so a drilled-down page reloads and can be
// sent as a link.

export type Preset = 'today' | 'yesterday' | 'week' | 'month' | 'custom'
export const presets: Preset[] = ['today', 'yesterday', 'week', 'month', 'custom']

const ymdRe = /^\d{4}-\d{2}-\d{2}$/

export const isDay = (s: string) => ymdRe.test(s) && !Number.isNaN(Date.parse(s + 'T00:00:00Z'))

// todayIn is the calendar date (YYYY-MM-DD) it is now in time zone tz; an
// unknown zone falls back to the browser's.
export function todayIn(tz: string, now: Date = new Date()): string {
  const fmt = (timeZone?: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
  try {
    return fmt(tz || undefined)
  } catch {
    return fmt()
  }
}

// addDays moves a calendar date by n days (no time zone is involved).
export function addDays(day: string, n: number): string {
  const d = new Date(day + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

// presetRange is a preset's first and last day (both included) on the day
// today: a week begins on Monday, and this week and this month run to today.
export function presetRange(p: Exclude<Preset, 'custom'>, today: string): [string, string] {
  switch (p) {
    case 'today':
      return [today, today]
    case 'yesterday': {
      const y = addDays(today, -1)
      return [y, y]
    }
    case 'week': {
      const wd = new Date(today + 'T00:00:00Z').getUTCDay() // 0 Sunday
      return [addDays(today, -((wd + 6) % 7)), today]
    }
    case 'month':
      return [today.slice(0, 8) + '01', today]
  }
}

// A report page's filters. from and to are days (both included, as the
// API takes a "to" date); they matter for the custom range only.
export interface ReportFilters {
  range: Preset
  from: string
  to: string
  by: string
  [extra: string]: string
}

type QueryValue = string | null | (string | null)[] | undefined

const first = (v: QueryValue): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')) || ''

// filtersFromQuery reads a page's address: keys of defaults only; a range,
// grouping or day that is not one is replaced by the default (a custom
// range without both days falls back to the default range).
export function filtersFromQuery<F extends ReportFilters>(defaults: F, q: Record<string, QueryValue>, bys: string[]): F {
  const out = { ...defaults }
  for (const k of Object.keys(defaults)) {
    const v = first(q[k])
    if (v !== '') (out as ReportFilters)[k] = v
  }
  if (!presets.includes(out.range)) out.range = defaults.range
  if (!bys.includes(out.by)) out.by = defaults.by
  if (out.range === 'custom') {
    if (!isDay(out.from) || !isDay(out.to)) Object.assign(out, { range: defaults.range, from: '', to: '' })
    else if (out.from > out.to) [out.from, out.to] = [out.to, out.from]
  } else {
    out.from = ''
    out.to = ''
  }
  return out
}

// filtersToQuery is the address of filters: empty values left out, and
// the days only for a custom range.
export function filtersToQuery(f: ReportFilters): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(f)) if (v !== '' && v != null) out[k] = v
  if (f.range !== 'custom') {
    delete out.from
    delete out.to
  }
  return out
}

// period is the days a page's filters cover on the day today.
export function period(f: ReportFilters, today: string): [string, string] {
  return f.range === 'custom' ? [f.from, f.to] : presetRange(f.range, today)
}

// apiQuery is what the report API is asked: the period as dates (days
// begin in the report time zone, a "to" date includes its day) and every
// other set filter.
export function apiQuery(f: ReportFilters, today: string): Record<string, string> {
  const [from, to] = period(f, today)
  const out: Record<string, string> = { from, to }
  for (const [k, v] of Object.entries(f)) if (!['range', 'from', 'to'].includes(k) && v) out[k] = v
  return out
}

// oneDay narrows filters to a single day (a drill-down from a day's row).
export function oneDay<F extends ReportFilters>(f: F, day: string, by: string): F {
  return { ...f, range: 'custom', from: day, to: day, by }
}

// How a report cell is shown: rates as percentages, seconds and averages
// with at most one decimal, nothing as a dash.
export type CellKind = 'rate' | 'number' | 'time' | 'text'

export function cellKind(key: string): CellKind {
  if (key === 'time') return 'time'
  if (key === 'service_level' || key === 'occupancy' || key.endsWith('_rate')) return 'rate'
  return 'text'
}

export function showCell(key: string, v: unknown, by = ''): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'number') {
    if (cellKind(key) === 'rate') return (Math.round(v * 1000) / 10).toFixed(1) + '%'
    return Number.isInteger(v) ? String(v) : String(Math.round(v * 10) / 10)
  }
  if (cellKind(key) === 'time') return showTime(String(v), by)
  return String(v)
}

// showTime shows a row's start (RFC 3339 with the report zone's offset,
// as the API gives it) in that zone's wall time: a day's row as the day.
export function showTime(s: string, by = ''): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(s)
  if (!m) return s
  return by === 'day' ? m[1] : `${m[1]} ${m[2]}`
}

// dayOf is the report-zone day of a row's time.
export const dayOf = (s: string) => s.slice(0, 10)

// zonedStamp shows an instant (a call's start, in UTC) in time zone tz as
// YYYY-MM-DD HH:MM:SS.
export function zonedStamp(iso: string, tz: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
  let parts: Intl.DateTimeFormatPart[]
  try {
    parts = new Intl.DateTimeFormat('en-CA', { ...opts, timeZone: tz || undefined }).formatToParts(d)
  } catch {
    parts = new Intl.DateTimeFormat('en-CA', opts).formatToParts(d)
  }
  const p = (type: string) => parts.find((x) => x.type === type)?.value ?? ''
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')}`
}
