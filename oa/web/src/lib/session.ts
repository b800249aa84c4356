import { reactive } from 'vue'
import { ApiError, auth, get, post } from './api'
import { local } from './storage'
import type { Me } from './types'

// The OA session: a bearer token from a password login or from one login
// (a token the PBX issued to the agent bar, POST /api/v1/sso/login). It is
// kept in localStorage so that the tabs the screen pop opens share it; a
// 401 anywhere ends it.

const key = 'yimen.oa.session'

export interface Session {
  token: string
  tenant: string
  name: string
}

export const session = reactive({
  current: null as Session | null,
  me: null as Me | null,
  mustChange: false,
})

export class LoginError extends Error {
  constructor(
    public status: number,
    public code: string,
  ) {
    super(code || String(status))
  }
}

function keep(s: Session | null) {
  session.current = s
  auth.token = s?.token ?? ''
  if (s) local.setItem(key, JSON.stringify(s))
  else local.removeItem(key)
}

export function restore(): Session | null {
  try {
    const s = JSON.parse(local.getItem(key) ?? 'null') as Session | null
    if (s && typeof s.token === 'string') keep(s)
  } catch {
    keep(null)
  }
  return session.current
}

interface LoginReply {
  token: string
  tenant?: string
  name?: string
  must_change_password?: boolean
}

async function open(path: string, body: Record<string, unknown>, fallback: Partial<Session>): Promise<Session> {
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, bearer: true }) })
  const j = (await r.json().catch(() => ({}))) as LoginReply & { error?: string }
  if (!r.ok) throw new LoginError(r.status, j.error ?? '')
  const s = { token: j.token, tenant: j.tenant ?? fallback.tenant ?? '', name: j.name ?? fallback.name ?? '' }
  keep(s)
  session.mustChange = !!j.must_change_password
  return s
}

export function login(tenant: string, name: string, password: string, totp?: string): Promise<Session> {
  const body: Record<string, unknown> = { tenant, name, password }
  if (totp) body.totp = totp
  return open('/api/v1/login', body, { tenant, name })
}

// ssoLogin opens a session with a one-login token from the PBX.
export function ssoLogin(token: string): Promise<Session> {
  return open('/api/v1/sso/login', { token }, {})
}

export async function loadMe(): Promise<Me | null> {
  if (!session.current) return null
  try {
    session.me = await get<Me>('/api/v1/me')
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      if (e.status === 403) session.mustChange = true
      else keep(null)
    } else throw e
  }
  return session.me
}

export async function logout() {
  if (session.current) await post('/api/v1/logout').catch(() => {})
  forget()
}

export function forget() {
  keep(null)
  session.me = null
  session.mustChange = false
}

auth.unauthorised = forget

// Another tab logged in or out: this one follows, from a fresh start.
window.addEventListener('storage', (e) => {
  if (e.key !== key) return
  let token = ''
  try {
    token = (JSON.parse(e.newValue ?? 'null') as Session | null)?.token ?? ''
  } catch {
    /* not ours to read: treated as logged out */
  }
  if (token !== (session.current?.token ?? '')) location.reload()
})
