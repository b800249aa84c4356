import { describe, expect, it, vi } from 'vitest'
import { ApiError } from './api'
import { tableSort, usePaged } from './paged'

describe('usePaged', () => {
  it('asks the server for the page, its size and order, and starts again on a new search or sort', async () => {
    const fetchPage = vi.fn(async (_q: string) => ({ items: [{ id: 1 }], total: 45 }))
    const p = usePaged(fetchPage)
    await p.load()
    expect(fetchPage).toHaveBeenLastCalledWith('limit=20&offset=0')
    expect(p.items.value).toEqual([{ id: 1 }])
    expect(p.s.total).toBe(45)
    await p.setPage(3)
    expect(fetchPage).toHaveBeenLastCalledWith('limit=20&offset=40')
    await p.sortBy('created_at', true)
    expect(fetchPage).toHaveBeenLastCalledWith('limit=20&offset=0&sort=created_at&desc=true')
    await p.setSize(50)
    await p.setPage(2)
    expect(fetchPage).toHaveBeenLastCalledWith('limit=50&offset=50&sort=created_at&desc=true')
    await p.search()
    expect(fetchPage).toHaveBeenLastCalledWith('limit=50&offset=0&sort=created_at&desc=true')
    await p.sortBy('', false)
    expect(fetchPage).toHaveBeenLastCalledWith('limit=50&offset=0')
  })

  it('keeps a 400’s field messages for the form and the page it had', async () => {
    const p = usePaged(async () => ({ items: [{ id: 1 }], total: 1 }))
    await p.load()
    const bad = usePaged(async () => {
      throw new ApiError(400, 'invalid input: phone: not a telephone number', { phone: 'not a telephone number' })
    })
    await bad.load()
    expect(bad.s.fields).toEqual({ phone: 'not a telephone number' })
    expect(bad.s.message).toContain('invalid input')
    expect(bad.s.loading).toBe(false)
    expect(bad.items.value).toEqual([])
  })

  it('maps a table’s sort to the columns the API sorts by, and nothing else', () => {
    const cols = { id: 'id', due: 'sla_due_at' }
    expect(tableSort(cols, { prop: 'due', order: 'descending' })).toEqual(['sla_due_at', true])
    expect(tableSort(cols, { prop: 'id', order: 'ascending' })).toEqual(['id', false])
    expect(tableSort(cols, { prop: 'title', order: 'ascending' })).toEqual(['', null])
    expect(tableSort(cols, { prop: 'id', order: null })).toEqual(['', null])
  })
})
