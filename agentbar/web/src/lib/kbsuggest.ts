// Knowledge suggestions from the OA while an agent types in a screen pop.
//
// The bar is on the PBX's origin and the OA on its own. The bar trades a
// one-login token (minted by the PBX for this agent) for the OA's
// knowledge token (POST {OA}/api/v1/knowledge/bar/token), which reads
// suggestions and nothing else, and keeps it until shortly before it
// expires; a 401 (the OA restarted, the token ran out) trades once more.
// The OA answers CORS to the PBX origins it lists (sso.bar_origins), and
// the PBX's page may connect to the OAs in http.ui_connect_origins.

export interface Suggestion {
  text: string
  kind: 'article' | 'query' | string
  article_id?: number
}

export interface CardArticle {
  id: number
  title: string
  heat?: number
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>

interface Held {
  token: string
  expiresAt: number
}

// oaOrigin is the origin of the OA a pop links to ('' for no http(s) link).
export function oaOrigin(popURL?: string): string {
  if (!popURL || !/^https?:\/\//.test(popURL)) return ''
  try {
    return new URL(popURL).origin
  } catch {
    return ''
  }
}

export class KnowledgeClient {
  private held = new Map<string, Held>()
  private trading = new Map<string, Promise<Held | null>>()

  constructor(
    private sso: () => Promise<string | null>,
    private fetchFn: Fetch = (i, init) => fetch(i, init),
    private now: () => number = Date.now,
  ) {}

  // token is a knowledge token for the OA at origin: a held one with at
  // least 30 s left, else a fresh trade (one at a time per OA).
  private async token(origin: string, fresh = false): Promise<Held | null> {
    const h = this.held.get(origin)
    if (!fresh && h && h.expiresAt - this.now() > 30_000) return h
    let p = this.trading.get(origin)
    if (!p) {
      p = this.trade(origin).finally(() => this.trading.delete(origin))
      this.trading.set(origin, p)
    }
    return p
  }

  private async trade(origin: string): Promise<Held | null> {
    this.held.delete(origin)
    const one = await this.sso().catch(() => null)
    if (!one) return null
    const r = await this.fetchFn(`${origin}/api/v1/knowledge/bar/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: one }),
      credentials: 'omit',
    })
    if (!r.ok) return null
    const j = (await r.json().catch(() => ({}))) as { token?: string; expires_at?: number }
    if (!j.token) return null
    const h = { token: j.token, expiresAt: j.expires_at ?? this.now() + 60_000 }
    this.held.set(origin, h)
    return h
  }

  // suggest asks the OA at origin what to offer for q; nothing when q is
  // blank, the agent may not read the knowledge base, or the OA cannot be
  // reached (the field still opens the OA's search).
  async suggest(origin: string, q: string, limit = 8, signal?: AbortSignal): Promise<Suggestion[]> {
    q = q.trim()
    if (!origin || !q) return []
    for (let attempt = 0; attempt < 2; attempt++) {
      const h = await this.token(origin, attempt > 0)
      if (!h) return []
      const r = await this.fetchFn(`${origin}/api/v1/knowledge/bar/suggest?q=${encodeURIComponent(q)}&limit=${limit}`, {
        headers: { Authorization: `Bearer ${h.token}` },
        credentials: 'omit',
        signal,
      })
      if (r.status === 401) {
        this.held.delete(origin)
        continue
      }
      if (!r.ok) return []
      const j = (await r.json().catch(() => ({}))) as { items?: Suggestion[] }
      return Array.isArray(j.items) ? j.items.filter((s) => typeof s?.text === 'string') : []
    }
    return []
  }
}

// cardArticles reads the knowledge articles the OA put on a pop's card
// (fields.card, JSON): those for the caller's open tickets' categories.
export function cardArticles(fields?: Record<string, string>): CardArticle[] {
  if (!fields?.card) return []
  try {
    const c = JSON.parse(fields.card) as { articles?: unknown }
    if (!Array.isArray(c.articles)) return []
    return c.articles
      .filter((a): a is CardArticle => !!a && typeof a === 'object' && Number.isInteger((a as CardArticle).id) && typeof (a as CardArticle).title === 'string')
      .slice(0, 10)
  } catch {
    return []
  }
}

// articleLink is the OA's page of article id, on the OA a pop links to.
export function articleLink(popURL: string, id: number): string {
  const hash = popURL.indexOf('#')
  const base = hash < 0 ? popURL : popURL.slice(0, hash)
  return `${base}#/kb/articles/${id}`
}
