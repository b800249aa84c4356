// The OA's JSON API (docs/oa.md): a bearer session token on every call,
// errors as {"error", "fields": {field: what is wrong}}.

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public fields: Record<string, string> = {},
  ) {
    super(message || String(status))
  }
}

export interface Auth {
  token: string
  // unauthorised is told when the server no longer knows the session.
  unauthorised?: () => void
}

export const auth: Auth = { token: '' }

async function failure(r: Response): Promise<ApiError> {
  const j = await r.json().catch(() => ({}))
  return new ApiError(r.status, j.error ?? r.statusText, j.fields ?? {})
}

export async function request(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = {}
  if (auth.token) headers.Authorization = `Bearer ${auth.token}`
  let payload: BodyInit | undefined
  if (body instanceof FormData) payload = body
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const r = await fetch(path, { method, headers, body: payload, ...init })
  if (!r.ok) {
    const e = await failure(r)
    if (r.status === 401 && auth.token) auth.unauthorised?.()
    throw e
  }
  return r
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await request(method, path, body)
  if (r.status === 204) return undefined as T
  return r.json()
}

export const get = <T>(path: string) => api<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {})

// query builds a query string from the set values of q.
export function query(q: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

export interface Page<T> {
  items: T[]
  total: number
}
