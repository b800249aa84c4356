import { session } from './storage'
// Login through the admin API (docs/security.md): a bearer session token,
// kept in sessionStorage so a reload of the tab re-attaches without asking
// again, and gone when the tab is closed.

export interface Session {
  token: string
  tenant: string
  name: string
}

export class LoginError extends Error {
  constructor(
    public status: number,
    public code: string,
  ) {
    super(code || String(status))
  }
}

const key = (app: string) => `yimen.session.${app}`

export async function login(tenant: string, name: string, password: string, totp?: string): Promise<Session> {
  const body: Record<string, unknown> = { tenant, name, password, bearer: true }
  if (totp) body.totp = totp
  const r = await fetch('/api/v1/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  const j = await r.json().catch(() => ({}))
  if (!r.ok) throw new LoginError(r.status, j.error ?? j.code ?? '')
  if (j.must_change_password) throw new LoginError(403, 'must_change_password')
  return { token: j.token, tenant: j.tenant ?? tenant, name: j.name ?? name }
}

export async function logout(s: Session) {
  await fetch('/api/v1/logout', { method: 'POST', headers: { Authorization: `Bearer ${s.token}` } }).catch(() => {})
}

export function savedSession(app: string): Session | null {
  try {
    return JSON.parse(session.getItem(key(app)) ?? 'null')
  } catch {
    return null
  }
}

export function saveSession(app: string, s: Session | null) {
  if (s) session.setItem(key(app), JSON.stringify(s))
  else session.removeItem(key(app))
}

// fragmentSession takes a CTI token from the URL's fragment (#token=…): the
// demo's token file (cti.tokens_file) has one per agent and one for a
// wallboard, for a screen with nobody to log in. The fragment never reaches
// the server and is removed from the address bar at once.
export function fragmentSession(loc: Location = window.location): Session | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(loc.hash)
  if (!m) return null
  history.replaceState(null, '', loc.pathname + loc.search)
  return { token: decodeURIComponent(m[1]), tenant: '', name: '' }
}

// getJSON and putJSON call the admin API with the session's bearer token.
export async function getJSON<T>(s: Session, path: string): Promise<T | null> {
  const r = await fetch(path, { headers: { Authorization: `Bearer ${s.token}` } })
  if (r.status === 404) return null
  if (!r.ok) throw new LoginError(r.status, (await r.json().catch(() => ({}))).error ?? '')
  return r.json()
}

export async function putJSON(s: Session, path: string, body: unknown): Promise<void> {
  const r = await fetch(path, { method: 'PUT', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  if (!r.ok) throw new LoginError(r.status, (await r.json().catch(() => ({}))).error ?? '')
}

// ssoToken asks the PBX for a one-login token for another server (the OA):
// null when the session may not have one (an API token, an administrator).
export async function ssoToken(s: Session, audience = 'oa'): Promise<string | null> {
  const r = await fetch('/api/v1/sso/token', { method: 'POST', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ audience }) })
  if (!r.ok) return null
  return (await r.json().catch(() => ({}))).token ?? null
}
