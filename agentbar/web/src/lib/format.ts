// mmss renders seconds as m:ss, or h:mm:ss from an hour up.
export function mmss(total: number): string {
  const s = Math.max(0, Math.floor(total))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

// maskNumber hides the middle of a phone number (138****8000): agents see
// enough to recognise a caller, never the whole number. Extensions (up to
// five digits) are shown as they are.
export function maskNumber(n: string | undefined): string {
  if (!n) return ''
  if (n.length <= 5) return n
  const keep = n.length >= 11 ? 3 : 2
  const tail = n.length >= 11 ? 4 : 2
  return n.slice(0, keep) + '*'.repeat(n.length - keep - tail) + n.slice(n.length - tail)
}

// secondsSince is the whole seconds from an RFC 3339 time to now (0 for none).
export function secondsSince(iso: string | undefined, now: number): number {
  if (!iso) return 0
  const t = Date.parse(iso)
  return Number.isNaN(t) ? 0 : Math.max(0, Math.floor((now - t) / 1000))
}

// score renders a mean survey score with one decimal; null is a dash.
export function score(s: number | null | undefined): string {
  return s === null || s === undefined ? '—' : s.toFixed(1)
}

// percent renders a 0..1 ratio; null (nothing measured yet) is a dash,
// never 100 %.
export function percent(r: number | null | undefined): string {
  return r === null || r === undefined ? '—' : `${Math.round(r * 100)}%`
}
