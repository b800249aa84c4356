import { request } from './api'
import type { KAttachment } from './knowledge'

// downloadAttachment fetches an article's attachment with the session's
// token and hands the browser the file.
export async function downloadAttachment(a: KAttachment) {
  const r = await request('GET', `/api/v1/knowledge/articles/${a.article_id}/attachments/${a.id}`)
  const url = URL.createObjectURL(await r.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = a.name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function size(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}
