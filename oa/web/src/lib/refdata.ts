import { reactive } from 'vue'
import { get, type Page } from './api'
import { flatten, type Category, type Department, type Staff } from './types'

// The tenant's categories, departments and staff, read once per page load
// for names and pickers.
export const ref = reactive({
  categories: [] as { node: Category; depth: number }[],
  departments: [] as { node: Department; depth: number }[],
  staff: [] as Staff[],
  loaded: false,
})

let loading: Promise<void> | null = null

export function loadRefs(): Promise<void> {
  loading ??= Promise.all([
    get<Page<Category>>('/api/v1/categories'),
    get<Page<Department>>('/api/v1/departments'),
    get<Page<Staff>>('/api/v1/staff'),
  ])
    .then(([c, d, s]) => {
      ref.categories = flatten(c.items)
      ref.departments = flatten(d.items)
      ref.staff = s.items
      ref.loaded = true
    })
    .catch((e) => {
      loading = null
      throw e
    })
  return loading
}

export const categoryName = (id?: number) => ref.categories.find((c) => c.node.id === id)?.node.name ?? (id ? `#${id}` : '')
export const departmentName = (id?: number) => ref.departments.find((d) => d.node.id === id)?.node.name ?? (id ? `#${id}` : '')
export const staffName = (user?: string) => {
  const s = ref.staff.find((x) => x.user_id === user)
  return s ? s.display_name || s.name : (user ?? '')
}
export const category = (id?: number) => ref.categories.find((c) => c.node.id === id)?.node
