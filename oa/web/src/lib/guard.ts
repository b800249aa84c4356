import type { RouteLocationNormalized, RouteLocationRaw } from 'vue-router'
import { LoginError, loadMe, restore, session, ssoLogin } from './session'

// guard opens the session a route needs: a one-login token in the link
// (?sso=…, from the agent bar) is exchanged and dropped from the address;
// without a session the login screen comes first and returns here after.
export async function guard(to: RouteLocationNormalized): Promise<true | RouteLocationRaw> {
  const sso = typeof to.query.sso === 'string' ? to.query.sso : ''
  if (sso) {
    const rest = { ...to.query }
    delete rest.sso
    try {
      await ssoLogin(sso)
      await loadMe()
    } catch (e) {
      const code = e instanceof LoginError ? 'sso' : 'network'
      return { path: '/login', query: { next: to.path + qs(rest), error: code } }
    }
    return { path: to.path, query: rest, replace: true }
  }
  if (to.meta.bare) return true
  if (!session.current && !restore()) return { path: '/login', query: { next: to.fullPath } }
  if (!session.me) {
    await loadMe().catch(() => null)
    if (!session.current) return { path: '/login', query: { next: to.fullPath } }
  }
  if (session.mustChange && to.path !== '/password') return '/password'
  return true
}

function qs(q: Record<string, unknown>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (typeof v === 'string') p.set(k, v)
  const s = p.toString()
  return s ? `?${s}` : ''
}
