import { request } from './api'

export interface ExportProgress {
  phase: 'preparing' | 'receiving' | 'done'
  rows: number // X-Total-Count: the rows in the workbook
  bytes: number
  length: number // Content-Length when the server gave one, else 0
}

// download fetches an export with the session's token, reporting progress
// as it streams in, and saves it under name.
export async function download(url: string, name: string, progress: (p: ExportProgress) => void): Promise<ExportProgress> {
  const p: ExportProgress = { phase: 'preparing', rows: 0, bytes: 0, length: 0 }
  progress({ ...p })
  const r = await request('GET', url)
  p.phase = 'receiving'
  p.rows = Number(r.headers.get('X-Total-Count') ?? 0)
  p.length = Number(r.headers.get('Content-Length') ?? 0)
  progress({ ...p })
  const parts: BlobPart[] = []
  const reader = r.body?.getReader()
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      p.bytes += value.byteLength
      progress({ ...p })
    }
  } else parts.push(await r.blob())
  const blob = new Blob(parts, { type: r.headers.get('Content-Type') ?? 'application/octet-stream' })
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(href), 10_000)
  p.phase = 'done'
  p.bytes = blob.size
  progress({ ...p })
  return p
}
