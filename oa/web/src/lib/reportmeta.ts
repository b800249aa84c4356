import { reactive } from 'vue'
import { get } from './api'

// What GET /api/v1/reports/formulas says once per page load: the time zone
// the reports count days in, the service level's definition in force and
// the choices a page may ask for instead.
export interface ReportMeta {
  timezone: string
  kpi: { sl_seconds: number; abandon_method: string; short_abandon_s: number }
  traffic: Record<string, string>
  thresholds: number[]
  abandon_methods: string[]
}

export const meta = reactive({ m: null as ReportMeta | null })

let loading: Promise<ReportMeta> | null = null

export function loadMeta(): Promise<ReportMeta> {
  loading ??= get<ReportMeta>('/api/v1/reports/formulas')
    .then((m) => (meta.m = m))
    .catch((e) => {
      loading = null
      throw e
    })
  return loading
}

// A report as the API answers it (format=json).
export interface ReportColumn {
  key: string
  label: string
}
export interface ReportTable {
  report: string
  title: string
  from: string
  to: string
  by: string
  formulas: Record<string, string>
  columns: ReportColumn[]
  rows: Record<string, unknown>[]
  total: number
}

// The queues and agents of the last 31 days, offered while a filter is
// typed; read once per page load (two report requests).
export const names = reactive({ queue: [] as string[], agent: [] as string[] })

let naming: Promise<void> | null = null

export function loadNames(from: string, to: string): Promise<void> {
  naming ??= Promise.all(
    (['queue', 'agent'] as const).map((by) =>
      get<ReportTable>(`/api/v1/reports/traffic?by=${by}&from=${from}&to=${to}`).then((tb) => {
        names[by] = tb.rows.map((r) => String(r[by] ?? '')).filter((x) => x)
      }),
    ),
  )
    .then(() => undefined)
    .catch((e) => {
      naming = null
      throw e
    })
  return naming
}
