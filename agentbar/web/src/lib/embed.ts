// The agent bar as a widget in another page's iframe (docs/agentbar.md):
// it talks postMessage with its parent only when the parent's origin is one
// the PBX lists (http.ui_embed_origins, given to the page in a meta tag and
// in the CSP's frame-ancestors).
//
//   parent → bar: {target: 'yimen-agentbar', id?, type: 'dial', to} | 'answer' | 'hangup' |
//                 'hold' | 'unhold' | 'ready' | {type: 'notready', reason}
//   bar → parent: {source: 'yimen-agentbar', type: 'ready' | 'connection', state} |
//                 {source: 'yimen-agentbar', type: 'event', event: {type, seq, data}} |
//                 {source: 'yimen-agentbar', type: 'result', id, ok, error?}

export type EmbedCommand =
  | { type: 'dial'; to: string }
  | { type: 'answer' | 'hangup' | 'hold' | 'unhold'; call?: string }
  | { type: 'ready' }
  | { type: 'notready'; reason?: string }

export interface EmbedHost {
  win: Pick<Window, 'addEventListener' | 'removeEventListener'>
  parent: Pick<Window, 'postMessage'> | null
  parentOrigin: string | null
}

// allowedOrigins reads the PBX's list from the page.
export function allowedOrigins(doc: Document = document): string[] {
  return (doc.querySelector('meta[name=yimen-embed-origins]')?.getAttribute('content') ?? '').split(/\s+/).filter(Boolean)
}

// embedHost finds the embedding page, if this page is framed by an allowed origin.
export function embedHost(): EmbedHost | null {
  if (window.parent === window) return null
  const ancestor = (window.location as any).ancestorOrigins?.[0] as string | undefined
  const origin = ancestor ?? (document.referrer ? new URL(document.referrer).origin : '')
  if (!allowedOrigins().includes(origin)) {
    console.warn(`agent bar framed by ${origin || 'an unknown origin'}, which http.ui_embed_origins does not list: postMessage is off`)
    return null
  }
  return { win: window, parent: window.parent, parentOrigin: origin }
}

export class EmbedBridge {
  private listener: (e: MessageEvent) => void

  constructor(
    private host: EmbedHost,
    run: (c: EmbedCommand) => Promise<unknown>,
  ) {
    this.listener = (e: MessageEvent) => {
      if (e.origin !== host.parentOrigin || e.data?.target !== 'yimen-agentbar') return
      const id = e.data.id
      run(e.data as EmbedCommand).then(
        (v) => this.send({ type: 'result', id, ok: true, value: v ?? null }),
        (err) => this.send({ type: 'result', id, ok: false, error: String(err?.message ?? err) }),
      )
    }
    host.win.addEventListener('message', this.listener as any)
  }

  send(msg: Record<string, unknown>) {
    this.host.parent?.postMessage({ source: 'yimen-agentbar', ...msg }, this.host.parentOrigin!)
  }

  close() {
    this.host.win.removeEventListener('message', this.listener as any)
  }
}
