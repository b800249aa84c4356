import { reactive, shallowRef } from 'vue'
import { ApiError, type Page } from './api'
import { toQuery } from './filters'

// usePaged keeps one listing's page: the server pages and sorts
// (limit/offset/sort/desc); a 400's field messages are kept for the form.
// fetchPage gets the paging as a query string to add to its filters.
export function usePaged<T>(fetchPage: (paging: string) => Promise<Page<T>>, size = 20) {
  const items = shallowRef<T[]>([])
  const s = reactive({ total: 0, page: 1, size, sort: '', desc: null as boolean | null, loading: false, fields: {} as Record<string, string>, message: '' })

  async function load() {
    s.loading = true
    s.fields = {}
    s.message = ''
    try {
      const p = await fetchPage(toQuery({ limit: String(s.size), offset: String((s.page - 1) * s.size), sort: s.sort, desc: s.desc === null ? '' : String(s.desc) }))
      items.value = p.items
      s.total = p.total
    } catch (e) {
      s.message = e instanceof Error ? e.message : String(e)
      if (e instanceof ApiError) s.fields = { ...e.fields }
    } finally {
      s.loading = false
    }
  }

  return {
    items,
    s,
    load,
    // search starts again from the first page (the filters changed).
    search() {
      s.page = 1
      return load()
    },
    sortBy(col: string, desc: boolean | null) {
      s.sort = col
      s.desc = col ? desc : null
      s.page = 1
      return load()
    },
    setPage(n: number) {
      s.page = n
      return load()
    },
    setSize(n: number) {
      s.size = n
      s.page = 1
      return load()
    },
  }
}

// tableSort maps an Element Plus table's sort-change to a server column:
// cols names the columns the API sorts by (prop → column).
export function tableSort(cols: Record<string, string>, x: { prop: string | null; order: string | null }): [string, boolean | null] {
  const col = x.order ? (cols[x.prop ?? ''] ?? '') : ''
  return [col, col ? x.order === 'descending' : null]
}
