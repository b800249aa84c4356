// A query screen's filters as a query string and back: what a saved query
// holds and what the API takes.
export type Filters = Record<string, string>

export function toQuery(f: Filters): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(f)) if (v !== '' && v != null) p.set(k, v)
  return p.toString()
}

// fromQuery fills the known keys of blank from q; unknown keys are left out.
export function fromQuery<T extends Filters>(blank: T, q: string): T {
  const out = { ...blank }
  const p = new URLSearchParams(q)
  for (const k of Object.keys(blank)) {
    const v = p.get(k)
    if (v !== null) (out as Filters)[k] = v
  }
  return out
}

// dayRange turns a picked [from, to] pair of day starts (Unix ms) into the
// API's half-open range: to is the end of its day.
export function dayRange(r: [number, number] | null | undefined): { from: string; to: string } {
  if (!r) return { from: '', to: '' }
  return { from: String(r[0]), to: String(r[1] + 86_400_000) }
}
