import { computed, ref, shallowRef, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { ApiError, get } from './api'
import { download } from './exporter'
import { t } from './i18n'
import { filtersFromQuery, filtersToQuery, period, todayIn, type ReportFilters } from './reports'
import { loadMeta, meta, type ReportTable } from './reportmeta'

// useReportPage is a report page's state kept in its address: the filters
// are read from the route's query (and the report fetched again) whenever
// it changes; a control changes them by going to the new address, so the
// back button, a reload and a link all show the same report.
export function useReportPage(path: string, defaults: ReportFilters, bys: string[], url: (f: ReportFilters, today: string) => string) {
  const route = useRoute()
  const router = useRouter()
  const f = ref<ReportFilters>({ ...defaults })
  const table = shallowRef<ReportTable | null>(null)
  const loading = ref(false)
  const message = ref('')
  const exported = ref('')
  const today = computed(() => todayIn(meta.m?.timezone ?? ''))
  const days = computed(() => period(f.value, today.value))

  const show = (e: unknown) =>
    (message.value = e instanceof ApiError ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join('; ') || e.message : t('err.network'))

  async function load() {
    loading.value = true
    message.value = ''
    exported.value = ''
    try {
      await loadMeta().catch(() => null)
      table.value = await get<ReportTable>(url(f.value, today.value))
    } catch (e) {
      table.value = null
      show(e)
    } finally {
      loading.value = false
    }
  }

  const go = (next: ReportFilters) => router.push({ path, query: filtersToQuery(next) })
  const set = (patch: Partial<ReportFilters>) => go({ ...f.value, ...patch } as ReportFilters)

  // exportXlsx saves what href answers; done says what was exported.
  async function exportXlsx(href: string, name: string, done: (rows: number) => string) {
    exported.value = ''
    try {
      const p = await download(href, name, () => {})
      exported.value = done(p.rows)
    } catch (e) {
      show(e)
    }
  }

  watch(
    () => route.query,
    (q) => {
      if (route.path !== path) return
      f.value = filtersFromQuery(defaults, q, bys)
      load()
    },
    { immediate: true },
  )

  return {
    route,
    router,
    f,
    table,
    loading,
    message,
    exported,
    today,
    days,
    load,
    go,
    set,
    exportXlsx,
  }
}
